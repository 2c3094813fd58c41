// Command line and environment of a Raft3D node. Compatible with the original
// Raft3D flags (-id -http -raft -data -bootstrap -join); every flag has an
// environment variable for containers. Flags win over the environment.
import { isIP } from 'node:net';
import { DEFAULT_RAFT_OPTIONS, type RaftNodeOptions } from '../consensus/runtime/node-options.js';
import { KUBERNETES_ENV, KubernetesConfigError, kubernetesConfigFromEnv, kubernetesFlagDefaults, type KubernetesConfig } from '../kubernetes/k8s-config.js';

export interface NodeConfig {
  readonly id: string;
  /** Advertised HTTP address (host:port). */
  readonly http: string;
  /** Where the HTTP server binds (defaults to http). */
  readonly httpListen: string;
  /** Advertised Raft address (host:port; a DNS name in Kubernetes). */
  readonly raft: string;
  /** Where the peer listener binds (defaults to raft). */
  readonly raftListen: string;
  /** Source IP of dialled peer connections; undefined lets the OS choose. */
  readonly raftBindOutbound: string | undefined;
  readonly dataDir: string;
  readonly bootstrap: boolean;
  /** HTTP addresses of existing members to join through. */
  readonly join: readonly string[];
  readonly clusterToken: string | undefined;
  readonly requestTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly bodyLimitBytes: number;
  readonly logLevel: string;
  readonly raftOptions: RaftNodeOptions;
  /** Set in Kubernetes mode (RAFT3D_K8S_HEADLESS_SERVICE): start-up decides bootstrap or join from the peers. */
  readonly kubernetes?: KubernetesConfig;
}

interface FlagSpec {
  readonly env: string;
  readonly help: string;
  readonly boolean?: boolean;
}

export const FLAGS: Readonly<Record<string, FlagSpec>> = {
  id: { env: 'RAFT3D_ID', help: 'node id, unique in the cluster (e.g. node1)' },
  http: { env: 'RAFT3D_HTTP', help: 'HTTP address to advertise and serve on, host:port (e.g. 127.0.0.1:8001)' },
  'http-listen': { env: 'RAFT3D_HTTP_LISTEN', help: 'HTTP bind address when it differs from -http (e.g. 0.0.0.0:8001)' },
  raft: { env: 'RAFT3D_RAFT', help: 'Raft peer address to advertise and listen on, host:port (e.g. 127.0.0.1:9001)' },
  'raft-listen': { env: 'RAFT3D_RAFT_LISTEN', help: 'peer bind address when it differs from -raft (e.g. 0.0.0.0:9001)' },
  'raft-bind-outbound': { env: 'RAFT3D_RAFT_BIND_OUTBOUND', help: 'source IP of connections dialled to peers (e.g. 127.0.0.11; default: chosen by the OS)' },
  data: { env: 'RAFT3D_DATA', help: 'data directory (log, term/vote, snapshots)' },
  bootstrap: { env: 'RAFT3D_BOOTSTRAP', help: 'create a new cluster with this node as its first member (ignored when the node has state)', boolean: true },
  join: { env: 'RAFT3D_JOIN', help: 'HTTP address(es) of existing members to join through, comma-separated' },
  'cluster-token': { env: 'RAFT3D_CLUSTER_TOKEN', help: 'shared secret required by cluster-changing endpoints and peer connections' },
  'request-timeout-ms': { env: 'RAFT3D_REQUEST_TIMEOUT_MS', help: 'deadline of a client request before 503 (default 5000)' },
  'shutdown-timeout-ms': { env: 'RAFT3D_SHUTDOWN_TIMEOUT_MS', help: 'time a stopping leader spends handing off leadership (default 2000)' },
  'body-limit-bytes': { env: 'RAFT3D_BODY_LIMIT_BYTES', help: 'largest accepted request body (default 1048576)' },
  'tick-ms': { env: 'RAFT3D_TICK_MS', help: 'Raft tick in ms (default 100)' },
  'heartbeat-ticks': { env: 'RAFT3D_HEARTBEAT_TICKS', help: 'heartbeat interval in ticks (default 1)' },
  'election-ticks': { env: 'RAFT3D_ELECTION_TICKS', help: 'base election timeout in ticks, randomized up to 2x (default 10)' },
  'snapshot-threshold': { env: 'RAFT3D_SNAPSHOT_THRESHOLD', help: 'entries applied between automatic snapshots (default 10000)' },
  'snapshot-trailing': { env: 'RAFT3D_SNAPSHOT_TRAILING', help: 'log entries kept behind a snapshot (default 5000)' },
  'snapshot-chunk-bytes': { env: 'RAFT3D_SNAPSHOT_CHUNK_BYTES', help: 'InstallSnapshot chunk size (default 1048576)' },
  'max-inflight': { env: 'RAFT3D_MAX_INFLIGHT', help: 'AppendEntries messages in flight per follower (default 64)' },
  'log-level': { env: 'RAFT3D_LOG_LEVEL', help: 'trace, debug, info, warn, error (default info)' },
  help: { env: '', help: 'print this help', boolean: true },
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses `-flag=value`, `-flag value`, `--flag=value`, `--flag value` and boolean `-flag`. */
export function parseFlags(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([a-z][a-z-]*)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new ConfigError(`unexpected argument "${arg}" (flags look like -id=node1)`);
    const name = m[1]!;
    const spec = FLAGS[name];
    if (!spec) throw new ConfigError(`unknown flag -${name} (see --help)`);
    if (m[2] !== undefined) out.set(name, m[2]);
    else if (spec.boolean) out.set(name, 'true');
    else {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('-')) throw new ConfigError(`flag -${name} needs a value`);
      out.set(name, value);
      i++;
    }
  }
  return out;
}

