// helm lint and helm template over a matrix of values; every rendered object checked
// against the Kubernetes (or Prometheus Operator, or CRD) schema, and the settings that
// matter for safety asserted exactly.
import { describe, test, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KUBE_VERSION, at, chartDir, helm, kinds, only, renderChart, templateArgs, type K8sObject, type RenderOptions, type Rendered } from '../support/helm.js';
import { crdValidator, hasModel, validateModel } from '../support/k8s-schemas.js';
import { restrictedViolations, type PodSpecLike } from '../support/pod-security.js';
import { ruleTable } from '../support/rbac.js';

const crd = parse(readFileSync(join(chartDir, 'crds', 'raft3d.io_raft3dclusters.yaml'), 'utf8')) as K8sObject;
const validateCluster = crdValidator(crd, 'v1alpha1');
const MONITORING = ['monitoring.coreos.com/v1'];

const MATRIX: Record<string, RenderOptions> = {
  defaults: {},
  'one replica': { set: { 'cluster.replicas': 1 } },
  'five replicas': { set: { 'cluster.replicas': 5 } },
  'ingress on': { set: { 'ingress.enabled': true, 'ingress.host': 'raft3d.example.test', 'ingress.tls[0].secretName': 'raft3d-tls', 'ingress.tls[0].hosts[0]': 'raft3d.example.test' } },
  'monitoring API present': { apiVersions: MONITORING },
  'monitoring forced': { set: { 'monitoring.force': true, 'monitoring.additionalLabels.release': 'kube-prometheus-stack' } },
  'network policy on': { set: { 'networkPolicy.enabled': true } },
  'cluster scope': { set: { 'operator.scope': 'cluster' } },
  'no cluster': { set: { 'cluster.create': false } },
  'everything on': {
    apiVersions: MONITORING,
    set: {
      'ingress.enabled': true,
      'networkPolicy.enabled': true,
      'cluster.name': 'farm',
      'cluster.storage.storageClassName': 'fast',
      'cluster.tokenSecretRef.name': 'farm-token',
      'cluster.scheduling.nodeSelector.disk': 'ssd',
      'cluster.scheduling.priorityClassName': 'high',
      'cluster.scheduling.tolerations[0].key': 'dedicated',
      'cluster.scheduling.tolerations[0].operator': 'Exists',
    },
  },
};

