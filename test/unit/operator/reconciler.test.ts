import { describe, test, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { parse } from 'yaml';
import type { V1StatefulSet } from '@kubernetes/client-node';
import { FAILPOINTS, type Failpoint } from '../../../src/operator/executor.js';
import { OperatorMetrics } from '../../../src/operator/metrics.js';
import { Reconciler } from '../../../src/operator/reconciler.js';
import type { Condition, Raft3DClusterStatus } from '../../../src/operator/types.js';
import { crdValidator } from '../../support/k8s-schemas.js';
import { FakeKube } from './fake-kube.js';
import { SimWorld } from './sim-world.js';

const silent = pino({ level: 'silent' });
const NS = 'prints';

class Crash extends Error {}

interface Harness {
  readonly kube: FakeKube;
  readonly world: SimWorld;
  readonly metrics: OperatorMetrics;
  crashAt: ReadonlySet<Failpoint>;
  /** Times each failpoint was reached: the operator dies on every other visit, so each step is also seen completing. */
  readonly hits: Map<Failpoint, number>;
  crashes: number;
  passes: number;
}

function setup(spec: Record<string, unknown> = {}): Harness {
  const kube = new FakeKube();
  const world = new SimWorld(kube, NS, 'farm');
  kube.put('raft3dclusters', { apiVersion: 'raft3d.io/v1alpha1', kind: 'Raft3DCluster', metadata: { name: 'farm', namespace: NS }, spec: { image: 'raft3d:1.0.0', replicas: 3, ...spec } });
  return { kube, world, metrics: new OperatorMetrics(), crashAt: new Set(), hits: new Map(), crashes: 0, passes: 0 };
}

/** A brand-new operator for every pass: nothing survives between passes but the cluster itself. */
function freshOperator(h: Harness): Reconciler {
  return new Reconciler({
    kube: h.kube,
    nodes: h.world,
    metrics: h.metrics,
    logger: silent,
    version: '1.0.0',
    addressOf: (_cr, pod) => pod,
    clock: () => h.world.now,
    instance: 'test',
    failpoint: (name) => {
      const n = (h.hits.get(name) ?? 0) + 1;
      h.hits.set(name, n);
      if (h.crashAt.has(name) && n % 2 === 1) throw new Crash(name);
    },
  });
}

async function runUntil(h: Harness, done: () => boolean, maxPasses = 120): Promise<void> {
  for (let i = 0; i < maxPasses; i++) {
    h.world.step();
    h.passes++;
    try {
      await freshOperator(h).reconcile(NS, 'farm');
    } catch (error) {
      if (!(error instanceof Crash)) throw error;
      h.crashes++;
    }
    if (done()) return;
  }
  throw new Error(`not converged after ${maxPasses} passes: ${JSON.stringify(status(h).conditions?.map((c) => [c.type, c.status, c.reason, c.message]))}`);
}

function status(h: Harness): Raft3DClusterStatus {
  return (h.kube.get('raft3dclusters', NS, 'farm')?.['status'] ?? {}) as Raft3DClusterStatus;
}
function condition(h: Harness, type: Condition['type']): Condition | undefined {
  return status(h).conditions?.find((c) => c.type === type);
}
function replicas(h: Harness): number {
  return (h.kube.get('statefulsets', NS, 'farm') as V1StatefulSet | null)?.spec?.replicas ?? -1;
}
function setDesired(h: Harness, n: number): void {
  const cr = h.kube.get('raft3dclusters', NS, 'farm')!;
  h.kube.put('raft3dclusters', { ...cr, spec: { ...(cr['spec'] as object), replicas: n } });
}
const steadyAt = (h: Harness, n: number) => (): boolean =>
  replicas(h) === n &&
  h.world.voters().length === n &&
  h.world.learners().length === 0 &&
  h.kube.all('pods').length === n &&
  status(h).voters === n &&
  condition(h, 'Progressing')?.reason === 'Stable';

/** The StatefulSet sizes in the order the operator set them, and the Raft calls in between. */
function timeline(h: Harness): string[] {
  return h.kube.writes.flatMap((w) => {
    if (w.kind === 'statefulsets' && w.op === 'create') return [`sts=${(w.detail as { replicas: number }).replicas}`];
    if (w.kind === 'statefulsets' && w.op === 'scale') return [`sts=${(w.detail as { to: number }).to}`];
    if (w.kind === 'raft') return [`${w.op} ${w.name}`];
    return [];
  });
}

const crdCheck = crdValidator(parse(readFileSync(new URL('../../../charts/raft3d/crds/raft3d.io_raft3dclusters.yaml', import.meta.url), 'utf8')), 'v1alpha1');

describe('reconciler against the simulated cluster', () => {
  test('fresh install: single seed, cluster id recorded, grown one member at a time; status valid against the CRD', async () => {
    const h = setup();
    await runUntil(h, steadyAt(h, 3));
    expect(timeline(h)).toEqual(['sts=1', 'sts=2', 'sts=3']);
    expect(h.world.clusterIds).toHaveLength(1);
    const s = status(h);
    expect(s.clusterId).toBe(h.world.clusterIds[0]);
    expect(h.kube.get('configmaps', NS, 'farm-bootstrap')?.['data']).toEqual({ RAFT3D_CLUSTER_STATE: 'existing', RAFT3D_CLUSTER_ID: h.world.clusterIds[0] });
    expect(s).toMatchObject({ replicas: 3, readyReplicas: 3, voters: 3, leader: 'farm-0', selector: 'app.kubernetes.io/name=raft3d,app.kubernetes.io/instance=farm,app.kubernetes.io/component=server', observedGeneration: 1 });
    expect(s.members).toEqual([0, 1, 2].map((o) => ({ id: `farm-${o}`, role: 'voter', ready: true })));
    expect(condition(h, 'Available')).toMatchObject({ status: 'True', reason: 'QuorumHealthy' });
    expect(condition(h, 'Blocked')).toMatchObject({ status: 'False' });
    const cr = h.kube.get('raft3dclusters', NS, 'farm')!;
    expect(crdCheck({ ...cr, metadata: { name: 'farm' } } as never)).toEqual([]);
    const reasons = h.kube.events.map((e) => e.reason);
    expect(reasons.filter((r) => r === 'Bootstrapped')).toHaveLength(1);
    expect(reasons.filter((r) => r === 'ScalingUp')).toHaveLength(2);
    for (const kind of ['services', 'pdbs', 'secrets'] as const) expect(h.kube.all(kind).length).toBeGreaterThan(0);
    expect(h.kube.writes.filter((w) => w.op === 'create' && w.kind === 'services').map((w) => w.name)).toEqual(['farm-headless', 'farm']);
  });

  test('killed right after every step and restarted: converges with the same single steps, none repeated', async () => {
    const h = setup();
    h.crashAt = new Set(FAILPOINTS);
    await runUntil(h, steadyAt(h, 3));
    setDesired(h, 5);
    await runUntil(h, steadyAt(h, 5));
    h.world.leader = 'farm-4';
    setDesired(h, 2);
    await runUntil(h, steadyAt(h, 2), 200);
    expect(h.crashes).toBeGreaterThan(5);
    expect(h.world.clusterIds).toHaveLength(1);
    const t = timeline(h);
    expect(t.filter((x) => x.startsWith('sts='))).toEqual(['sts=1', 'sts=2', 'sts=3', 'sts=4', 'sts=5', 'sts=4', 'sts=3', 'sts=2']);
    expect(h.world.removals).toEqual(['farm-4', 'farm-3', 'farm-2']);
    expect(h.world.transfers).toEqual([expect.stringMatching(/^farm-4->farm-[0-3]$/)]);
    expect(h.world.quorumViolations).toEqual([]);
    const cr = h.kube.get('raft3dclusters', NS, 'farm')!;
    h.kube.put('raft3dclusters', { ...cr, spec: { ...(cr['spec'] as object), image: 'raft3d:2.0.0' } });
    await runUntil(h, () => (h.kube.get('statefulsets', NS, 'farm') as V1StatefulSet).spec?.template.spec?.containers[0]?.image === 'raft3d:2.0.0' && steadyAt(h, 2)());
    expect(h.kube.writes.filter((w) => w.op === 'replace')).toHaveLength(1);
    for (const fp of FAILPOINTS) expect(h.hits.get(fp)).toBeGreaterThanOrEqual(1);
  });

  test('scale-down: leadership leaves the target first, each removal precedes its shrink, highest ordinal first', async () => {
    const h = setup({ replicas: 5 });
    await runUntil(h, steadyAt(h, 5));
    h.world.leader = 'farm-4';
    setDesired(h, 3);
    await runUntil(h, steadyAt(h, 3));
    const t = timeline(h).slice(5);
    expect(t).toEqual([expect.stringMatching(/^transfer farm-4->/), 'remove farm-4', 'sts=4', 'remove farm-3', 'sts=3']);
    expect(h.world.quorumViolations).toEqual([]);
    expect(h.kube.events.map((e) => e.reason)).toEqual(expect.arrayContaining(['LeadershipTransferRequested', 'MemberRemoving', 'MemberRemoved', 'ScalingDown']));
    expect(status(h).lastMembershipChange).toMatchObject({ type: 'scale_down', member: 'farm-3' });
  });

  test('without config_index the shrink still waits for the removal to commit', async () => {
    const h = setup({ replicas: 3 });
    h.world.reportConfigIndex = false;
    await runUntil(h, steadyAt(h, 3));
    setDesired(h, 2);
    await runUntil(h, steadyAt(h, 2));
    expect(timeline(h).slice(3)).toEqual(['remove farm-2', 'sts=2']);
  });

  test('kubectl scale statefulset down by hand: restored, pods come back with their volumes, no membership change', async () => {
    const h = setup();
    await runUntil(h, steadyAt(h, 3));
    const sts = h.kube.get('statefulsets', NS, 'farm')!;
    h.kube.put('statefulsets', { ...sts, spec: { ...(sts['spec'] as object), replicas: 1 } });
    await runUntil(h, () => replicas(h) === 3);
    await runUntil(h, steadyAt(h, 3));
    expect(h.world.removals).toEqual([]);
    expect(h.world.clusterIds).toHaveLength(1);
    expect(h.kube.events.some((e) => e.reason === 'DriftRepaired')).toBe(true);
  });

  test('kubectl scale statefulset up by hand: the extra members are removed again one at a time', async () => {
    const h = setup();
    await runUntil(h, steadyAt(h, 3));
    const sts = h.kube.get('statefulsets', NS, 'farm')!;
    h.kube.put('statefulsets', { ...sts, spec: { ...(sts['spec'] as object), replicas: 5 } });
    await runUntil(h, steadyAt(h, 3));
    expect(h.world.removals.sort()).toEqual(['farm-3', 'farm-4']);
    expect(h.world.removals).toHaveLength(2);
    expect(h.world.quorumViolations).toEqual([]);
  });

  test('scale-down while members are unhealthy: Blocked(WouldLoseQuorum), then proceeds once they recover', async () => {
    const h = setup({ replicas: 5 });
    await runUntil(h, steadyAt(h, 5));
    h.world.down.add('farm-1');
    h.world.down.add('farm-2');
    setDesired(h, 4);
    await runUntil(h, () => condition(h, 'Blocked')?.reason === 'WouldLoseQuorum');
    for (let i = 0; i < 5; i++) {
      h.world.step();
      await freshOperator(h).reconcile(NS, 'farm');
    }
    expect(h.world.removals).toEqual([]);
    expect(condition(h, 'Blocked')).toMatchObject({ status: 'True', message: expect.stringContaining('bring the unhealthy members back') });
    expect(h.kube.events.filter((e) => e.reason === 'WouldLoseQuorum' && e.type === 'Warning')).toHaveLength(1);
    expect(await h.metrics.registry.getSingleMetricAsString('raft3d_operator_blocked')).toContain('raft3d_operator_blocked{namespace="prints",raft3d_cluster="farm",reason="WouldLoseQuorum"} 1');
    h.world.down.clear();
    await runUntil(h, steadyAt(h, 4));
    expect(h.world.removals).toEqual(['farm-4']);
    expect(condition(h, 'Blocked')).toMatchObject({ status: 'False' });
  });

  test('no leader: nothing changes (not even a requested scale-down) until one is elected', async () => {
    const h = setup();
    await runUntil(h, steadyAt(h, 3));
    h.world.down.add('farm-1');
    h.world.down.add('farm-2');
    setDesired(h, 1);
    const writesBefore = h.kube.writes.filter((w) => w.op !== 'patch-status').length;
    for (let i = 0; i < 8; i++) {
      h.world.step();
      await freshOperator(h).reconcile(NS, 'farm');
    }
    expect(h.kube.writes.filter((w) => w.op !== 'patch-status')).toHaveLength(writesBefore);
    expect(condition(h, 'Available')).toMatchObject({ status: 'False', reason: 'NoLeader' });
    expect(condition(h, 'Blocked')).toMatchObject({ status: 'True', reason: 'NoLeader' });
    h.world.down.clear();
    await runUntil(h, steadyAt(h, 1));
    expect(h.world.removals).toEqual(['farm-2', 'farm-1']);
  });

  test('a missing pod below the desired size is never removed', async () => {
    const h = setup();
    await runUntil(h, steadyAt(h, 3));
    h.world.down.add('farm-1');
    for (let i = 0; i < 10; i++) {
      h.world.step();
      await freshOperator(h).reconcile(NS, 'farm');
    }
    expect(h.world.removals).toEqual([]);
    expect(replicas(h)).toBe(3);
    expect(condition(h, 'Degraded')).toMatchObject({ status: 'True', reason: 'MemberDown' });
  });

  test('re-created resource over retained volumes: adopted with the same cluster id, no removals', async () => {
    const h = setup({ replicas: 3 });
    // What a previous install left: three volumes of cluster "old" and its configuration.
    h.world.clusterIds.push('old');
    for (let o = 0; o < 3; o++) {
      h.world.volumes.set(`data-farm-${o}`, { clusterId: 'old', incarnation: `i${o}` });
      h.world.config.set(`farm-${o}`, { role: 'voter', incarnation: `i${o}`, caughtUpSteps: 0 });
      h.kube.put('pvcs', { metadata: { name: `data-farm-${o}`, namespace: NS } });
    }
    h.world.lastLog = h.world.commit = h.world.configIndex = 40;
    await runUntil(h, steadyAt(h, 3));
    expect(timeline(h)).toEqual(['sts=3']);
    expect(h.kube.writes.find((w) => w.kind === 'configmaps' && w.op === 'create')?.detail).toEqual({ RAFT3D_CLUSTER_STATE: 'existing', RAFT3D_CLUSTER_ID: '' });
    expect(status(h).clusterId).toBe('old');
    expect(h.world.clusterIds).toEqual(['old']);
    expect(h.kube.events.map((e) => e.reason)).toContain('Adopted');
  });

  test('a new image rolls out with no membership step during the rollout', async () => {
    const h = setup();
    await runUntil(h, steadyAt(h, 3));
    const before = timeline(h).length;
    const cr = h.kube.get('raft3dclusters', NS, 'farm')!;
    h.kube.put('raft3dclusters', { ...cr, spec: { ...(cr['spec'] as object), image: 'raft3d:1.0.1' } });
    await runUntil(h, () => {
      const sts = h.kube.get('statefulsets', NS, 'farm') as V1StatefulSet | null;
      return sts?.spec?.template.spec?.containers[0]?.image === 'raft3d:1.0.1' && sts.status?.currentRevision === sts.status?.updateRevision && steadyAt(h, 3)();
    });
    expect(timeline(h).length).toBe(before);
    expect(h.kube.writes.filter((w) => w.op === 'replace')).toHaveLength(1);
    expect(status(h).observedGeneration).toBe(2);
  });

  test('a deleted resource: nothing to do, no requeue', async () => {
    const h = setup();
    h.kube.remove('raft3dclusters', NS, 'farm');
    expect(await freshOperator(h).reconcile(NS, 'farm')).toEqual({ requeueMs: null, result: 'ok', plan: null });
  });
});
