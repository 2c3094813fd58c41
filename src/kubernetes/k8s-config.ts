// Kubernetes mode of a node: what the StatefulSet's environment says about this
// pod, and the stable DNS names derived from it. Pod IPs change on every restart,
// so every address is a name under the headless Service (kubernetes.md §2).

export const K8S_HTTP_PORT = 8001;
export const K8S_RAFT_PORT = 9001;
export const K8S_DATA_DIR = '/var/lib/raft3d/data';
/** Ordinals probed for peers when RAFT3D_K8S_MAX_REPLICAS is absent (the CRD's maximum). */
export const DEFAULT_MAX_REPLICAS = 9;

export type ClusterState = 'new' | 'existing';

export interface KubernetesConfig {
  readonly podName: string;
  readonly namespace: string;
  /** StatefulSet name: the pod name without its `-<ordinal>` suffix. */
  readonly statefulSet: string;
  readonly ordinal: number;
  readonly headlessService: string;
  readonly clusterDomain: string;
  /** Pods 0..expectedReplicas-1 must all answer "no cluster" before pod 0 may create one. */
  readonly expectedReplicas: number;
  /** Ordinals 0..maxReplicas-1 are probed for an existing cluster. */
  readonly maxReplicas: number;
  /** From the operator's bootstrap ConfigMap; absent for a plain StatefulSet. */
  readonly clusterState: ClusterState | undefined;
  readonly expectedClusterId: string | undefined;
}

export class KubernetesConfigError extends Error {
  override readonly name = 'KubernetesConfigError';
}

/** Environment variables of the Kubernetes mode, for --help and the README. */
export const KUBERNETES_ENV: Readonly<Record<string, string>> = {
  RAFT3D_K8S_HEADLESS_SERVICE: 'governing headless Service of the StatefulSet; setting it turns the Kubernetes mode on',
  POD_NAME: 'pod name from the downward API (metadata.name): node id and ordinal',
  POD_NAMESPACE: 'pod namespace from the downward API (metadata.namespace)',
  RAFT3D_K8S_CLUSTER_DOMAIN: 'cluster DNS domain (default cluster.local)',
  RAFT3D_K8S_EXPECTED_REPLICAS: 'pods that must all answer before pod 0 creates a cluster (default 1: the operator grows it afterwards)',
  RAFT3D_K8S_MAX_REPLICAS: `ordinals probed for an existing cluster (default ${DEFAULT_MAX_REPLICAS})`,
  RAFT3D_CLUSTER_STATE: 'new | existing (bootstrap ConfigMap); existing forbids creating a cluster',
  RAFT3D_CLUSTER_ID: 'cluster id recorded by the operator; peers of another cluster are ignored',
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Returns null when the Kubernetes mode is off (RAFT3D_K8S_HEADLESS_SERVICE unset). */
export function kubernetesConfigFromEnv(env: Readonly<Record<string, string | undefined>>): KubernetesConfig | null {
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const headlessService = get('RAFT3D_K8S_HEADLESS_SERVICE');
  if (headlessService === undefined) return null;
  const podName = get('POD_NAME');
  const namespace = get('POD_NAMESPACE');
  if (podName === undefined || namespace === undefined) {
    throw new KubernetesConfigError('RAFT3D_K8S_HEADLESS_SERVICE is set: POD_NAME and POD_NAMESPACE (downward API) are required too');
  }
  const m = /^(.+)-(\d+)$/.exec(podName);
  if (!m || !DNS_LABEL.test(podName)) throw new KubernetesConfigError(`POD_NAME must be a StatefulSet pod name <name>-<ordinal>, got "${podName}"`);
  if (!DNS_LABEL.test(headlessService)) throw new KubernetesConfigError(`RAFT3D_K8S_HEADLESS_SERVICE must be a DNS label, got "${headlessService}"`);
  if (!DNS_LABEL.test(namespace)) throw new KubernetesConfigError(`POD_NAMESPACE must be a DNS label, got "${namespace}"`);
  const clusterDomain = get('RAFT3D_K8S_CLUSTER_DOMAIN') ?? 'cluster.local';
  if (!DNS_NAME.test(clusterDomain)) throw new KubernetesConfigError(`RAFT3D_K8S_CLUSTER_DOMAIN must be a DNS name, got "${clusterDomain}"`);
  const count = (name: string, fallback: number): number => {
    const v = get(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 1000) throw new KubernetesConfigError(`${name} must be an integer in 1..1000, got "${v}"`);
    return Number(v);
  };
  const expectedReplicas = count('RAFT3D_K8S_EXPECTED_REPLICAS', 1);
  const maxReplicas = Math.max(count('RAFT3D_K8S_MAX_REPLICAS', DEFAULT_MAX_REPLICAS), expectedReplicas);
  const state = get('RAFT3D_CLUSTER_STATE');
  if (state !== undefined && state !== 'new' && state !== 'existing') {
    throw new KubernetesConfigError(`RAFT3D_CLUSTER_STATE must be new or existing, got "${state}"`);
  }
  return {
    podName,
    namespace,
    statefulSet: m[1]!,
    ordinal: Number(m[2]),
    headlessService,
    clusterDomain,
    expectedReplicas,
    maxReplicas,
    clusterState: state,
    expectedClusterId: get('RAFT3D_CLUSTER_ID'),
  };
}

/** `<pod>.<headless>.<ns>.svc.<domain>`: resolvable before the pod is Ready (publishNotReadyAddresses). */
export function podHost(cfg: KubernetesConfig, podName: string): string {
  return `${podName}.${cfg.headlessService}.${cfg.namespace}.svc.${cfg.clusterDomain}`;
}

export function podNameOf(cfg: KubernetesConfig, ordinal: number): string {
  return `${cfg.statefulSet}-${ordinal}`;
}

/**
 * Flag defaults the Kubernetes mode supplies (explicit flags and RAFT3D_* variables still win):
 * id = pod name, advertised addresses = stable DNS names, listeners on every interface.
 */
export function kubernetesFlagDefaults(cfg: KubernetesConfig): Readonly<Record<string, string>> {
  const host = podHost(cfg, cfg.podName);
  return {
    id: cfg.podName,
    http: `${host}:${K8S_HTTP_PORT}`,
    'http-listen': `0.0.0.0:${K8S_HTTP_PORT}`,
    raft: `${host}:${K8S_RAFT_PORT}`,
    'raft-listen': `0.0.0.0:${K8S_RAFT_PORT}`,
    data: K8S_DATA_DIR,
  };
}

/** HTTP addresses of the other pods (ordinals 0..maxReplicas-1), the join seeds. */
export function peerHttpAddresses(cfg: KubernetesConfig, httpPort: number): { ordinal: number; name: string; httpAddress: string }[] {
  const out: { ordinal: number; name: string; httpAddress: string }[] = [];
  for (let ordinal = 0; ordinal < cfg.maxReplicas; ordinal++) {
    if (ordinal === cfg.ordinal) continue;
    const name = podNameOf(cfg, ordinal);
    out.push({ ordinal, name, httpAddress: `${podHost(cfg, name)}:${httpPort}` });
  }
  return out;
}
