// A member's volume wiped while the others run (its PVC deleted with its pod: the
// StatefulSet gives it a new, empty one): it joins again as a new incarnation and
// never founds a second cluster, even as ordinal 0. Then a rolling restart of
// every pod by `helm upgrade` (a changed pod template): one pod at a time, and
// writes go on throughout.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arr, at, isObj, str } from '../box/api/json.js';
import { NAMESPACE, RELEASE, Raft3DBox, waitFor } from '../box/raft3d-box.js';
import { summary, underLoad, type LoadResult } from '../box/under-load.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
let r3d: Raft3DBox;

function expectHealthy(r: LoadResult): void {
  const why = `${summary(r)}\n${r.report.description}\n${r3d.diagnostics()}`;
  expect({ verdict: r.report.result.result, why }).toEqual({ verdict: 'ok', why });
  expect(r.report.lostAcknowledgedJobs).toEqual([]);
  expect(r3d.monitor.violations).toEqual([]);
}

async function incarnationOf(id: string): Promise<string> {
  const l = await r3d.leader();
  const m = arr(l?.status['members']).filter(isObj).find((x) => x['id'] === id);
  return str(m?.['incarnation']) ?? '';
}

beforeAll(async () => {
  r3d = await Raft3DBox.install(repoRoot, { replicas: 3 });
}, 240_000);

afterAll(async () => {
  await r3d?.stop();
}, 60_000);

describe('cluster in a box: volumes and rollouts', () => {
  test("pod 0's volume wiped while the others run: it rejoins with a new incarnation, same cluster", async () => {
    const clusterId = str(at(r3d.cr(), 'status', 'clusterId'));
    const before = await incarnationOf('demo-0');
    const oldVolume = str(at(r3d.box.get('v1', 'PersistentVolumeClaim', NAMESPACE, 'data-demo-0'), 'spec', 'volumeName'));
    expect(before).not.toBe('');
    const load = await underLoad(r3d, 'wipe', async () => {
      expect((await r3d.kubectl('delete', 'pvc', 'data-demo-0', '--wait=false')).stderr).toBe('');
      expect((await r3d.kubectl('delete', 'pod', 'demo-0', '--wait=false')).stderr).toBe('');
      await waitFor('a new volume for demo-0', 120_000, () => {
        const v = str(at(r3d.box.get('v1', 'PersistentVolumeClaim', NAMESPACE, 'data-demo-0'), 'spec', 'volumeName'));
        return v !== undefined && v !== oldVolume;
      });
      await waitFor('demo-0 to be a member with a new incarnation', 180_000, async () => {
        const inc = await incarnationOf('demo-0');
        return inc !== '' && inc !== before;
      });
      await r3d.waitConverged(3, 180_000);
    });
    expectHealthy(load);
    expect([...r3d.monitor.clusterIds]).toEqual([clusterId]);
    const status = await r3d.status(r3d.podIp('demo-0')!);
    expect(status?.['cluster_id']).toBe(clusterId);
  }, 420_000);

  test('rolling restart by helm upgrade: every pod replaced, highest ordinal first, writes continue', async () => {
    const uids = new Map(['demo-0', 'demo-1', 'demo-2'].map((p) => [p, str(at(r3d.pod(p), 'metadata', 'uid')) ?? '']));
    const replacedAt = new Map<string, number>();
    const load = await underLoad(r3d, 'rollout', async () => {
      const up = await r3d.box.helm(['upgrade', RELEASE, `${repoRoot}/charts/raft3d`, '-n', NAMESPACE, '--reuse-values', '--set', 'cluster.resources.requests.cpu=150m']);
      expect(up.stderr).toBe('');
      await waitFor('every pod to be replaced', 300_000, () => {
        for (const [p, uid] of uids) {
          const now = str(at(r3d.pod(p), 'metadata', 'uid'));
          if (now !== undefined && now !== uid && !replacedAt.has(p)) replacedAt.set(p, Date.now());
        }
        return replacedAt.size === 3;
      }, 250);
      await r3d.waitConverged(3, 180_000);
    });
    expectHealthy(load);
    const order = [...replacedAt.entries()].sort((a, b) => a[1] - b[1]).map(([p]) => p);
    expect(order).toEqual(['demo-2', 'demo-1', 'demo-0']);
    // Writes went on: no stretch of 15 s without an acknowledged write through the Ingress.
    expect(load.stats.createdJobs).toBeGreaterThan(10);
    expect(load.stats.longestWriteGapMs).toBeLessThan(15_000);
    const sts = r3d.box.get('apps/v1', 'StatefulSet', NAMESPACE, RELEASE);
    expect(at(sts, 'status', 'currentRevision')).toBe(at(sts, 'status', 'updateRevision'));
    expect(at(sts, 'spec', 'template', 'spec', 'containers', 0, 'resources', 'requests', 'cpu')).toBe('150m');
  }, 480_000);
});
