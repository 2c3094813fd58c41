// Entry point of a Raft3D node: `node dist/main.js -id=node1 -http=... -raft=... -data=... [-bootstrap|-join=...]`.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigError, helpText, loadNodeConfig, wantsHelp, type NodeConfig } from './config/node-config.js';
import { createLogger, NestPinoLogger } from './logging.js';
import { PrintFarmStateMachine, type CommandResult } from './domain/print-farm.state-machine.js';
import { RaftMetrics } from './metrics/raft-metrics.js';
import { installHttpMetrics } from './metrics/metrics.module.js';
import { bootRaftNode } from './consensus/runtime/boot.js';
import type { RaftNode } from './consensus/runtime/raft-node.js';
import { AppModule } from './app.module.js';
import { configureHttp, createFastifyAdapter } from './http/index.js';
import { joinCluster } from './cluster/join-client.js';
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

  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register({ node, stateMachine, metrics, clusterToken: config.clusterToken, requestTimeoutMs: config.requestTimeoutMs }),
    createFastifyAdapter({ bodyLimit: config.bodyLimitBytes }),
    { logger: new NestPinoLogger(logger) },
  );
  configureHttp(app);
  installHttpMetrics(app.getHttpAdapter().getInstance(), metrics);
  const [host, port] = splitHostPort(config.httpListen);
  await app.listen(port, host);
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

function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), Number(address.slice(i + 1))];
}

void main();
