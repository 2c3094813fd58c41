import { describe, test, expect } from '@jest/globals';
import { pino } from 'pino';
import type { KubernetesObject } from '@kubernetes/client-node';
import { OperatorController, keyOf } from '../../../src/operator/controller.js';
import { SupervisedInformer } from '../../../src/operator/informers.js';
import { OperatorMetrics } from '../../../src/operator/metrics.js';
import { Reconciler } from '../../../src/operator/reconciler.js';
import { WorkQueue } from '../../../src/operator/work-queue.js';
import { FakeKube } from './fake-kube.js';
import { SimWorld } from './sim-world.js';

const silent = pino({ level: 'silent' });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, pred: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('WorkQueue', () => {
  test('deduplicates a key, keeps the earliest time, runs one at a time and re-runs a key added meanwhile', async () => {
    const runs: string[] = [];
    let release: () => void = () => undefined;
    let block = true;
    const q = new WorkQueue(async (key) => {
      runs.push(key);
      if (block && key === 'a') await new Promise<void>((r) => (release = r));
      return null;
    });
    q.add('a', 50);
    q.add('a', 0);
    q.add('a', 30);
    q.add('b');
    await waitFor('a to start', () => runs.includes('a'));
    q.add('a');
    await sleep(20);
    expect(runs.filter((k) => k === 'a')).toHaveLength(1);
    block = false;
    release();
    await q.drained();
    expect(runs.sort()).toEqual(['a', 'a', 'b']);
    q.stop();
  });

  test('requeues when asked and backs off exponentially on failure', async () => {
    const times: number[] = [];
    const errors: number[] = [];
    const q = new WorkQueue(
      async () => {
        times.push(Date.now());
        if (times.length <= 3) throw new Error('boom');
        return times.length < 5 ? 5 : null;
      },
      { minBackoffMs: 10, maxBackoffMs: 25, onError: (_k, _e, retry) => errors.push(retry) },
    );
    q.add('k');
    await waitFor('five runs', () => times.length >= 5);
    await q.drained();
    expect(errors).toEqual([10, 20, 25]);
    expect(times).toHaveLength(5);
    q.stop();
  });
});

describe('SupervisedInformer', () => {
  test('an informer that fails to start is re-created with backoff until it syncs; objects are delivered after', async () => {
    const kube = new FakeKube();
    kube.failInformerStarts = 2;
    const seen: string[] = [];
    const restarts: string[] = [];
    const inf = new SupervisedInformer('pods', () => kube.informer('pods', null), (o) => seen.push(o.metadata!.name!), silent, {
      minBackoffMs: 5,
      maxBackoffMs: 20,
      onRestart: (_k, why) => restarts.push(why),
    });
    inf.start();
    await waitFor('sync', () => inf.isSynced);
    expect(restarts).toEqual(['error', 'error']);
    kube.put('pods', { metadata: { name: 'farm-0', namespace: 'ns' } } as never);
    expect(seen).toEqual(['farm-0']);
    await inf.stop();
  });

  test('a list that fails while start() still resolves (client-node) is not taken for a sync', async () => {
    const kube = new FakeKube();
    kube.failInformerListsQuietly = 1;
    const restarts: string[] = [];
    const inf = new SupervisedInformer('raft3dclusters', () => kube.informer('raft3dclusters', null), () => undefined, silent, { minBackoffMs: 30, onRestart: (_k, why) => restarts.push(why) });
    inf.start();
    await sleep(10);
    expect(inf.isSynced).toBe(false);
    await waitFor('sync after the restart', () => inf.isSynced);
    expect(restarts).toEqual(['error']);
    await inf.stop();
  });

  test('an informer that stops with an error (client-node stops for good) is re-created and re-lists', async () => {
    const kube = new FakeKube();
    kube.put('pods', { metadata: { name: 'farm-0', namespace: 'ns' } } as never);
    const seen: string[] = [];
    const inf = new SupervisedInformer('pods', () => kube.informer('pods', null), (o) => seen.push(o.metadata!.name!), silent, { minBackoffMs: 5 });
    inf.start();
    await waitFor('sync', () => inf.isSynced);
    kube.breakInformers();
    expect(inf.isSynced).toBe(false);
    kube.put('pods', { metadata: { name: 'farm-1', namespace: 'ns' } } as never);
    await waitFor('re-sync', () => inf.isSynced);
    // The missed add is recovered from the re-list.
    expect(seen).toEqual(expect.arrayContaining(['farm-0', 'farm-1']));
    expect(kube.runningInformers()).toBe(1);
    await inf.stop();
  });

  test('a silent watch is restarted by the watchdog', async () => {
    const kube = new FakeKube();
    const restarts: string[] = [];
    const inf = new SupervisedInformer('statefulsets', () => kube.informer('statefulsets', null), () => undefined, silent, { watchdogMs: 40, onRestart: (_k, why) => restarts.push(why) });
    inf.start();
    await waitFor('watchdog restart', () => restarts.length > 0, 2000);
    expect(restarts[0]).toMatch(/^no event for/);
    await inf.stop();
  });
});

