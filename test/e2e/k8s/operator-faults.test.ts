// The operator killed right after each kind of step (its failpoints, set on its
// Deployment with kubectl set env) and restarted by the kubelet, while the
// cluster is scaled 3 → 4 → 3 under load: it converges, and demo-3 is added once
// and removed once (no step repeated). Then the API server drops every watch and
// answers 410 Gone and 500s while the operator works: it recovers and converges.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arr, at, isObj, num, str } from '../box/api/json.js';
import { NAMESPACE, RELEASE, Raft3DBox, waitFor } from '../box/raft3d-box.js';
import { summary, underLoad, type LoadResult } from '../box/under-load.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const OPERATOR = `${RELEASE}-raft3d-operator`;
let r3d: Raft3DBox;

function expectHealthy(r: LoadResult): void {
  const why = `${summary(r)}\n${r.report.description}\n${r3d.diagnostics()}`;
  expect({ verdict: r.report.result.result, why }).toEqual({ verdict: 'ok', why });
  expect(r.report.lostAcknowledgedJobs).toEqual([]);
  expect(r3d.monitor.violations).toEqual([]);
}

function operatorPod(): { name: string; restarts: number; env: Record<string, string> } | null {
  const p = r3d.box.list('v1', 'Pod', NAMESPACE).find((x) => String(at(x, 'metadata', 'name')).startsWith(OPERATOR) && at(x, 'metadata', 'deletionTimestamp') === undefined);
  if (p === undefined) return null;
  const c = arr(at(p, 'spec', 'containers')).filter(isObj)[0];
  const env: Record<string, string> = {};
  for (const e of arr(c?.['env']).filter(isObj)) if (typeof e['value'] === 'string') env[String(e['name'])] = e['value'];
  return { name: String(at(p, 'metadata', 'name')), restarts: num(at(p, 'status', 'containerStatuses', 0, 'restartCount')) ?? 0, env };
}

/** How often demo-3 entered and left the configurations seen since `since`. */
function demo3Changes(since: number): { added: number; removed: number } {
  const configs = r3d.monitor.configurations.slice(Math.max(0, since - 1));
  let added = 0;
  let removed = 0;
  for (let i = 1; i < configs.length; i++) {
    const before = configs[i - 1]!.includes('demo-3:');
    const after = configs[i]!.includes('demo-3:');
    if (!before && after) added++;
    if (before && !after) removed++;
  }
  return { added, removed };
}

async function token(): Promise<string> {
  const secret = r3d.box.get('v1', 'Secret', NAMESPACE, `${RELEASE}-token`);
  return Buffer.from(str(at(secret, 'data', 'token')) ?? '', 'base64').toString('utf8');
}

async function scale(n: number): Promise<void> {
  expect((await r3d.kubectl('scale', `raft3dcluster/${RELEASE}`, `--replicas=${n}`)).stdout).toContain('scaled');
  await r3d.waitConverged(n, 240_000);
}

beforeAll(async () => {
  // A short crash-loop back-off, so that an operator that exits after every step is back quickly.
  r3d = await Raft3DBox.install(repoRoot, { replicas: 3, box: { backoff: { baseMs: 500, maxMs: 4000, resetAfterMs: 60_000 } } });
}, 240_000);

afterAll(async () => {
  await r3d?.stop();
}, 60_000);

