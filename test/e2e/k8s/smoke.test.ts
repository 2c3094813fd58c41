// The part of the cluster-in-a-box scenarios that `npm test` runs (about two
// minutes): install 3 replicas from the chart, delete the leader pod, scale 3 → 5
// → 3, each under load with a linearizability check. The other scenarios run in
// `npm run test:e2e`. Skipped, with a note, where network namespaces are not
// available (not root, no iproute2).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { at, str } from '../box/api/json.js';
import { BoxNetwork } from '../box/net/network.js';
import { RELEASE, Raft3DBox, waitFor } from '../box/raft3d-box.js';
import { summary, underLoad, type LoadResult } from '../box/under-load.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const available = await BoxNetwork.available();
if (!available) process.stderr.write('cluster-in-a-box smoke test skipped: network namespaces need root and iproute2\n');
const maybe = available ? describe : describe.skip;
let r3d: Raft3DBox;

function expectHealthy(r: LoadResult): void {
  const why = `${summary(r)}\n${r.report.description}\n${r3d.diagnostics()}`;
  expect({ verdict: r.report.result.result, why }).toEqual({ verdict: 'ok', why });
  expect(r.report.lostAcknowledgedJobs).toEqual([]);
  expect(r3d.monitor.violations).toEqual([]);
}

beforeAll(async () => {
  if (available) r3d = await Raft3DBox.install(repoRoot, { replicas: 3 });
}, 240_000);

afterAll(async () => {
  await r3d?.stop();
}, 60_000);

maybe('cluster in a box (smoke): install, delete the leader, scale', () => {
  test('install: one cluster, 3 voters, one leader', async () => {
    const views = await r3d.views();
    expect(new Set(views.map((v) => str(v.status?.['cluster_id']))).size).toBe(1);
    expect(views.filter((v) => v.status?.['role'] === 'leader')).toHaveLength(1);
    await waitFor('the CR status to show 3 voters', 30_000, () => at(r3d.cr(), 'status', 'voters') === 3);
  }, 60_000);

  test('delete the leader pod under load', async () => {
    const leader = (await r3d.leader())!.pod;
    const uid = str(at(r3d.pod(leader), 'metadata', 'uid'));
    const ip = r3d.podIp(leader);
    const load = await underLoad(r3d, 'smoke-leader', async () => {
      expect((await r3d.kubectl('delete', 'pod', leader, '--wait=false')).stderr).toBe('');
      await waitFor('the leader pod to be replaced', 120_000, () => {
        const now = str(at(r3d.pod(leader), 'metadata', 'uid'));
        return now !== undefined && now !== uid;
      });
      await r3d.waitConverged(3, 120_000);
    });
    expectHealthy(load);
    expect(r3d.podIp(leader)).not.toBe(ip);
  }, 240_000);

  test('scale 3 → 5 → 3 under load', async () => {
    const load = await underLoad(r3d, 'smoke-scale', async () => {
      expect((await r3d.kubectl('scale', `raft3dcluster/${RELEASE}`, '--replicas=5')).stdout).toContain('scaled');
      await r3d.waitConverged(5, 180_000);
      expect((await r3d.kubectl('scale', `raft3dcluster/${RELEASE}`, '--replicas=3')).stdout).toContain('scaled');
      await r3d.waitConverged(3, 180_000);
    });
    expectHealthy(load);
  }, 420_000);
});
