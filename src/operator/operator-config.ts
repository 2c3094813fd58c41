// The operator's environment (set by the chart's Deployment).
import { FAILPOINTS, type Failpoint } from './executor.js';
import { HTTP_PORT, names } from './names.js';
import type { Raft3DCluster } from './types.js';

export interface OperatorConfig {
  /** null: every namespace (WATCH_NAMESPACE=""). */
  readonly namespace: string | null;
  readonly listenHost: string;
  readonly listenPort: number;
  readonly logLevel: string;
  readonly instance: string;
  readonly failpoint: Failpoint | null;
  /** How the operator reaches a pod's HTTP port. */
  readonly podAddressTemplate: string;
}

export const DEFAULT_POD_ADDRESS = '{pod}.{service}.{namespace}.svc.{domain}:{port}';

export const OPERATOR_ENV: Readonly<Record<string, string>> = {
  WATCH_NAMESPACE: 'namespace to watch; empty for every namespace (default: POD_NAMESPACE)',
  RAFT3D_OPERATOR_METRICS: '/healthz, /readyz and /metrics listen address (default 0.0.0.0:8081)',
  RAFT3D_LOG_LEVEL: 'pino level (default info)',
  POD_NAME: 'reportingInstance of the Events',
  RAFT3D_OPERATOR_POD_ADDRESS: `template of a pod's HTTP address (default ${DEFAULT_POD_ADDRESS})`,
  RAFT3D_OPERATOR_FAILPOINT: `tests only: exit right after one step (${FAILPOINTS.join(', ')})`,
};

export function loadOperatorConfig(env: Readonly<Record<string, string | undefined>>): OperatorConfig {
  const watch = env['WATCH_NAMESPACE'];
  const namespace = watch === undefined ? (env['POD_NAMESPACE'] || null) : watch === '' ? null : watch;
  const listen = env['RAFT3D_OPERATOR_METRICS'] || '0.0.0.0:8081';
  const m = /^(.*):(\d{1,5})$/.exec(listen);
  if (!m || Number(m[2]) > 65535) throw new Error(`RAFT3D_OPERATOR_METRICS must be host:port, got "${listen}"`);
  const fp = env['RAFT3D_OPERATOR_FAILPOINT'] || null;
  if (fp !== null && !(FAILPOINTS as readonly string[]).includes(fp)) throw new Error(`RAFT3D_OPERATOR_FAILPOINT must be one of ${FAILPOINTS.join(', ')}, got "${fp}"`);
  return {
    namespace,
    listenHost: m[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0',
    listenPort: Number(m[2]),
    logLevel: env['RAFT3D_LOG_LEVEL'] || 'info',
    instance: env['POD_NAME'] || 'raft3d-operator',
    failpoint: fp as Failpoint | null,
    podAddressTemplate: env['RAFT3D_OPERATOR_POD_ADDRESS'] || DEFAULT_POD_ADDRESS,
  };
}

export function podAddress(template: string, cr: Raft3DCluster, pod: string): string {
  const values: Record<string, string> = {
    pod,
    service: names.headlessService(cr.metadata.name),
    namespace: cr.metadata.namespace,
    domain: cr.spec.clusterDomain,
    port: String(HTTP_PORT),
    cluster: cr.metadata.name,
  };
  return template.replace(/\{(\w+)\}/g, (all, key: string) => values[key] ?? all);
}
