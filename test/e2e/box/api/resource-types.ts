// The kinds the fake API server serves: the built-in ones the chart, the operator,
// kubectl and Prometheus use, plus whatever CustomResourceDefinitions add at run time.

export interface ScaleSpec {
  readonly specReplicasPath: string;
  readonly statusReplicasPath: string;
  readonly labelSelectorPath?: string;
}

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  /** Plural, as in the URL. */
  readonly resource: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly status: boolean;
  readonly scale: ScaleSpec | null;
  /** openAPIV3Schema of a custom resource, for defaulting. */
  readonly schema: unknown;
}

export function apiVersionOf(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** Storage key of a kind: one per group and resource, whatever the version. */
export function groupResource(t: Pick<ResourceType, 'group' | 'resource'>): string {
  return t.group === '' ? t.resource : `${t.resource}.${t.group}`;
}

const REPLICAS: ScaleSpec = { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' };

function t(group: string, version: string, resource: string, kind: string, opts: Partial<Omit<ResourceType, 'group' | 'version' | 'resource' | 'kind'>> = {}): ResourceType {
  return {
    group,
    version,
    resource,
    kind,
    singular: opts.singular ?? kind.toLowerCase(),
    namespaced: opts.namespaced ?? true,
    shortNames: opts.shortNames ?? [],
    categories: opts.categories ?? [],
    status: opts.status ?? false,
    scale: opts.scale ?? null,
    schema: opts.schema ?? null,
  };
}

export const BUILTIN_TYPES: readonly ResourceType[] = [
  t('', 'v1', 'namespaces', 'Namespace', { namespaced: false, shortNames: ['ns'], status: true }),
  t('', 'v1', 'nodes', 'Node', { namespaced: false, shortNames: ['no'], status: true }),
  t('', 'v1', 'pods', 'Pod', { shortNames: ['po'], categories: ['all'], status: true }),
  t('', 'v1', 'services', 'Service', { shortNames: ['svc'], categories: ['all'], status: true }),
  t('', 'v1', 'endpoints', 'Endpoints', { shortNames: ['ep'], singular: 'endpoints' }),
  t('', 'v1', 'configmaps', 'ConfigMap', { shortNames: ['cm'] }),
  t('', 'v1', 'secrets', 'Secret'),
  t('', 'v1', 'serviceaccounts', 'ServiceAccount', { shortNames: ['sa'] }),
  t('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', { shortNames: ['pvc'], status: true }),
  t('', 'v1', 'persistentvolumes', 'PersistentVolume', { namespaced: false, shortNames: ['pv'], status: true }),
  t('', 'v1', 'events', 'Event', { shortNames: ['ev'] }),
  t('apps', 'v1', 'statefulsets', 'StatefulSet', { shortNames: ['sts'], categories: ['all'], status: true, scale: REPLICAS }),
  t('apps', 'v1', 'deployments', 'Deployment', { shortNames: ['deploy'], categories: ['all'], status: true, scale: REPLICAS }),
  t('apps', 'v1', 'replicasets', 'ReplicaSet', { shortNames: ['rs'], categories: ['all'], status: true, scale: REPLICAS }),
  t('apps', 'v1', 'controllerrevisions', 'ControllerRevision'),
  t('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', { shortNames: ['pdb'], status: true }),
  t('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice'),
  t('networking.k8s.io', 'v1', 'ingresses', 'Ingress', { shortNames: ['ing'], status: true }),
  t('networking.k8s.io', 'v1', 'ingressclasses', 'IngressClass', { namespaced: false }),
  t('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', { shortNames: ['netpol'] }),
  t('rbac.authorization.k8s.io', 'v1', 'roles', 'Role'),
  t('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding'),
  t('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', { namespaced: false }),
  t('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', { namespaced: false }),
  t('coordination.k8s.io', 'v1', 'leases', 'Lease'),
  t('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', { namespaced: false, shortNames: ['crd', 'crds'], status: true }),
];

/** The served versions of a CRD object as resource types (invalid CRDs yield none). */
export function typesFromCrd(crd: unknown): ResourceType[] {
  const spec = isRecord(crd) && isRecord(crd['spec']) ? crd['spec'] : null;
  if (spec === null) return [];
  const names = isRecord(spec['names']) ? spec['names'] : {};
  const group = typeof spec['group'] === 'string' ? spec['group'] : '';
  const plural = typeof names['plural'] === 'string' ? names['plural'] : '';
  const kind = typeof names['kind'] === 'string' ? names['kind'] : '';
  if (group === '' || plural === '' || kind === '') return [];
  const out: ResourceType[] = [];
  for (const v of Array.isArray(spec['versions']) ? spec['versions'] : []) {
    if (!isRecord(v) || typeof v['name'] !== 'string' || v['served'] === false) continue;
    const sub = isRecord(v['subresources']) ? v['subresources'] : {};
    const scale = isRecord(sub['scale']) ? sub['scale'] : null;
    out.push(
      t(group, v['name'], plural, kind, {
        singular: typeof names['singular'] === 'string' ? names['singular'] : kind.toLowerCase(),
        namespaced: spec['scope'] !== 'Cluster',
        shortNames: stringList(names['shortNames']),
        categories: stringList(names['categories']),
        status: isRecord(sub['status']),
        scale:
          scale === null
            ? null
            : {
                specReplicasPath: String(scale['specReplicasPath'] ?? '.spec.replicas'),
                statusReplicasPath: String(scale['statusReplicasPath'] ?? '.status.replicas'),
                ...(typeof scale['labelSelectorPath'] === 'string' ? { labelSelectorPath: scale['labelSelectorPath'] } : {}),
              },
        schema: isRecord(v['schema']) ? v['schema']['openAPIV3Schema'] ?? null : null,
      }),
    );
  }
  return out;
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
