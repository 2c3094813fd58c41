// The box's single node: binds every unscheduled pod to itself (the scheduler's
// job, trivial with one node) and runs a PodWorker per pod. A deletionTimestamp
// starts the graceful stop; a pod that vanishes without one (force delete) is
// killed at once.
import { at, num, str, type Obj } from '../api/json.js';
import { nowTimestamp, type WatchEvent } from '../api/store.js';
import { PodWorker, type KubeletContext } from './pod-worker.js';

export class Kubelet {
  private readonly workers = new Map<string, PodWorker>();
  private unsubscribe: (() => void) | null = null;
  private stopped = false;

  constructor(private readonly ctx: KubeletContext) {}

  start(): void {
    const store = this.ctx.store;
    const nodes = store.typeFor('', 'v1', 'nodes')!;
    if (store.tryGet(nodes, '', this.ctx.nodeName) === null) {
      const node = store.create(nodes, '', { metadata: { name: this.ctx.nodeName, labels: { 'kubernetes.io/hostname': this.ctx.nodeName, 'kubernetes.io/os': 'linux' } } });
      store.update(nodes, '', this.ctx.nodeName, { ...node, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastTransitionTime: nowTimestamp() }], addresses: [{ type: 'InternalIP', address: this.ctx.network.hostIp }] } }, 'status');
    }
    const pods = store.typeFor('', 'v1', 'pods')!;
    this.unsubscribe = store.watch(pods, null, '0', () => true, () => true, (ev) => this.onEvent(ev));
  }

  /** Stops every pod: gracefully within `graceMs`, then by force. */
  async stop(graceMs = 2000): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    for (const w of this.workers.values()) w.terminate(graceMs, graceMs === 0);
    await Promise.all([...this.workers.values()].map((w) => w.done));
    this.workers.clear();
  }

  worker(namespace: string, name: string): PodWorker | null {
    for (const w of this.workers.values()) if (w.namespace === namespace && w.name === name) return w;
    return null;
  }

  private onEvent(ev: WatchEvent): void {
    if (this.stopped) return;
    const pod = ev.object;
    const uid = str(at(pod, 'metadata', 'uid')) ?? '';
    const ns = str(at(pod, 'metadata', 'namespace')) ?? '';
    const name = str(at(pod, 'metadata', 'name')) ?? '';
    if (ev.type === 'DELETED') {
      this.workers.get(uid)?.terminate(0, true);
      return;
    }
    const nodeName = str(at(pod, 'spec', 'nodeName'));
    if (nodeName === undefined) {
      // Defer the binding: this runs inside the store's commit of the pod.
      setImmediate(() => this.bind(ns, name, uid));
      return;
    }
    if (nodeName !== this.ctx.nodeName) return;
    let worker = this.workers.get(uid);
    const deleting = at(pod, 'metadata', 'deletionTimestamp') !== undefined;
    if (worker === undefined) {
      if (deleting) {
        setImmediate(() => this.forget(ns, name, uid));
        return;
      }
      worker = new PodWorker(this.ctx, ns, name, uid);
      this.workers.set(uid, worker);
      void worker.done.then(() => this.workers.delete(uid));
      worker.start();
    }
    if (deleting) worker.terminate((num(at(pod, 'metadata', 'deletionGracePeriodSeconds')) ?? 30) * 1000, false);
  }

  private bind(ns: string, name: string, uid: string): void {
    const pods = this.ctx.store.typeFor('', 'v1', 'pods')!;
    const pod = this.ctx.store.tryGet(pods, ns, name);
    if (pod === null || at(pod, 'metadata', 'uid') !== uid || at(pod, 'spec', 'nodeName') !== undefined) return;
    const spec = { ...(pod['spec'] as Obj), nodeName: this.ctx.nodeName };
    this.ctx.store.update(pods, ns, name, { ...pod, spec });
  }

  /** A deleting pod that never ran here: nothing to stop, so it goes at once. */
  private forget(ns: string, name: string, uid: string): void {
    const pods = this.ctx.store.typeFor('', 'v1', 'pods')!;
    try {
      this.ctx.store.delete(pods, ns, name, { gracePeriodSeconds: 0, preconditions: { uid } });
    } catch {
      // Gone already.
    }
  }
}