describe('cluster in a box: operator faults', () => {
  for (const failpoint of ['after-replicas-patch', 'after-remove-request', 'after-transfer-request', 'after-status-update']) {
    test(`operator killed ${failpoint}: converges, demo-3 added once and removed once`, async () => {
      const set = await r3d.kubectl('set', 'env', `deployment/${OPERATOR}`, `RAFT3D_OPERATOR_FAILPOINT=${failpoint}`);
      expect(set.stderr).toBe('');
      await waitFor('the operator to run with the failpoint', 90_000, () => {
        const p = operatorPod();
        return p !== null && p.env['RAFT3D_OPERATOR_FAILPOINT'] === failpoint && r3d.isReady(r3d.pod(p.name)) ? p : null;
      });
      const since = r3d.monitor.configurations.length;
      const load = await underLoad(r3d, `fp-${failpoint}`, async () => {
        await scale(4);
        if (failpoint === 'after-transfer-request') {
          // The leaving member must lead, so that the operator hands leadership over before removing it.
          const leader = (await r3d.leader())!;
          const res = await fetch(`http://${r3d.podIp(leader.pod)!}:8001/cluster/transfer-leadership`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-raft3d-token': await token() }, body: JSON.stringify({ id: 'demo-3' }) });
          expect(res.status).toBeLessThan(300);
          await waitFor('demo-3 to lead', 30_000, async () => (await r3d.leader())?.pod === 'demo-3');
        }
        await scale(3);
      });
      expectHealthy(load);
      expect(demo3Changes(since)).toEqual({ added: 1, removed: 1 });
      expect(operatorPod()!.restarts).toBeGreaterThan(0);
      // The status is eventually written, whatever the failpoint interrupted.
      await waitFor('the CR status to show 3 voters', 60_000, () => at(r3d.cr(), 'status', 'voters') === 3);
    }, 480_000);
  }

  test('operator killed after-template-update: the rollout happens once, every pod replaced exactly once', async () => {
    const set = await r3d.kubectl('set', 'env', `deployment/${OPERATOR}`, 'RAFT3D_OPERATOR_FAILPOINT=after-template-update');
    expect(set.stderr).toBe('');
    await waitFor('the operator to run with the failpoint', 90_000, () => {
      const p = operatorPod();
      return p !== null && p.env['RAFT3D_OPERATOR_FAILPOINT'] === 'after-template-update' && r3d.isReady(r3d.pod(p.name)) ? p : null;
    });
    const restartsBefore = operatorPod()!.restarts;
    const seen = new Map(['demo-0', 'demo-1', 'demo-2'].map((p) => [p, new Set([str(at(r3d.pod(p), 'metadata', 'uid')) ?? ''])]));
    const load = await underLoad(r3d, 'fp-template', async () => {
      const up = await r3d.box.helm(['upgrade', RELEASE, `${repoRoot}/charts/raft3d`, '-n', NAMESPACE, '--reuse-values', '--set', 'cluster.resources.requests.cpu=120m']);
      expect(up.stderr).toBe('');
      await waitFor('every pod to run the new template', 300_000, () => {
        for (const [p, uids] of seen) {
          const uid = str(at(r3d.pod(p), 'metadata', 'uid'));
          if (uid !== undefined) uids.add(uid);
        }
        const sts = r3d.box.get('apps/v1', 'StatefulSet', NAMESPACE, RELEASE);
        return at(sts, 'spec', 'template', 'spec', 'containers', 0, 'resources', 'requests', 'cpu') === '120m' && at(sts, 'status', 'updatedReplicas') === 3 && at(sts, 'status', 'currentRevision') === at(sts, 'status', 'updateRevision');
      }, 250);
      await r3d.waitConverged(3, 180_000);
    });
    expectHealthy(load);
    // The first incarnation and exactly one replacement each: no second rollout after the restart.
    expect([...seen.values()].map((u) => u.size)).toEqual([2, 2, 2]);
    expect(operatorPod()!.restarts).toBeGreaterThan(restartsBefore);
  }, 480_000);

  test('the API server drops watches, answers 410 Gone and 500s: the operator recovers and converges', async () => {
    const unset = await r3d.kubectl('set', 'env', `deployment/${OPERATOR}`, 'RAFT3D_OPERATOR_FAILPOINT-');
    expect(unset.stderr).toBe('');
    await waitFor('the operator to run without a failpoint', 90_000, () => {
      const p = operatorPod();
      return p !== null && p.env['RAFT3D_OPERATOR_FAILPOINT'] === undefined && r3d.isReady(r3d.pod(p.name));
    });
    const goneBefore = r3d.box.api.goneAnswers;
    const since = r3d.monitor.configurations.length;
    const chaos = setInterval(() => {
      r3d.box.api.dropWatches();
      if (Math.random() < 0.5) r3d.box.api.expireWatches();
      if (Math.random() < 0.3) r3d.box.api.failNext(2, 500);
    }, 1500);
    let load: LoadResult;
    try {
      load = await underLoad(r3d, 'watch-faults', async () => {
        await scale(4);
        await scale(3);
      });
    } finally {
      clearInterval(chaos);
    }
    expectHealthy(load);
    expect(r3d.box.api.goneAnswers).toBeGreaterThan(goneBefore);
    expect(demo3Changes(since)).toEqual({ added: 1, removed: 1 });
    // After the faults stop, the operator's informers are synced again (/readyz) and it still reacts.
    await waitFor('the operator to be ready', 60_000, () => r3d.isReady(r3d.pod(operatorPod()!.name)));
    await scale(4);
    await scale(3);
  }, 600_000);
});
