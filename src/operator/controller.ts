// Wires the operator together: supervised informers on Raft3DClusters,
// StatefulSets and Pods map every event to the owning resource's key; a work
// queue runs one reconcile per key at a time; a periodic resync re-queues every
// resource regardless of events, so a missed or duplicated event never matters.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeApi, WatchedKind } from './kube-api.js';
import type { OperatorMetrics } from './metrics.js';
import type { Reconciler } from './reconciler.js';
import { SupervisedInformer, type SupervisorOptions } from './informers.js';
import { WorkQueue } from './work-queue.js';

export const RESYNC_MS = 30_000;

export interface ControllerOptions {
  /** null: every namespace. */
  readonly namespace: string | null;
  readonly resyncMs?: number;
  readonly informer?: SupervisorOptions;
  readonly minBackoffMs?: number;
}

/** The resource a watched object belongs to, as "namespace/name". */
export function keyOf(kind: WatchedKind, obj: KubernetesObject): string | null {
  const ns = obj.metadata?.namespace;
  const name = kind === 'raft3dclusters' ? obj.metadata?.name : obj.metadata?.labels?.['app.kubernetes.io/instance'];
  return ns && name ? `${ns}/${name}` : null;
}

export class OperatorController {
  private readonly queue: WorkQueue;
  private readonly informers: SupervisedInformer[];
  private resync: NodeJS.Timeout | null = null;
  private lastResync = Date.now();
  private readonly resyncMs: number;

  constructor(
    kube: KubeApi,
    private readonly reconciler: Reconciler,
    metrics: OperatorMetrics,
    private readonly logger: Logger,
    options: ControllerOptions,
  ) {
    this.resyncMs = options.resyncMs ?? RESYNC_MS;
    this.queue = new WorkQueue((key) => this.work(key), {
      ...(options.minBackoffMs !== undefined ? { minBackoffMs: options.minBackoffMs } : {}),
      onError: (key, error, retryInMs) => logger.error({ key, err: error instanceof Error ? error.message : String(error), retryInMs }, 'reconcile failed'),
    });
    const kinds: WatchedKind[] = ['raft3dclusters', 'statefulsets', 'pods'];
    this.informers = kinds.map(
      (kind) =>
        new SupervisedInformer(
          kind,
          () => kube.informer(kind, options.namespace),
          (obj) => {
            const key = keyOf(kind, obj);
            if (key !== null) this.queue.add(key);
          },
          logger,
          {
            ...options.informer,
            onRestart: (k, why) => {
              metrics.informerRestarts.inc({ resource: k });
              logger.info({ resource: k, why }, 'informer re-created');
              options.informer?.onRestart?.(k, why);
            },
          },
        ),
    );
  }

  start(): void {
    for (const inf of this.informers) inf.start();
    this.resync = setInterval(() => this.resyncAll(), this.resyncMs);
  }

  async stop(): Promise<void> {
    if (this.resync !== null) clearInterval(this.resync);
    this.resync = null;
    this.queue.stop();
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  /** /readyz: every informer listed and watching since its last (re)start. */
  ready(): boolean {
    return this.informers.every((i) => i.isSynced);
  }

  /** /healthz: the resync loop runs (the informers restart themselves). */
  healthy(): boolean {
    return Date.now() - this.lastResync < 3 * this.resyncMs;
  }

  enqueue(key: string, delayMs = 0): void {
    this.queue.add(key, delayMs);
  }

  drained(): Promise<void> {
    return this.queue.drained();
  }

  private resyncAll(): void {
    this.lastResync = Date.now();
    const clusters = this.informers.find((i) => i.kind === 'raft3dclusters')!;
    for (const obj of clusters.list()) {
      const key = keyOf('raft3dclusters', obj);
      if (key !== null) this.queue.add(key);
    }
  }

  private async work(key: string): Promise<number | null> {
    const slash = key.indexOf('/');
    const outcome = await this.reconciler.reconcile(key.slice(0, slash), key.slice(slash + 1));
    if (outcome.plan !== null && outcome.plan.kind !== 'steady') {
      this.logger.debug({ key, result: outcome.result, requeueMs: outcome.requeueMs }, 'reconciled');
    }
    return outcome.requeueMs;
  }
}
