// Three real node processes on loopback: the original Raft3D fault-tolerance
// walkthrough and more. The tests run in order and share one cluster.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { eventually, ProcessCluster, sleep, type HttpAnswer } from '../../support/process-cluster.js';

const REQUEST_TIMEOUT_MS = 2500;
const cluster = new ProcessCluster({ snapshotThreshold: 60, snapshotTrailing: 10, requestTimeoutMs: REQUEST_TIMEOUT_MS });
let passed = 0;
const TESTS = 7;

interface Job {
  id: string;
  status: string;
  filament_id: string;
  print_weight_in_grams: number;
}

function expectStatus(r: HttpAnswer, status: number): void {
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
}

/** The whole state as a node serves it from its local copy. */
async function stateOf(id: string): Promise<string> {
  const parts = await Promise.all(
    ['printers', 'filaments', 'print_jobs'].map(async (kind) => {
      const r = await cluster.request(id, 'GET', `/api/v1/${kind}?consistency=stale&limit=10000`);
      expectStatus(r, 200);
      return r.body;
    }),
  );
  return JSON.stringify(parts);
}

async function expectIdenticalState(ids: readonly string[]): Promise<string> {
  await cluster.waitConverged(ids);
  const states = await Promise.all(ids.map((id) => stateOf(id)));
  for (const s of states) expect(s).toBe(states[0]);
  return states[0]!;
}

beforeAll(async () => {
  for (const id of ['node1', 'node2', 'node3']) await cluster.addNode(id);
});

afterAll(async () => {
  await cluster.stop();
  cluster.cleanup(passed < TESTS);
});

