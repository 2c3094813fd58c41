// Install from the chart, then lose pods the ways users do (kubectl delete pod of
// the leader, of a follower, of two of three, of all), with clients writing and
// reading through the Ingress all along: each step recovers on the same volumes
// and new addresses, with a linearizable history and no acknowledged write lost.
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
  expect(r.stats.createdJobs).toBeGreaterThan(0);
  expect(r3d.monitor.violations).toEqual([]);
}

function ipsOf(names: readonly string[]): Map<string, string> {
  return new Map(names.map((n) => [n, r3d.podIp(n) ?? '']));
}

function uidOf(name: string): string {
  return str(at(r3d.pod(name), 'metadata', 'uid')) ?? '';
}

async function deletePods(names: readonly string[]): Promise<void> {
  const out = await r3d.kubectl('delete', 'pod', ...names, '--wait=false');
  expect(out.stderr).toBe('');
}

/** Every named pod was replaced (new uid) and got a new address, and the cluster is whole again. */
async function expectReplaced(before: Map<string, string>, uids: Map<string, string>, timeoutMs: number): Promise<void> {
  await waitFor('the pods to be replaced', timeoutMs, () => [...uids].every(([n, uid]) => uidOf(n) !== '' && uidOf(n) !== uid));
  await r3d.waitConverged(3, timeoutMs);
  for (const [name, ip] of before) expect(r3d.podIp(name)).not.toBe(ip);
}

beforeAll(async () => {
  r3d = await Raft3DBox.install(repoRoot, { replicas: 3 });
}, 240_000);

afterAll(async () => {
  await r3d?.stop();
}, 60_000);

describe('cluster in a box: install and pod loss', () => {
  test('install 3 replicas from the chart: one cluster, 3 voters, one leader, kubectl shows it', async () => {
    const views = await r3d.views();
    expect(views.map((v) => v.pod).sort()).toEqual([`${RELEASE}-0`, `${RELEASE}-1`, `${RELEASE}-2`]);
    const ids = new Set(views.map((v) => str(v.status?.['cluster_id'])));
    expect(ids.size).toBe(1);
    expect(views.filter((v) => v.status?.['role'] === 'leader')).toHaveLength(1);
    const cr = r3d.cr();
    await waitFor('the CR status to show 3 voters', 30_000, () => at(r3d.cr(), 'status', 'voters') === 3);
    expect(str(at(cr, 'status', 'clusterId'))).toBe([...ids][0]);
    const get = await r3d.kubectl('get', 'raft3dcluster', RELEASE);
    expect(get.stdout).toMatch(/demo\s+3\s+3\s+3\s+3\s+demo-\d\s+True/);
    // Distinct pod addresses, and every pod reachable by its stable DNS name from the others.
    expect(new Set(views.map((v) => v.ip)).size).toBe(3);
    const members = arr((await r3d.leader())!.status['members']).filter(isObj);
    expect(members.map((m) => m['http_address']).sort()).toEqual([0, 1, 2].map((i) => `${RELEASE}-${i}.${RELEASE}-headless.${NAMESPACE}.svc.cluster.local:8001`));
    const load = await underLoad(r3d, 'install', async () => undefined);
    expectHealthy(load);
  }, 180_000);

  test('delete the leader pod: a new leader, the pod returns with its volume and a new IP', async () => {
    const leader = (await r3d.leader())!.pod;
    const before = ipsOf([leader]);
    const uids = new Map([[leader, uidOf(leader)]]);
    const load = await underLoad(r3d, 'del-leader', async () => {
      await deletePods([leader]);
      await expectReplaced(before, uids, 120_000);
    });
    expectHealthy(load);
    expect((await r3d.members())!.map((m) => m.id).sort()).toEqual(['demo-0', 'demo-1', 'demo-2']);
  }, 240_000);

  test('delete a follower pod', async () => {
    const leader = (await r3d.leader())!.pod;
    const follower = ['demo-0', 'demo-1', 'demo-2'].find((p) => p !== leader)!;
    const before = ipsOf([follower]);
    const uids = new Map([[follower, uidOf(follower)]]);
    const load = await underLoad(r3d, 'del-follower', async () => {
      await deletePods([follower]);
      await expectReplaced(before, uids, 120_000);
    });
    expectHealthy(load);
  }, 240_000);

  test('delete 2 of 3 pods: quorum is lost for a while, then everything recovers', async () => {
    const victims = ['demo-1', 'demo-2'];
    const before = ipsOf(victims);
    const uids = new Map(victims.map((v) => [v, uidOf(v)]));
    const load = await underLoad(r3d, 'del-two', async () => {
      await deletePods(victims);
      await expectReplaced(before, uids, 150_000);
    });
    expectHealthy(load);
  }, 300_000);

  test('delete all pods: they come back on the same volumes with all-new addresses', async () => {
    const all = ['demo-0', 'demo-1', 'demo-2'];
    const before = ipsOf(all);
    const uids = new Map(all.map((v) => [v, uidOf(v)]));
    const clusterId = [...r3d.monitor.clusterIds][0];
    const load = await underLoad(r3d, 'del-all', async () => {
      await deletePods(all);
      await expectReplaced(before, uids, 180_000);
    });
    expectHealthy(load);
    expect([...r3d.monitor.clusterIds]).toEqual([clusterId]);
  }, 300_000);
});
