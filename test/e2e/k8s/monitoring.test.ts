// A real Prometheus configured from the chart's PodMonitor, ServiceMonitor and
// PrometheusRule: every server pod and the operator are scraped targets that are
// up, raft_has_leader is 1 on every pod, and Raft3DNoLeader fires while quorum is
// lost (the operator stopped and the StatefulSet scaled to one pod by hand) and
// clears once the pods are back.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NAMESPACE, RELEASE, Raft3DBox, waitFor } from '../box/raft3d-box.js';
import { PrometheusRunner, prometheusAvailable } from '../box/prometheus.js';
import { summary, underLoad } from '../box/under-load.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const OPERATOR = `${RELEASE}-raft3d-operator`;
let r3d: Raft3DBox;
let prom: PrometheusRunner;

const hasPrometheus = prometheusAvailable();
const maybe = hasPrometheus ? describe : describe.skip;

beforeAll(async () => {
  if (!hasPrometheus) return;
  r3d = await Raft3DBox.install(repoRoot, { replicas: 3, set: { 'monitoring.interval': '5s', 'monitoring.scrapeTimeout': '4s' } });
  prom = new PrometheusRunner(r3d.box);
  await prom.start();
}, 240_000);

afterAll(async () => {
  await prom?.stop();
  await r3d?.stop();
}, 60_000);

maybe('cluster in a box: Prometheus from the chart', () => {
  test('every server pod and the operator are up; raft_has_leader is 1 on every pod', async () => {
    const config = prom.configure();
    expect(config.jobs).toBe(2);
    expect(config.rules).toBeGreaterThanOrEqual(8);
    await waitFor('3 server pods and the operator to be scraped and up', 90_000, async () => {
      const targets = await prom.activeTargets();
      const servers = targets.filter((t) => t.job === `${NAMESPACE}/${RELEASE}`);
      const operator = targets.filter((t) => t.job === `${OPERATOR}-metrics`);
      return servers.length === 3 && servers.every((t) => t.health === 'up' && t.labels['raft3d_cluster'] === RELEASE) && operator.length === 1 && operator[0]!.health === 'up';
    });
    const hasLeader = await waitFor('raft_has_leader on 3 pods', 60_000, async () => {
      const r = await prom.query(`raft_has_leader{namespace="${NAMESPACE}",raft3d_cluster="${RELEASE}"}`);
      return r.length === 3 && r.every((x) => x.value === 1) ? r : null;
    });
    expect(hasLeader.map((x) => x.labels['pod']).sort()).toEqual(['demo-0', 'demo-1', 'demo-2']);
    expect(await prom.query(`sum(raft_is_leader{raft3d_cluster="${RELEASE}"})`)).toEqual([expect.objectContaining({ value: 1 })]);
  }, 180_000);

  test('Raft3DNoLeader fires while quorum is lost and clears after', async () => {
    const load = await underLoad(r3d, 'noleader', async () => {
      expect((await r3d.kubectl('scale', `deployment/${OPERATOR}`, '--replicas=0')).stderr).toBe('');
      await waitFor('the operator pod to go', 60_000, () => r3d.box.list('v1', 'Pod', NAMESPACE).every((p) => !String(p['metadata'] && (p['metadata'] as { name?: string }).name).startsWith(OPERATOR)));
      expect((await r3d.kubectl('scale', `statefulset/${RELEASE}`, '--replicas=1')).stderr).toBe('');
      await waitFor('Raft3DNoLeader to fire', 180_000, async () => (await prom.alerts()).some((a) => a.name === 'Raft3DNoLeader' && a.state === 'firing' && a.labels['raft3d_cluster'] === RELEASE), 2000);
      expect((await r3d.kubectl('scale', `statefulset/${RELEASE}`, '--replicas=3')).stderr).toBe('');
      expect((await r3d.kubectl('scale', `deployment/${OPERATOR}`, '--replicas=1')).stderr).toBe('');
      await r3d.waitConverged(3, 180_000);
      await waitFor('Raft3DNoLeader to clear', 90_000, async () => !(await prom.alerts()).some((a) => a.name === 'Raft3DNoLeader'), 2000);
    });
    const why = `${summary(load)}\n${load.report.description}\n${r3d.diagnostics()}`;
    expect({ verdict: load.report.result.result, why }).toEqual({ verdict: 'ok', why });
    expect(load.report.lostAcknowledgedJobs).toEqual([]);
    expect(r3d.monitor.violations).toEqual([]);
    const r = await waitFor('raft_has_leader back to 1 on 3 pods', 60_000, async () => {
      const q = await prom.query(`raft_has_leader{namespace="${NAMESPACE}",raft3d_cluster="${RELEASE}"}`);
      return q.length === 3 && q.every((x) => x.value === 1) ? q : null;
    });
    expect(r).toHaveLength(3);
  }, 480_000);
});