describe('a 3-node cluster of real processes', () => {
  let leader = '';
  let filamentId = '';

  test('node1 bootstraps, node2 and node3 join, and all three become voters', async () => {
    cluster.start('node1', ['-bootstrap']);
    expect(await cluster.waitForLeader(15_000, ['node1'])).toBe('node1');
    const seed = cluster.node('node1').http;
    cluster.start('node2', [`-join=${seed}`]);
    cluster.start('node3', [`-join=${seed}`]);
    await eventually('three voters seen by every node', 20_000, async () => {
      const views = await Promise.all(['node1', 'node2', 'node3'].map((id) => cluster.status(id)));
      const ok = views.every((v) => v.members.length === 3 && v.members.every((m) => m.role === 'voter') && v.leader_id === 'node1');
      return ok ? true : undefined;
    });
    const ids = new Set((await Promise.all(['node1', 'node2', 'node3'].map((id) => cluster.status(id)))).map((v) => v.cluster_id));
    expect(ids.size).toBe(1);
    leader = 'node1';
    passed++;
  }, 60_000);

  test('the original walkthrough works through followers: printer, filament, job, Running, Done', async () => {
    const follower = leader === 'node2' ? 'node3' : 'node2';
    const other = ['node1', 'node2', 'node3'].find((id) => id !== leader && id !== follower)!;
    const printer = await cluster.request(follower, 'POST', '/api/v1/printers', { id: 'p1', company: 'Creality', model: 'Ender 3' });
    expectStatus(printer, 201);
    expect(printer.body).toEqual({ id: 'p1', company: 'Creality', model: 'Ender 3' });
    // A linearizable read on another node sees the write at once.
    const read = await cluster.request(other, 'GET', '/api/v1/printers/p1');
    expectStatus(read, 200);
    expectStatus(await cluster.request(other, 'GET', '/api/v1/printers/'), 200);

    const filament = await cluster.request(other, 'POST', '/api/v1/filaments', { type: 'pla', color: 'red', total_weight_in_grams: 1000 });
    expectStatus(filament, 201);
    const f = filament.body as { id: string; type: string; remaining_weight_in_grams: number };
    expect(f.type).toBe('PLA');
    expect(f.remaining_weight_in_grams).toBe(1000);
    filamentId = f.id;

    const job = await cluster.request(follower, 'POST', '/api/v1/print_jobs', { printer_id: 'p1', filament_id: filamentId, filepath: 'prints/sword/hilt.gcode', print_weight_in_grams: 100 });
    expectStatus(job, 201);
    const j = job.body as Job;
    expect(j.status).toBe('Queued');
    expectStatus(await cluster.request(other, 'POST', `/api/v1/print_jobs/${j.id}/status?status=running`), 200);
    const done = await cluster.request(follower, 'POST', `/api/v1/print_jobs/${j.id}/status?status="done"`);
    expectStatus(done, 200);
    expect((done.body as Job).status).toBe('Done');
    const after = await cluster.request(leader, 'GET', `/api/v1/filaments/${filamentId}`);
    expect((after.body as { remaining_weight_in_grams: number }).remaining_weight_in_grams).toBe(900);
    // Done is terminal on every node.
    expectStatus(await cluster.request(other, 'POST', `/api/v1/print_jobs/${j.id}/status?status=Running`), 400);
    await expectIdenticalState(['node1', 'node2', 'node3']);
    passed++;
  }, 60_000);

  test('kill -9 of the leader: a new leader appears, writes continue, the old leader catches up after snapshots compacted what it missed', async () => {
    const victim = leader;
    await cluster.kill(victim, 'SIGKILL');
    const survivors = ['node1', 'node2', 'node3'].filter((id) => id !== victim);
    const newLeader = await cluster.waitForLeader(15_000, survivors);
    expect(newLeader).not.toBe(victim);
    leader = newLeader;

    // Enough writes for several snapshots (threshold 60, trailing 10) while the victim is down.
    for (let i = 0; i < 150; i++) {
      const target = survivors[i % 2]!;
      const r = await cluster.request(target, 'POST', '/api/v1/printers', { id: `bulk-${i}`, company: 'Prusa', model: `MK${i}` });
      expectStatus(r, 201);
    }
    const leaderStatus = await cluster.status(leader);
    expect(leaderStatus.snapshot_index).toBeGreaterThan(60);

    cluster.start(victim);
    await cluster.waitForLeader(15_000, ['node1', 'node2', 'node3']);
    const state = await expectIdenticalState(['node1', 'node2', 'node3']);
    expect(state).toContain('bulk-149');
    // It could only have caught up from a snapshot: the entries it missed were compacted.
    const victimStatus = await cluster.status(victim);
    expect(victimStatus.snapshot_index).toBeGreaterThan(0);
    passed++;
  }, 90_000);

  test('with 2 of 3 nodes down, writes answer 503 with Retry-After within the deadline and stale reads still answer', async () => {
    const [keep, ...down] = ['node1', 'node2', 'node3'].sort((a, b) => (a === leader ? 1 : b === leader ? -1 : 0));
    for (const id of down) await cluster.kill(id!, 'SIGKILL');
    const started = Date.now();
    const write = await cluster.request(keep!, 'POST', '/api/v1/printers', { id: 'lost', company: 'X', model: 'Y' });
    const elapsed = Date.now() - started;
    expectStatus(write, 503);
    expect(write.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((write.body as { code: string }).code).toBe('NO_LEADER');
    expect(elapsed).toBeLessThan(REQUEST_TIMEOUT_MS + 2000);

    const stale = await cluster.request(keep!, 'GET', '/api/v1/printers/p1?consistency=stale');
    expectStatus(stale, 200);
    const staleHeader = await cluster.request(keep!, 'GET', '/api/v1/printers/p1', undefined, { 'X-Raft3D-Consistency': 'stale' });
    expectStatus(staleHeader, 200);
    const linearizable = await cluster.request(keep!, 'GET', '/api/v1/printers/p1');
    expectStatus(linearizable, 503);
    for (const id of down) cluster.start(id!);
    leader = await cluster.waitForLeader(20_000, ['node1', 'node2', 'node3']);
    const none = await cluster.request(leader, 'GET', '/api/v1/printers/lost');
    // The 503 write was never acknowledged; it may or may not have been committed, but nothing else changed.
    expect([200, 404]).toContain(none.status);
    passed++;
  }, 90_000);

  test('restarting all three nodes keeps the state intact; a leftover -bootstrap never founds a second cluster', async () => {
    const before = await expectIdenticalState(['node1', 'node2', 'node3']);
    const clusterId = (await cluster.status('node1')).cluster_id;
    for (const id of ['node1', 'node2', 'node3']) await cluster.kill(id, 'SIGKILL');
    cluster.start('node1', ['-bootstrap']);
    cluster.start('node2');
    cluster.start('node3');
    leader = await cluster.waitForLeader(20_000, ['node1', 'node2', 'node3']);
    const after = await expectIdenticalState(['node1', 'node2', 'node3']);
    expect(after).toBe(before);
    for (const id of ['node1', 'node2', 'node3']) expect((await cluster.status(id)).cluster_id).toBe(clusterId);
    passed++;
  }, 90_000);

  test('a node joining a running cluster receives the full state and becomes a voter', async () => {
    await cluster.addNode('node4');
    cluster.start('node4', [`-join=${cluster.node('node2').http}`]);
    await eventually('node4 promoted to voter', 30_000, async () => {
      const st = await cluster.status(leader);
      return st.members.some((m) => m.id === 'node4' && m.role === 'voter') ? true : undefined;
    });
    const state = await expectIdenticalState(['node1', 'node2', 'node3', 'node4']);
    expect(state).toContain('bulk-0');
    // The original's join body (no incarnation) for an existing member changes nothing.
    const again = await cluster.request('node1', 'POST', '/cluster/join', { id: 'node3', address: cluster.node('node3').raft });
    expectStatus(again, 200);
    expect((again.body as { result: string }).result).toBe('already a member');
    const moved = await cluster.request('node1', 'POST', '/cluster/join', { id: 'node3', address: '127.0.0.1:1' });
    expectStatus(moved, 409);
    expect((moved.body as { code: string }).code).toBe('MEMBER_EXISTS');
    expect((await cluster.status(leader)).members.find((m) => m.id === 'node3')?.role).toBe('voter');
    // Remove it again: the cluster goes back to three voters and keeps serving writes.
    const removed = await cluster.request('node3', 'DELETE', '/cluster/members/node4');
    expectStatus(removed, 200);
    await sleep(100);
    expectStatus(await cluster.request('node1', 'POST', '/api/v1/printers', { id: 'after-remove', company: 'A', model: 'B' }), 201);
    const st = await cluster.status('node1');
    expect(st.members.map((m) => m.id).sort()).toEqual(['node1', 'node2', 'node3']);
    passed++;
  }, 90_000);

  test('removing the leader answers 200 once committed; the remaining voters elect a new leader and keep serving (B17)', async () => {
    const old = await cluster.waitForLeader(15_000, ['node1', 'node2', 'node3']);
    const follower = ['node1', 'node2', 'node3'].find((id) => id !== old)!;
    const removed = await cluster.request(follower, 'DELETE', `/cluster/members/${old}`);
    expectStatus(removed, 200);
    const survivors = ['node1', 'node2', 'node3'].filter((id) => id !== old);
    const next = await cluster.waitForLeader(15_000, survivors);
    expect(next).not.toBe(old);
    expectStatus(await cluster.request(follower, 'POST', '/api/v1/printers', { id: 'after-leader-removal', company: 'A', model: 'B' }), 201);
    const st = await cluster.status(next);
    expect(st.members.map((m) => m.id).sort()).toEqual(survivors.sort());
    passed++;
  }, 60_000);
});
