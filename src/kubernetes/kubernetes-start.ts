// Start-up of a node in Kubernetes mode, before the Raft node boots: read the
// volume, probe the peers, and loop until decideStart says bootstrap, join,
// resume or rejoin. Meanwhile a stand-in HTTP server keeps the pod alive but
// NotReady, and the log says which peers are still missing.
import type { Logger } from 'pino';
import type { NodeConfig } from '../config/node-config.js';
import { moveAside } from '../persistence/data-dir.js';
import { startDiscoveryServer, stopDiscoveryServer, type DiscoveryInfo } from './discovery-server.js';
import { peerHttpAddresses, type KubernetesConfig } from './k8s-config.js';
import { readLocalState } from './local-state.js';
import { probePeers } from './peer-probe.js';
import { decideStart, type LocalState, type PeerObservation, type StartDecision } from './start-decision.js';

/** How long a node with state waits for a leader to confirm its membership before resuming. */
export const LEADER_PATIENCE_MS = 5000;
const ROUND_MS = 1000;
/** A waiting node repeats an unchanged log line this often (in rounds). */
const REPEAT_LOG_ROUNDS = 30;

export interface StartDeps {
  readonly readLocal: (dataDir: string) => Promise<LocalState>;
  readonly probe: (peers: readonly { ordinal: number; name: string; httpAddress: string }[]) => Promise<PeerObservation[]>;
  readonly moveAside: (dataDir: string) => Promise<string>;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  /** Serves probes while discovering; returns its stopper. */
  readonly serve: (host: string, port: number, info: DiscoveryInfo) => Promise<() => Promise<void>>;
}

const defaultDeps: StartDeps = {
  readLocal: readLocalState,
  probe: (peers) => probePeers(peers),
  moveAside: (dir) => moveAside(dir),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  now: () => performance.now(),
  serve: async (host, port, info) => {
    const server = await startDiscoveryServer(host, port, info);
    return () => stopDiscoveryServer(server);
  },
};

export class StartRefused extends Error {
  override readonly name = 'StartRefused';
}

/**
 * Returns the configuration to boot with (bootstrap / join seeds decided here);
 * unchanged outside Kubernetes mode. Throws StartRefused when the volume belongs
 * to another cluster than the peers': the pod must crash visibly, never merge.
 */
export async function prepareKubernetesStart(config: NodeConfig, logger: Logger, deps: StartDeps = defaultDeps): Promise<NodeConfig> {
  const k8s = config.kubernetes;
  if (k8s === undefined) return config;
  if (config.bootstrap || config.join.length > 0) logger.warn('Kubernetes mode decides between bootstrap and join itself: ignoring -bootstrap / -join');

  const local = await deps.readLocal(config.dataDir);
  const info: DiscoveryInfo = { id: config.id, clusterId: local.kind === 'member' ? local.clusterId : '', reason: 'discovering peers' };
  const [host, port] = splitHostPort(config.httpListen);
  const stop = await deps.serve(host, port, info);
  const onSignal = (): void => {
    logger.info('stopped while discovering peers');
    logger.flush();
    process.exit(0);
  };
  // PID 1 ignores signals it has no handler for: without this, SIGTERM waits for the grace period.
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    const decision = await discover(config, k8s, local, info, logger, deps);
    return await apply(config, decision, logger, deps);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await stop();
  }
}

async function discover(
  config: NodeConfig,
  k8s: KubernetesConfig,
  local: LocalState,
  info: DiscoveryInfo,
  logger: Logger,
  deps: StartDeps,
): Promise<Exclude<StartDecision, { kind: 'wait' | 'refuse' }>> {
  const peers = peerHttpAddresses(k8s, splitHostPort(config.http)[1]);
  const started = deps.now();
  let lastLine = '';
  for (let round = 0; ; round++) {
    const observed = await deps.probe(peers);
    const decision = decideStart({
      self: { name: k8s.podName, ordinal: k8s.ordinal },
      expectedReplicas: k8s.expectedReplicas,
      clusterState: k8s.clusterState,
      expectedClusterId: k8s.expectedClusterId,
      local,
      peers: observed,
      mayWaitForLeader: deps.now() - started < LEADER_PATIENCE_MS,
    });
    if (decision.kind === 'refuse') throw new StartRefused(decision.reason);
    if (decision.kind !== 'wait') return decision;
    info.reason = decision.reason;
    const line = `${decision.reason}|${decision.missing.join(',')}`;
    if (line !== lastLine || round % REPEAT_LOG_ROUNDS === 0) {
      const answered = observed.filter((p) => p.status !== null).map((p) => `${p.name}:${p.status!.clusterId === '' ? 'no cluster' : p.status!.clusterId}`);
      logger.info({ waiting: decision.reason, missing: decision.missing, answered, round }, `not started yet: ${decision.reason}`);
      lastLine = line;
    }
    // Jitter keeps pods that started together from probing in lockstep.
    await deps.sleep(ROUND_MS + Math.floor(Math.random() * 250));
  }
}

async function apply(config: NodeConfig, decision: Exclude<StartDecision, { kind: 'wait' | 'refuse' }>, logger: Logger, deps: StartDeps): Promise<NodeConfig> {
  switch (decision.kind) {
    case 'bootstrap': {
      if (decision.moveAsideFirst) {
        const aside = await deps.moveAside(config.dataDir);
        logger.info({ movedTo: aside }, 'moved an unjoined data directory aside before creating the cluster');
      }
      logger.info({ decision: 'bootstrap' }, `creating a new cluster: ${decision.reason}`);
      return { ...config, bootstrap: true, join: [] };
    }
    case 'join':
      logger.info({ decision: 'join', clusterId: decision.clusterId, seeds: decision.seeds }, `joining as a learner: ${decision.reason}`);
      return { ...config, bootstrap: false, join: decision.seeds };
    case 'rejoin': {
      const aside = await deps.moveAside(config.dataDir);
      logger.warn({ decision: 'rejoin', clusterId: decision.clusterId, movedTo: aside, seeds: decision.seeds }, `moved the old data aside, joining again as a learner: ${decision.reason}`);
      return { ...config, bootstrap: false, join: decision.seeds };
    }
    case 'resume':
      logger.info({ decision: 'resume' }, `resuming as the same member: ${decision.reason}`);
      return { ...config, bootstrap: false, join: [] };
  }
}

function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), Number(address.slice(i + 1))];
}
