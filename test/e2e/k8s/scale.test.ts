// Scaling the Raft3DCluster with kubectl (its scale subresource) while clients
// write and read through the Ingress: 3 → 5 → 3 → 1 → 3. Membership changes one
// server at a time (learner, promotion, removal), the highest ordinal leaves
// first, the cluster never goes without a leader for longer than a handover, and
// the history stays linearizable.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { at } from '../box/api/json.js';
import { RELEASE, Raft3DBox, waitFor } from '../box/raft3d-box.js';
import { summary, underLoad, type LoadResult } from '../box/under-load.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
let r3d: Raft3DBox;

function expectHealthy(r: LoadResult): void {
  const why = `${summary(r)}\n${r.report.description}\n${r3d.diagnostics()}`;
  expect({ verdict: r.report.result.result, why }).toEqual({ verdict: 'ok', why });
  expect(r.report.lostAcknowledgedJobs).toEqual([]);
  expect(r3d.monitor.violations).toEqual([]);
  // A leadership handover leaves a gap of about one sample; losing quorum would leave a long one.
  expect(r3d.monitor.longestLeaderlessMs).toBeLessThan(4000);
}

/** Members in the order they left the configurations the monitor saw. */
function removals(since: number): string[] {
  const configs = r3d.monitor.configurations.slice(Math.max(0, since - 1));
  const out: string[] = [];
  for (let i = 1; i < configs.length; i++) {
    const before = new Set(configs[i - 1]!.split(',').map((m) => m.split(':')[0]));
    const after = new Set(configs[i]!.split(',').map((m) => m.split(':')[0]));
    for (const id of before) if (!after.has(id)) out.push(id!);
  }
  return out;
}

async function scaleTo(n: number, timeoutMs: number): Promise<LoadResult> {
  r3d.monitor.resetLeaderless();
  const started = r3d.monitor.configurations.length;
  const load = await underLoad(r3d, `scale-${n}-${Date.now() % 100000}`, async () => {
    const out = await r3d.kubectl('scale', `raft3dcluster/${RELEASE}`, `--replicas=${n}`);
    expect(out.stdout).toContain('scaled');
    await r3d.waitConverged(n, timeoutMs);
    await waitFor(`the CR status to show ${n} voters`, 30_000, () => at(r3d.cr(), 'status', 'voters') === n);
  });
  (load as { removed?: string[] }).removed = removals(started);
  return load;
}

beforeAll(async () => {
  // A new pod's DNS name appears 2 s after its address, as after a cached negative answer:
  // joining members must wait for their peers' names, and peers for theirs.
  r3d = await Raft3DBox.install(repoRoot, { replicas: 3, box: { dnsPublishDelayMs: 2000 } });
}, 240_000);

afterAll(async () => {
  await r3d?.stop();
}, 60_000);

describe('cluster in a box: scaling', () => {
  test('3 → 5: two learners join and are promoted, one at a time', async () => {
    const load = await scaleTo(5, 180_000);
    expectHealthy(load);
    const configs = r3d.monitor.configurations.join(' | ');
    expect(configs).toContain('demo-3:learner');
    expect(configs).toContain('demo-4:learner');
    expect(configs.indexOf('demo-3:voter')).toBeLessThan(configs.indexOf('demo-4:learner'));
  }, 300_000);

  test('5 → 3: the highest ordinals are removed first, then the StatefulSet shrinks', async () => {
    const load = await scaleTo(3, 180_000);
    expectHealthy(load);
    expect((load as { removed?: string[] }).removed).toEqual(['demo-4', 'demo-3']);
    // The volumes stay (whenScaled: Retain).
    const pvcs = r3d.box.list('v1', 'PersistentVolumeClaim', 'raft3d').map((p) => String(at(p, 'metadata', 'name'))).sort();
    expect(pvcs).toEqual(['data-demo-0', 'data-demo-1', 'data-demo-2', 'data-demo-3', 'data-demo-4']);
  }, 300_000);

  test('3 → 1: down to the seed ordinal, leadership moved off the leaving members first', async () => {
    const load = await scaleTo(1, 180_000);
    expectHealthy(load);
    expect((load as { removed?: string[] }).removed).toEqual(['demo-2', 'demo-1']);
    expect((await r3d.leader())?.pod).toBe('demo-0');
  }, 300_000);

  test('1 → 3: the retained volumes of removed members are moved aside and they join again', async () => {
    const load = await scaleTo(3, 180_000);
    expectHealthy(load);
    expect(r3d.monitor.clusterIds.size).toBe(1);
  }, 300_000);
});