const CLUSTER_SCOPED = new Set(['CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'Namespace']);
const SERVER_LABELS = { 'app.kubernetes.io/name': 'raft3d', 'app.kubernetes.io/instance': 'demo', 'app.kubernetes.io/component': 'server' };

const renders = new Map<string, Rendered[]>();

/** helm template with the CRD; memoized, since many tests look at the same rendering. */
function render(options: RenderOptions): Rendered[] {
  const key = JSON.stringify(options);
  let objects = renders.get(key);
  if (!objects) {
    objects = renderChart({ ...options, includeCrds: true });
    renders.set(key, objects);
  }
  return objects;
}

function setArgs(options: RenderOptions): string[] {
  return Object.entries(options.set ?? {}).flatMap(([k, v]) => ['--set', `${k}=${String(v)}`]);
}

function podSpecOf(object: K8sObject): PodSpecLike {
  const spec = object.kind === 'Pod' ? object['spec'] : at(object, 'spec', 'template', 'spec');
  return spec as PodSpecLike;
}

function labelsMatch(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

// What the operator calls (src/operator/kube-api.ts; operator-contract.test.ts derives it from there).
const OPERATOR_RULES: Record<string, string[]> = {
  'raft3d.io/raft3dclusters': ['get', 'list', 'watch'],
  'raft3d.io/raft3dclusters/status': ['patch'],
  'apps/statefulsets': ['create', 'get', 'list', 'patch', 'update', 'watch'],
  'core/services': ['create', 'get'],
  'policy/poddisruptionbudgets': ['create', 'get'],
  'core/configmaps': ['create', 'get', 'patch'],
  'core/secrets': ['create', 'get'],
  'core/pods': ['delete', 'list', 'watch'],
  'core/persistentvolumeclaims': ['list'],
  'core/events': ['create'],
};

describe('helm lint --strict', () => {
  test.each(Object.entries(MATRIX))('%s', (_name, options) => {
    const r = helm(['lint', '--strict', chartDir, '--namespace', 'raft3d', '--kube-version', KUBE_VERSION, ...setArgs(options)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('0 chart(s) failed');
  });
});

describe('every rendered object is valid', () => {
  test.each(Object.entries(MATRIX))('%s', (_name, options) => {
    const objects = render(options);
    expect(objects.length).toBeGreaterThanOrEqual(8);
    const errors: string[] = [];
    const seen = new Set<string>();
    for (const { object, source } of objects) {
      const key = `${object.kind}/${object.metadata.name}`;
      if (seen.has(key)) errors.push(`duplicate ${key}`);
      seen.add(key);
      if (object.kind === 'Raft3DCluster') errors.push(...validateCluster(object));
      else if (hasModel(object)) errors.push(...validateModel(object));
      else errors.push(`${key} from ${source}: kind without a schema`);
      if (CLUSTER_SCOPED.has(object.kind)) expect(object.metadata.namespace).toBeUndefined();
      else expect(object.metadata.namespace).toBe('raft3d');
      expect(object.metadata.labels?.['app.kubernetes.io/managed-by'] ?? 'Helm').toBe('Helm');
    }
    expect(errors).toEqual([]);
  });

  test('the validators reject a broken object (they can fail)', () => {
    const cluster = only(render({}), 'Raft3DCluster');
    const broken = { ...cluster, spec: { ...(cluster['spec'] as object), replicas: 12, replika: 3 } } as K8sObject;
    const errors = validateCluster(broken).join('\n');
    expect(errors).toMatch(/replicas must be <= 9/);
    expect(errors).toMatch(/additional properties.*replika/);
    const deployment = only(render({}), 'Deployment');
    expect(validateModel({ ...deployment, spec: { replicas: 'one' } } as K8sObject)).not.toEqual([]);
  });

  test('every pod the chart renders meets the Pod Security "restricted" profile', () => {
    for (const options of Object.values(MATRIX)) {
      for (const { object } of render(options)) {
        if (object.kind === 'Deployment' || object.kind === 'Pod') expect({ [object.metadata.name]: restrictedViolations(podSpecOf(object)) }).toEqual({ [object.metadata.name]: [] });
      }
    }
  });
});

describe('what the chart renders, and what it leaves to the operator', () => {
  test('defaults: the operator, its RBAC and metrics Service, the cluster, the dashboard and the helm test', () => {
    const objects = render({});
    expect(kinds(objects)).toEqual(['ConfigMap', 'CustomResourceDefinition', 'Deployment', 'Pod', 'Raft3DCluster', 'Role', 'RoleBinding', 'Service', 'ServiceAccount']);
    // The operator owns the StatefulSet, the server Services and the PDB.
    expect(only(objects, 'Service').metadata.name).toBe('demo-raft3d-operator-metrics');
    expect(only(objects, 'CustomResourceDefinition').metadata.name).toBe('raft3dclusters.raft3d.io');
  });

  test('without --include-crds and --skip-tests only templates remain', () => {
    expect(kinds(renderChart({ skipTests: true }))).toEqual(['ConfigMap', 'Deployment', 'Raft3DCluster', 'Role', 'RoleBinding', 'Service', 'ServiceAccount']);
  });

  test('the Raft3DCluster built from the defaults', () => {
    const cluster = only(render({}), 'Raft3DCluster');
    expect(cluster.apiVersion).toBe('raft3d.io/v1alpha1');
    expect(cluster.metadata.name).toBe('demo');
    expect(cluster['spec']).toEqual({
      replicas: 3,
      image: 'raft3d:0.1.0',
      imagePullPolicy: 'IfNotPresent',
      clusterDomain: 'cluster.local',
      storage: { size: '1Gi' },
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
      raft: { tickMs: 100, heartbeatTicks: 1, electionTicks: 10, snapshotThreshold: 10000 },
      terminationGracePeriodSeconds: 45,
    });
  });

  test.each([1, 3, 5, 9])('cluster.replicas=%i reaches spec.replicas', (n) => {
    expect(at(only(render({ set: { 'cluster.replicas': n } }), 'Raft3DCluster'), 'spec', 'replicas')).toBe(n);
  });

  test('storage class, token Secret, scheduling and image reach the custom resource', () => {
    const cluster = only(render(MATRIX['everything on']!), 'Raft3DCluster');
    expect(cluster.metadata.name).toBe('farm');
    expect(at(cluster, 'spec', 'storage')).toEqual({ size: '1Gi', storageClassName: 'fast' });
    expect(at(cluster, 'spec', 'tokenSecretRef')).toEqual({ name: 'farm-token', key: 'token' });
    expect(at(cluster, 'spec', 'scheduling')).toEqual({ nodeSelector: { disk: 'ssd' }, tolerations: [{ key: 'dedicated', operator: 'Exists' }], priorityClassName: 'high' });
    const custom = only(render({ set: { 'image.repository': 'registry.example/raft3d', 'image.tag': '1.2.3', 'image.pullPolicy': 'Always' } }), 'Raft3DCluster');
    expect(at(custom, 'spec', 'image')).toBe('registry.example/raft3d:1.2.3');
    expect(at(custom, 'spec', 'imagePullPolicy')).toBe('Always');
  });

  test('cluster.create=false renders no Raft3DCluster', () => {
    expect(kinds(render({ set: { 'cluster.create': false } }))).not.toContain('Raft3DCluster');
  });
});

describe('the operator Deployment', () => {
  const deployment = only(render({}), 'Deployment');
  const pod = at(deployment, 'spec', 'template', 'spec') as Record<string, unknown>;
  const container = (pod['containers'] as Record<string, unknown>[])[0]!;

  test('runs the operator entry point of the shared image, one replica, Recreate', () => {
    expect(deployment.metadata.name).toBe('demo-raft3d-operator');
    expect(at(deployment, 'spec', 'replicas')).toBe(1);
    expect(at(deployment, 'spec', 'strategy')).toEqual({ type: 'Recreate' });
    expect(container['image']).toBe('raft3d:0.1.0');
    expect(container['command']).toEqual(['node', 'dist/operator/main.js']);
    expect(pod['serviceAccountName']).toBe('demo-raft3d-operator');
    expect(pod['automountServiceAccountToken']).toBe(true);
  });

  test('security context: non-root 10001, read-only root, no privilege escalation, no capabilities', () => {
    expect(pod['securityContext']).toEqual({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container['securityContext']).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    expect(pod['hostNetwork']).toBeUndefined();
    expect(at(container, 'resources', 'limits', 'memory')).toBe('256Mi');
  });

  test('watches its own namespace by default and every namespace with scope=cluster', () => {
    const env = (d: K8sObject): unknown => ((at(d, 'spec', 'template', 'spec', 'containers', 0, 'env') as { name: string }[]).find((e) => e.name === 'WATCH_NAMESPACE'));
    expect(env(deployment)).toEqual({ name: 'WATCH_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } });
    expect(env(only(render({ set: { 'operator.scope': 'cluster' } }), 'Deployment'))).toEqual({ name: 'WATCH_NAMESPACE', value: '' });
  });

  test('probes and metrics port', () => {
    expect(at(container, 'livenessProbe', 'httpGet')).toEqual({ path: '/healthz', port: 'http-metrics' });
    expect(at(container, 'readinessProbe', 'httpGet')).toEqual({ path: '/readyz', port: 'http-metrics' });
    expect(container['ports']).toEqual([{ name: 'http-metrics', containerPort: 8081, protocol: 'TCP' }]);
  });

  test('its labels never match the server pods', () => {
    expect(labelsMatch(SERVER_LABELS, at(deployment, 'spec', 'template', 'metadata', 'labels') as Record<string, string>)).toBe(false);
  });

  test('a single replica is the only choice (no leader election)', () => {
    const r = helm([...templateArgs(), '--set', 'operator.replicas=2']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/replicas/);
  });
});

describe('RBAC: least privilege', () => {
  test('namespace scope: a Role with exactly the operator table, bound to its ServiceAccount', () => {
    const objects = render({});
    expect(kinds(objects)).not.toContain('ClusterRole');
    expect(kinds(objects)).not.toContain('ClusterRoleBinding');
    const role = only(objects, 'Role');
    expect(ruleTable(role)).toEqual(OPERATOR_RULES);
    const binding = only(objects, 'RoleBinding');
    expect(binding['roleRef']).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    expect(binding['subjects']).toEqual([{ kind: 'ServiceAccount', name: only(objects, 'ServiceAccount').metadata.name, namespace: 'raft3d' }]);
  });

  test('cluster scope: the same table in a ClusterRole', () => {
    const objects = render({ set: { 'operator.scope': 'cluster' } });
    expect(kinds(objects)).not.toContain('Role');
    expect(ruleTable(only(objects, 'ClusterRole'))).toEqual(OPERATOR_RULES);
    expect(at(only(objects, 'ClusterRoleBinding'), 'roleRef', 'kind')).toBe('ClusterRole');
  });

  test('no wildcard, no escalation verbs, no Secret listing, delete only on pods', () => {
    for (const options of Object.values(MATRIX)) {
      for (const { object } of render(options)) {
        if (object.kind !== 'Role' && object.kind !== 'ClusterRole') continue;
        for (const rule of object['rules'] as Record<string, string[]>[]) {
          for (const field of ['apiGroups', 'resources', 'verbs']) expect(rule[field]).not.toContain('*');
          expect(rule['verbs']).not.toEqual(expect.arrayContaining(['escalate']));
          for (const verb of ['bind', 'impersonate', 'escalate', 'deletecollection']) expect(rule['verbs']).not.toContain(verb);
          expect(rule['nonResourceURLs']).toBeUndefined();
          if (rule['resources']!.includes('secrets')) expect(rule['verbs']!.filter((v) => v === 'list' || v === 'watch')).toEqual([]);
          if (rule['verbs']!.includes('delete')) expect(rule['resources']).toEqual(['pods']);
        }
      }
    }
  });
});

describe('Ingress: the REST API only', () => {
  const ADMIN = ['/cluster', '/debug', '/metrics', '/health'];

  test('off by default', () => {
    expect(kinds(render({}))).not.toContain('Ingress');
  });

  test.each(['/api/v1', '/api'])('pathPrefix %s: one Prefix path to the client Service', (prefix) => {
    const ingress = only(render({ set: { 'ingress.enabled': true, 'ingress.pathPrefix': prefix, 'ingress.host': 'raft3d.example.test' } }), 'Ingress');
    expect(at(ingress, 'spec', 'ingressClassName')).toBe('nginx');
    const rules = at(ingress, 'spec', 'rules') as { host?: string; http: { paths: { path: string; pathType: string; backend: unknown }[] } }[];
    expect(rules).toHaveLength(1);
    expect(rules[0]!.host).toBe('raft3d.example.test');
    expect(rules[0]!.http.paths).toEqual([{ path: prefix, pathType: 'Prefix', backend: { service: { name: 'demo', port: { name: 'http' } } } }]);
  });

  test('no rendering ever routes an operations endpoint, the root or the headless Service', () => {
    for (const options of Object.values(MATRIX)) {
      for (const { object } of render(options)) {
        if (object.kind !== 'Ingress') continue;
        expect(at(object, 'spec', 'defaultBackend')).toBeUndefined();
        for (const rule of at(object, 'spec', 'rules') as { http: { paths: { path: string; backend: { service: { name: string } } }[] } }[]) {
          for (const p of rule.http.paths) {
            expect(p.path).toMatch(/^\/api(\/v1)?$/);
            for (const admin of ADMIN) expect(p.path === admin || p.path.startsWith(`${admin}/`)).toBe(false);
            expect(p.backend.service.name).not.toMatch(/-headless$/);
          }
        }
      }
    }
  });

  test.each(['/', '/cluster', '/metrics', '/health', '/debug', '/api/../cluster'])('pathPrefix %s is rejected', (prefix) => {
    const r = helm(templateArgs({ set: { 'ingress.enabled': true, 'ingress.pathPrefix': prefix } }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/pathPrefix/);
  });

  test('the className and annotations come from values', () => {
    const ingress = only(render({ set: { 'ingress.enabled': true, 'ingress.className': 'traefik' } }), 'Ingress');
    expect(at(ingress, 'spec', 'ingressClassName')).toBe('traefik');
    expect(at(ingress, 'metadata', 'annotations', 'nginx.ingress.kubernetes.io/proxy-read-timeout')).toBe('15');
  });
});

describe('monitoring objects follow the Prometheus Operator API', () => {
  const MONITORING_KINDS = ['PodMonitor', 'PrometheusRule', 'ServiceMonitor'];
  const monitoringKinds = (objects: Rendered[]): string[] => kinds(objects).filter((k) => MONITORING_KINDS.includes(k));

  test('absent without monitoring.coreos.com/v1, present with it or when forced, absent when disabled', () => {
    expect(monitoringKinds(render({}))).toEqual([]);
    expect(monitoringKinds(render({ apiVersions: MONITORING }))).toEqual(MONITORING_KINDS);
    expect(monitoringKinds(render({ set: { 'monitoring.force': true } }))).toEqual(MONITORING_KINDS);
    expect(monitoringKinds(render({ apiVersions: MONITORING, set: { 'monitoring.enabled': false } }))).toEqual([]);
    expect(monitoringKinds(render({ apiVersions: MONITORING, set: { 'monitoring.rules.enabled': false } }))).toEqual(['PodMonitor', 'ServiceMonitor']);
  });

  test('the PodMonitor scrapes the server pods on http /metrics and labels series with the cluster', () => {
    const monitor = only(render({ apiVersions: MONITORING }), 'PodMonitor');
    expect(at(monitor, 'spec', 'selector')).toEqual({ matchLabels: SERVER_LABELS });
    expect(at(monitor, 'spec', 'namespaceSelector')).toEqual({ matchNames: ['raft3d'] });
    expect(at(monitor, 'spec', 'podMetricsEndpoints')).toEqual([
      {
        port: 'http',
        path: '/metrics',
        interval: '15s',
        scrapeTimeout: '10s',
        relabelings: [{ sourceLabels: ['__meta_kubernetes_pod_label_app_kubernetes_io_instance'], targetLabel: 'raft3d_cluster', action: 'replace' }],
      },
    ]);
  });

  test('the operator ServiceMonitor selects the operator metrics Service', () => {
    const objects = render({ apiVersions: MONITORING });
    const service = only(objects, 'Service');
    const monitor = only(objects, 'ServiceMonitor');
    expect(labelsMatch(at(monitor, 'spec', 'selector', 'matchLabels') as Record<string, string>, service.metadata.labels)).toBe(true);
    expect(at(monitor, 'spec', 'endpoints', 0, 'port')).toBe((at(service, 'spec', 'ports', 0, 'name')));
  });

  test('additionalLabels reach every monitoring object (Prometheus selects by them)', () => {
    for (const { object } of render(MATRIX['monitoring forced']!)) {
      if (MONITORING_KINDS.includes(object.kind)) expect(object.metadata.labels?.['release']).toBe('kube-prometheus-stack');
    }
  });

  test('the PrometheusRule has the five required alerts, each with a severity and a summary', () => {
    const rule = only(render({ apiVersions: MONITORING }), 'PrometheusRule');
    const rules = at(rule, 'spec', 'groups', 0, 'rules') as { alert: string; expr: string; labels: { severity: string }; annotations: { summary: string } }[];
    const names = rules.map((r) => r.alert);
    expect(names).toEqual(expect.arrayContaining(['Raft3DNoLeader', 'Raft3DLeaderFlapping', 'Raft3DFailureToleranceZero', 'Raft3DProposalsFailing', 'Raft3DMemberLagging']));
    for (const r of rules) {
      expect(['critical', 'warning']).toContain(r.labels.severity);
      expect(r.annotations.summary.length).toBeGreaterThan(10);
      // Scoped to this cluster, so two releases never alert twice for the same cluster.
      expect(r.expr).toContain('namespace="raft3d", raft3d_cluster="demo"');
    }
  });
});

describe('Grafana dashboard ConfigMap', () => {
  test('labelled for the sidecar and holding valid dashboard JSON', () => {
    const cm = only(render({}), 'ConfigMap');
    expect(cm.metadata.labels?.['grafana_dashboard']).toBe('1');
    const json = JSON.parse(String(at(cm, 'data', 'raft3d.json'))) as { uid: string; panels: unknown[] };
    expect(json.uid).toBe('raft3d-cluster');
    expect(json.panels.length).toBeGreaterThanOrEqual(8);
    expect(kinds(render({ set: { 'monitoring.grafanaDashboard.enabled': false } }))).not.toContain('ConfigMap');
  });
});

describe('NetworkPolicy', () => {
  const objects = render(MATRIX['network policy on']!);
  const policy = only(objects, 'NetworkPolicy');
  type Peer = { podSelector?: { matchLabels: Record<string, string> }; namespaceSelector?: { matchLabels: Record<string, string> } };
  const rules = at(policy, 'spec', 'ingress') as { from: Peer[]; ports: { port: string; protocol: string }[] }[];

  test('off by default', () => {
    expect(kinds(render({}))).not.toContain('NetworkPolicy');
  });

  test('selects the server pods; Raft only from peers', () => {
    expect(at(policy, 'spec', 'podSelector')).toEqual({ matchLabels: SERVER_LABELS });
    expect(at(policy, 'spec', 'policyTypes')).toEqual(['Ingress']);
    const raft = rules.filter((r) => r.ports.some((p) => p.port === 'raft'));
    expect(raft).toHaveLength(1);
    expect(raft[0]!.from).toEqual([{ podSelector: { matchLabels: SERVER_LABELS } }]);
  });

  test('HTTP from the operator, the helm test pod and the listed namespaces; never from everywhere', () => {
    for (const rule of rules) expect(rule.from.length).toBeGreaterThan(0);
    const httpPeers = rules.filter((r) => r.ports.some((p) => p.port === 'http')).flatMap((r) => r.from);
    const allowed = (labels: Record<string, string> | undefined): boolean => httpPeers.some((p) => p.podSelector !== undefined && p.namespaceSelector === undefined && labelsMatch(p.podSelector.matchLabels, labels));
    expect(allowed(at(only(objects, 'Deployment'), 'spec', 'template', 'metadata', 'labels') as Record<string, string>)).toBe(true);
    expect(allowed(only(objects, 'Pod').metadata.labels)).toBe(true);
    expect(allowed({ 'app.kubernetes.io/name': 'something-else' })).toBe(false);
    expect(httpPeers.filter((p) => p.namespaceSelector).map((p) => p.namespaceSelector!.matchLabels['kubernetes.io/metadata.name'])).toEqual(['ingress-nginx', 'monitoring']);
  });
});

describe('the helm test pod', () => {
  test('is a test hook that runs the bundled script against the client Service', () => {
    const pod = only(render({ set: { 'cluster.replicas': 5 } }), 'Pod');
    expect(pod.metadata.annotations?.['helm.sh/hook']).toBe('test');
    const c = at(pod, 'spec', 'containers', 0) as { command: string[]; args: string[]; env: { name: string; value: string }[] };
    expect(c.command).toEqual(['node', '--input-type=module', '-e']);
    expect(c.args).toEqual([readFileSync(join(chartDir, 'files', 'helm-test.mjs'), 'utf8')]);
    expect(Object.fromEntries(c.env.map((e) => [e.name, e.value]))).toEqual({ RAFT3D_URL: 'http://demo:80', RAFT3D_EXPECTED_VOTERS: '5', RAFT3D_TEST_TIMEOUT_MS: '240000' });
    expect(at(pod, 'spec', 'restartPolicy')).toBe('Never');
  });
});

describe('NOTES.txt', () => {
  const notes = (replicas: number): string => {
    const r = helm(['install', 'demo', chartDir, '--namespace', 'raft3d', '--dry-run=client', '--set', `cluster.replicas=${replicas}`, '--set', 'ingress.enabled=true']);
    expect(r.code).toBe(0);
    return r.stdout.slice(r.stdout.indexOf('NOTES:'));
  };

  test('tells how to reach the API, scale and test; warns about an even size only', () => {
    const three = notes(3);
    expect(three).toContain('curl http://localhost/api/v1/printers');
    expect(three).toContain('kubectl -n raft3d port-forward svc/demo 8080:80');
    expect(three).toContain('kubectl -n raft3d scale raft3dcluster/demo --replicas=5');
    expect(three).toContain('helm test demo -n raft3d');
    expect(three).not.toContain('WARNING');
    expect(notes(4)).toContain('WARNING: cluster.replicas=4 is even');
  });
});

describe('values that must be rejected', () => {
  test.each([
    ['cluster.replicas', '0', /replicas/],
    ['cluster.replicas', '10', /replicas/],
    ['cluster.replica', '3', /replica/],
    ['operator.scope', 'everything', /scope/],
    ['cluster.storage.size', 'big', /size/],
    ['cluster.raft.electionTicks', '1', /electionTicks/],
    ['image.pullPolicy', 'Sometimes', /pullPolicy/],
    ['cluster.name', 'Farm_1', /name/],
  ])('%s=%s', (key, value, message) => {
    const r = helm([...templateArgs(), '--set', `${key}=${value}`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  test('Kubernetes older than 1.29 (CRD validation rules GA) is refused', () => {
    const r = helm(templateArgs({ kubeVersion: '1.28.9' }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/kubeVersion/);
  });

  test('a release name that is not a DNS-1035 label needs cluster.name', () => {
    const r = helm(templateArgs({ release: '1demo' }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/DNS-1035/);
    expect(only(renderChart({ release: '1demo', set: { 'cluster.name': 'demo' } }), 'Raft3DCluster').metadata.name).toBe('demo');
  });
});
