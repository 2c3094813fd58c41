// Entry point of the operator: `node dist/operator/main.js`. Watches
// Raft3DClusters and turns each into a StatefulSet-backed Raft cluster that
// grows and shrinks one member at a time.
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { OperatorController } from './controller.js';
import { startOperatorHttp } from './http-server.js';
import { ClientNodeKubeApi } from './kube-api-client.js';
import { OperatorMetrics } from './metrics.js';
import { HttpNodeClient } from './node-client.js';
import { loadOperatorConfig, podAddress } from './operator-config.js';
import { Reconciler } from './reconciler.js';

function version(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') return pkg.version;
  } catch {
    // Falls through: the label is informative only.
  }
  return 'unknown';
}

async function main(): Promise<void> {
  const config = loadOperatorConfig(process.env);
  const logger = pino({ level: config.logLevel, base: { component: 'raft3d-operator' }, timestamp: pino.stdTimeFunctions.isoTime });
  const fatal = (error: unknown): never => {
    logger.fatal({ err: error instanceof Error ? error.message : String(error) }, 'fatal error: exiting');
    logger.flush();
    process.exit(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);

  const kc = new KubeConfig();
  kc.loadFromDefault();
  const kube = new ClientNodeKubeApi(kc);
  const metrics = new OperatorMetrics(true);
  const reconciler = new Reconciler({
    kube,
    nodes: new HttpNodeClient(),
    metrics,
    logger,
    version: version(),
    addressOf: (cr, pod) => podAddress(config.podAddressTemplate, cr, pod),
    clock: () => Date.now(),
    instance: config.instance,
    failpoint: (name) => {
      if (name !== config.failpoint) return;
      logger.warn({ failpoint: name }, 'failpoint reached: exiting');
      logger.flush();
      process.exit(17);
    },
  });
  const controller = new OperatorController(kube, reconciler, metrics, logger, { namespace: config.namespace });
  const server = await startOperatorHttp(config.listenHost, config.listenPort, { healthy: () => controller.healthy(), ready: () => controller.ready(), registry: metrics.registry });
  controller.start();
  logger.info({ namespace: config.namespace ?? '(all)', listen: `${config.listenHost}:${config.listenPort}` }, 'raft3d operator started');

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    // Nothing in flight needs finishing: every step is re-derived by the next operator.
    await Promise.race([controller.stop(), new Promise((r) => setTimeout(r, 2000))]);
    server.close();
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

void main();