export function helpText(): string {
  const lines = [
    'Usage: node dist/main.js -id=ID -http=HOST:PORT -raft=HOST:PORT [-data=DIR] [-bootstrap | -join=HOST:PORT[,...]]',
    '',
    'Flags (each also read from the environment variable shown):',
  ];
  for (const [name, spec] of Object.entries(FLAGS)) {
    const flag = `-${name}${spec.boolean ? '' : '=VALUE'}`;
    lines.push(`  ${flag.padEnd(28)} ${spec.env.padEnd(28)} ${spec.help}`);
  }
  lines.push('', 'Restarting a node with its data directory needs neither -bootstrap nor -join.');
  lines.push('', 'Kubernetes mode (id, addresses and data directory default from the pod; bootstrap or join is decided at start-up):');
  for (const [name, help] of Object.entries(KUBERNETES_ENV)) lines.push(`  ${name.padEnd(57)} ${help}`);
  return lines.join('\n');
}

export function wantsHelp(argv: readonly string[]): boolean {
  return argv.some((a) => a === '-help' || a === '--help' || a === '-h');
}

export function loadNodeConfig(argv: readonly string[], env: NodeJS.ProcessEnv): NodeConfig {
  const flags = parseFlags(argv);
  let kubernetes: KubernetesConfig | null;
  try {
    kubernetes = kubernetesConfigFromEnv(env);
  } catch (error) {
    if (error instanceof KubernetesConfigError) throw new ConfigError(error.message);
    throw error;
  }
  const k8sDefaults: Readonly<Record<string, string>> = kubernetes ? kubernetesFlagDefaults(kubernetes) : {};
  const get = (name: string): string | undefined => {
    const v = flags.get(name) ?? (env[FLAGS[name]!.env] || undefined) ?? k8sDefaults[name];
    return v === undefined || v === '' ? undefined : v;
  };
  const required = (name: string): string => {
    const v = get(name);
    if (v === undefined) throw new ConfigError(`missing -${name} (or ${FLAGS[name]!.env})`);
    return v;
  };
  const bool = (name: string): boolean => {
    const v = get(name);
    if (v === undefined) return false;
    if (/^(1|true|yes)$/i.test(v)) return true;
    if (/^(0|false|no)$/i.test(v)) return false;
    throw new ConfigError(`-${name} must be true or false, got "${v}"`);
  };
  const int = (name: string, fallback: number, min: number): number => {
    const v = get(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min) throw new ConfigError(`-${name} must be an integer ≥ ${min}, got "${v}"`);
    return Number(v);
  };

  const id = required('id');
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(id)) throw new ConfigError(`-id must be 1–128 characters of A-Z a-z 0-9 . _ : -, got "${id}"`);
  const http = hostPort('http', required('http'));
  const raft = hostPort('raft', required('raft'));
  const bootstrap = bool('bootstrap');
  const join = (get('join') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => hostPort('join', s));
  if (bootstrap && join.length > 0) throw new ConfigError('-bootstrap and -join exclude each other');
  const d = DEFAULT_RAFT_OPTIONS;
  const heartbeatTicks = int('heartbeat-ticks', d.timing.heartbeatTicks, 1);
  const electionTicks = int('election-ticks', d.timing.electionTicks, 2);
  if (electionTicks <= heartbeatTicks) throw new ConfigError('-election-ticks must be larger than -heartbeat-ticks');
  const trailing = int('snapshot-trailing', d.snapshot.trailing, 0);
  return {
    id,
    http,
    httpListen: hostPort('http-listen', get('http-listen') ?? http),
    raft,
    raftListen: hostPort('raft-listen', get('raft-listen') ?? raft),
    raftBindOutbound: ipAddress('raft-bind-outbound', get('raft-bind-outbound')),
    dataDir: get('data') ?? `./data/${id}`,
    bootstrap,
    join,
    clusterToken: get('cluster-token'),
    requestTimeoutMs: int('request-timeout-ms', 5000, 1),
    shutdownTimeoutMs: int('shutdown-timeout-ms', 2000, 0),
    bodyLimitBytes: int('body-limit-bytes', 1024 * 1024, 1024),
    logLevel: get('log-level') ?? 'info',
    raftOptions: {
      ...d,
      timing: { tickMs: int('tick-ms', d.timing.tickMs, 1), heartbeatTicks, electionTicks },
      snapshot: {
        ...d.snapshot,
        threshold: int('snapshot-threshold', d.snapshot.threshold, 1),
        trailing,
        chunkBytes: int('snapshot-chunk-bytes', d.snapshot.chunkBytes, 1024),
      },
      maxInflight: int('max-inflight', d.maxInflight, 1),
    },
    ...(kubernetes ? { kubernetes } : {}),
  };
}

function ipAddress(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (isIP(value) === 0) throw new ConfigError(`-${flag} must be an IP address, got "${value}"`);
  return value;
}

function hostPort(flag: string, value: string): string {
  const m = /^(.+):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new ConfigError(`-${flag} must be host:port, got "${value}"`);
  return value;
}