describe('OperatorController', () => {
  test('maps objects to their resource', () => {
    const sts: KubernetesObject = { metadata: { name: 'farm', namespace: 'ns', labels: { 'app.kubernetes.io/instance': 'farm' } } };
    expect(keyOf('statefulsets', sts)).toBe('ns/farm');
    expect(keyOf('pods', { metadata: { name: 'farm-2', namespace: 'ns', labels: { 'app.kubernetes.io/instance': 'farm' } } })).toBe('ns/farm');
    expect(keyOf('raft3dclusters', { metadata: { name: 'farm', namespace: 'ns' } })).toBe('ns/farm');
    expect(keyOf('pods', { metadata: { name: 'x', namespace: 'ns' } })).toBeNull();
  });

  test('events drive reconciles; after the watches break they are re-created and still do; /readyz follows', async () => {
    const kube = new FakeKube();
    const world = new SimWorld(kube, 'ns', 'farm');
    const metrics = new OperatorMetrics();
    const reconciler = new Reconciler({ kube, nodes: world, metrics, logger: silent, version: 't', addressOf: (_c, p) => p, clock: () => world.now, instance: 't', failpoint: () => undefined });
    const controller = new OperatorController(kube, reconciler, metrics, silent, { namespace: 'ns', resyncMs: 1000, informer: { minBackoffMs: 5 } });
    controller.start();
    try {
      await waitFor('ready', () => controller.ready());
      expect(controller.healthy()).toBe(true);
      kube.put('raft3dclusters', { apiVersion: 'raft3d.io/v1alpha1', kind: 'Raft3DCluster', metadata: { name: 'farm', namespace: 'ns' }, spec: { image: 'raft3d:1', replicas: 1 } } as never);
      await waitFor('the StatefulSet', () => kube.get('statefulsets', 'ns', 'farm') !== null);
      kube.breakInformers();
      expect(controller.ready()).toBe(false);
      await waitFor('informers back', () => controller.ready() && kube.runningInformers() === 3);
      expect(await metrics.registry.getSingleMetricAsString('raft3d_operator_informer_restarts_total')).toMatch(/resource="raft3dclusters"} [1-9]/);
      // The simulated pods start; their events (through the new informers) drive the seed's bootstrap to be recorded.
      for (let i = 0; i < 6; i++) world.step();
      await waitFor('cluster id recorded', () => (kube.get('raft3dclusters', 'ns', 'farm')?.['status'] as { clusterId?: string } | undefined)?.clusterId === world.clusterIds[0]);
    } finally {
      await controller.stop();
    }
    expect(await metrics.registry.getSingleMetricAsString('raft3d_operator_reconcile_total')).toMatch(/result="ok"} [1-9]/);
  });
});
