// Entry point of a Raft3D node: `node dist/main.js -id=node1 -http=... -raft=... -data=... [-bootstrap|-join=...]`.
import { ConfigError, helpText, loadNodeConfig, wantsHelp, type NodeConfig } from './config/node-config.js';
import { createLogger } from './logging.js';
import { PrintFarmStateMachine, type CommandResult } from './domain/print-farm.state-machine.js';
import { RaftMetrics } from './metrics/raft-metrics.js';
import { bootRaftNode } from './consensus/runtime/boot.js';
import type { RaftNode } from './consensus/runtime/raft-node.js';
import { prepareKubernetesStart } from './kubernetes/kubernetes-start.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    process.stdout.write(`${helpText()}\n`);
    return;
  }
  let config: NodeConfig;
  try {
    config = loadNodeConfig(argv, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`raft3d: ${error.message}\n\n${helpText()}\n`);
    process.exit(2);
  }

  let node: RaftNode<CommandResult> | null = null;
  const logger = createLogger(config.id, config.logLevel, () => node);
  const fatal = (error: unknown): never => {
    logger.fatal({ err: error }, 'fatal error: exiting');
    process.exit(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);

  // Kubernetes mode: probe the peers and decide bootstrap / join / resume before the node boots.
  config = await prepareKubernetesStart(config, logger);

  const stateMachine = new PrintFarmStateMachine();
  const metrics = new RaftMetrics();
  const booted = await bootRaftNode<CommandResult>(
    {
      id: config.id,
      raftAddress: config.raft,
      raftListen: config.raftListen,
      ...(config.raftBindOutbound !== undefined ? { raftBindOutbound: config.raftBindOutbound } : {}),
      httpAddress: config.http,
      dataDir: config.dataDir,
      bootstrap: config.bootstrap,
      ...(config.clusterToken ? { clusterToken: config.clusterToken } : {}),
      raft: config.raftOptions,
    },
    stateMachine,
    logger,
    metrics,
    fatal,
  );
  node = booted.node;
  metrics.bind(node, stateMachine);

  // Nest, Fastify and the controllers are most of a node's start-up time (a
  // second or more of module loading on a busy machine). They are loaded only
  // now, after the Raft node is up: a restarted node already catches up with
  // the leader (snapshot, log) while they load, instead of after.
  const [{ startHttpApp }, { joinCluster }] = await Promise.all([import('./http-app.js'), import('./cluster/join-client.js')]);
  const app = await startHttpApp({
    deps: { node, stateMachine, metrics, clusterToken: config.clusterToken, requestTimeoutMs: config.requestTimeoutMs },
    bodyLimitBytes: config.bodyLimitBytes,
    listen: config.httpListen,
    logger,
  });
  logger.info({ http: config.http, raft: config.raft, data: config.dataDir, mode: booted.mode }, 'raft3d node started');

  if (booted.mode === 'resumed' && config.join.length > 0) {
    logger.warn({ clusterId: node.clusterId, join: config.join }, 'ignoring -join: this node already belongs to a cluster (move its data directory aside to join another)');
  }
  if (booted.mode === 'joining') {
    if (config.join.length === 0) logger.warn('this node has no cluster yet: start it with -join=HOST:PORT (or -bootstrap for a new cluster)');
    else void joinCluster(node as RaftNode<unknown>, { seeds: config.join, raftAddress: config.raft, httpAddress: config.http, token: config.clusterToken }, logger);
  }

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const n = node!;
    logger.info({ signal }, 'shutting down');
    n.beginDraining();
    await n.handOffLeadership(config.shutdownTimeoutMs);
    await app.close();
    await n.stop();
    logger.info('stopped');
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

void main();
