// Names and labels of everything the operator creates for a Raft3DCluster
// (kubernetes.md §1.1). The selector labels never change: they are immutable in
// a StatefulSet, so they are fixed here once.

export const GROUP = 'raft3d.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'Raft3DCluster';
export const PLURAL = 'raft3dclusters';
export const FIELD_MANAGER = 'raft3d-operator';

export const HTTP_PORT = 8001;
export const RAFT_PORT = 9001;
export const DATA_MOUNT = '/var/lib/raft3d';
export const DATA_DIR = '/var/lib/raft3d/data';
export const TOKEN_KEY = 'token';
/** Annotation on the StatefulSet: hash of the pod template the operator rendered last. */
export const TEMPLATE_HASH_ANNOTATION = 'raft3d.io/template-hash';

export const names = {
  statefulSet: (cluster: string): string => cluster,
  headlessService: (cluster: string): string => `${cluster}-headless`,
  clientService: (cluster: string): string => cluster,
  pdb: (cluster: string): string => cluster,
  bootstrapConfigMap: (cluster: string): string => `${cluster}-bootstrap`,
  tokenSecret: (cluster: string): string => `${cluster}-token`,
  pod: (cluster: string, ordinal: number): string => `${cluster}-${ordinal}`,
  pvc: (cluster: string, ordinal: number): string => `data-${cluster}-${ordinal}`,
};

export function selectorLabels(cluster: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'raft3d',
    'app.kubernetes.io/instance': cluster,
    'app.kubernetes.io/component': 'server',
  };
}

export function commonLabels(cluster: string, version: string): Record<string, string> {
  return { ...selectorLabels(cluster), 'app.kubernetes.io/managed-by': 'raft3d-operator', 'app.kubernetes.io/version': version };
}

export function selectorString(cluster: string): string {
  return Object.entries(selectorLabels(cluster))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Label selector of the informers: every server object this operator manages. */
export const MANAGED_SELECTOR = 'app.kubernetes.io/name=raft3d,app.kubernetes.io/managed-by=raft3d-operator';

/** Ordinal of `<cluster>-<n>`; null for any other name (a foreign member, never touched). */
export function ordinalOf(cluster: string, podOrMember: string): number | null {
  const prefix = `${cluster}-`;
  if (!podOrMember.startsWith(prefix)) return null;
  const rest = podOrMember.slice(prefix.length);
  return /^(0|[1-9]\d{0,3})$/.test(rest) ? Number(rest) : null;
}

/** Ordinal of a PVC `data-<cluster>-<n>`; null otherwise. */
export function pvcOrdinalOf(cluster: string, pvc: string): number | null {
  return pvc.startsWith('data-') ? ordinalOf(cluster, pvc.slice('data-'.length)) : null;
}
