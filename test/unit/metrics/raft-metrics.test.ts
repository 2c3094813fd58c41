import { describe, test, expect } from '@jest/globals';
import type { CoreStatus } from '../../../src/consensus/core/types.js';
import { RaftMetrics, type FarmCounts, type RaftMetricsSource } from '../../../src/metrics/raft-metrics.js';
import { fakeStatus } from './fake-status.js';

class FakeNode implements RaftMetricsSource {
  statusCalls = 0;
  appliedIndex = 0;
  snapshotMeta: { index: number } | null = null;
  constructor(public current: CoreStatus) {}
  status(): CoreStatus {
    this.statusCalls++;
    return this.current;
  }
}

const noFarm: FarmCounts = {
  counts: () => ({ printers: 0, filaments: 0, jobsByStatus: { Queued: 0, Running: 0, Done: 0, Canceled: 0 } }),
};

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

function linesOf(text: string, name: string): string[] {
  return lines(text).filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

const leaderOf3Plus1 = fakeStatus({
  id: 'n1',
  role: 'leader',
  leader: 'n1',
  term: 5,
  commit: 98,
  lastIndex: 100,
  members: [
    ['n1', 'voter'],
    ['n2', 'voter'],
    ['n3', 'voter'],
    ['n4', 'learner'],
  ],
  progress: [
    ['n2', 93, true],
    ['n3', 100, true],
    ['n4', 50, true],
  ],
});

describe('RaftMetrics scrape-time gauges', () => {
  test('a leader exposes its role, progress, membership and per-peer lag', async () => {
    const m = new RaftMetrics();
    const node = new FakeNode(leaderOf3Plus1);
    node.appliedIndex = 97;
    node.snapshotMeta = { index: 64 };
    m.bind(node, noFarm);
    const text = await m.metrics();
    const all = lines(text);
    for (const expected of [
      'raft_term 5',
      'raft_is_leader 1',
      'raft_has_leader 1',
      'raft_is_learner 0',
      'raft_commit_index 98',
      'raft_applied_index 97',
      'raft_last_log_index 100',
      'raft_snapshot_index 64',
      'raft_members{role="voter"} 3',
      'raft_members{role="learner"} 1',
      'raft_failure_tolerance 1',
      'raft_cluster_healthy 1',
    ]) {
      expect(all).toContain(expected);
    }
    expect(linesOf(text, 'raft_state').sort()).toEqual(
      [
        'raft_state{state="candidate"} 0',
        'raft_state{state="follower"} 0',
        'raft_state{state="leader"} 1',
        'raft_state{state="pre_candidate"} 0',
      ].sort(),
    );
    expect(linesOf(text, 'raft_peer_lag_entries').sort()).toEqual(
      ['raft_peer_lag_entries{peer="n2"} 7', 'raft_peer_lag_entries{peer="n3"} 0', 'raft_peer_lag_entries{peer="n4"} 50'].sort(),
    );
  });

  test('status() is read once per scrape, not once per gauge', async () => {
    const m = new RaftMetrics();
    const node = new FakeNode(leaderOf3Plus1);
    m.bind(node, noFarm);
    await m.metrics();
    expect(node.statusCalls).toBe(1);
    await m.metrics();
    expect(node.statusCalls).toBe(2);
  });

  test('the label of a peer that left disappears on the next scrape', async () => {
    const m = new RaftMetrics();
    const node = new FakeNode(leaderOf3Plus1);
    m.bind(node, noFarm);
    expect(await m.metrics()).toContain('raft_peer_lag_entries{peer="n2"} 7');

    node.current = fakeStatus({
      id: 'n1',
      role: 'leader',
      leader: 'n1',
      lastIndex: 120,
      members: [
        ['n1', 'voter'],
        ['n3', 'voter'],
        ['n4', 'learner'],
      ],
      progress: [
        ['n3', 118, true],
        ['n4', 120, true],
      ],
    });
    const text = await m.metrics();
    expect(linesOf(text, 'raft_peer_lag_entries').sort()).toEqual(['raft_peer_lag_entries{peer="n3"} 2', 'raft_peer_lag_entries{peer="n4"} 0']);
    expect(text).not.toContain('peer="n2"');
    expect(lines(text)).toContain('raft_members{role="voter"} 2');
  });

  test('losing leadership removes every peer label and the leader-only values', async () => {
    const m = new RaftMetrics();
    const node = new FakeNode(leaderOf3Plus1);
    m.bind(node, noFarm);
    await m.metrics();

    node.current = fakeStatus({ id: 'n1', role: 'follower', leader: 'n2', term: 6, members: leaderOf3Plus1.membership.members.map((x) => [x.id, x.role] as const) });
    const text = await m.metrics();
    expect(linesOf(text, 'raft_peer_lag_entries')).toEqual([]);
    const all = lines(text);
    expect(all).toContain('raft_is_leader 0');
    expect(all).toContain('raft_has_leader 1');
    expect(all).toContain('raft_state{state="follower"} 1');
    expect(all).toContain('raft_state{state="leader"} 0');
    // A follower does not guess: 0 keeps `max by (cluster)` equal to the leader's value.
    expect(all).toContain('raft_failure_tolerance 0');
    expect(all).toContain('raft_cluster_healthy 0');
    // The membership is still known on a follower.
    expect(all).toContain('raft_members{role="voter"} 3');
  });

  test('a pre-candidate without a leader reports has_leader 0 and the one-hot state', async () => {
    const m = new RaftMetrics();
    m.bind(new FakeNode(fakeStatus({ role: 'pre-candidate', leader: '' })), noFarm);
    const all = lines(await m.metrics());
    expect(all).toContain('raft_has_leader 0');
    expect(all).toContain('raft_state{state="pre_candidate"} 1');
    expect(all).toContain('raft_state{state="follower"} 0');
  });

  test('a learner reports is_learner 1', async () => {
    const m = new RaftMetrics();
    m.bind(new FakeNode(fakeStatus({ id: 'n4', leader: 'n1', members: [['n1', 'voter'], ['n4', 'learner']] })), noFarm);
    expect(lines(await m.metrics())).toContain('raft_is_learner 1');
  });

  test('failure tolerance counts only recently active voters; learners never count', async () => {
    const five = (active: readonly boolean[]): CoreStatus =>
      fakeStatus({
        id: 'n1',
        role: 'leader',
        leader: 'n1',
        members: [
          ['n1', 'voter'],
          ['n2', 'voter'],
          ['n3', 'voter'],
          ['n4', 'voter'],
          ['n5', 'voter'],
          ['n6', 'learner'],
        ],
        progress: [
          ['n2', 10, active[0]!],
          ['n3', 10, active[1]!],
          ['n4', 10, active[2]!],
          ['n5', 10, active[3]!],
          ['n6', 10, true],
        ],
      });
    const m = new RaftMetrics();
    const node = new FakeNode(five([true, true, true, true]));
    m.bind(node, noFarm);
    const scrape = async (): Promise<string[]> => lines(await m.metrics());

    expect(await scrape()).toEqual(expect.arrayContaining(['raft_failure_tolerance 2', 'raft_cluster_healthy 1']));
    node.current = five([true, true, true, false]);
    expect(await scrape()).toEqual(expect.arrayContaining(['raft_failure_tolerance 1', 'raft_cluster_healthy 0']));
    node.current = five([true, true, false, false]);
    expect(await scrape()).toContain('raft_failure_tolerance 0');
    node.current = five([true, false, false, false]);
    expect(await scrape()).toContain('raft_failure_tolerance 0');
  });

  test('farm counts come from the bound state machine at scrape time', async () => {
    const m = new RaftMetrics();
    let queued = 3;
    m.bind(new FakeNode(fakeStatus()), {
      counts: () => ({ printers: 2, filaments: 4, jobsByStatus: { Queued: queued, Running: 1, Done: 0, Canceled: 5 } }),
    });
    let text = await m.metrics();
    expect(lines(text)).toEqual(expect.arrayContaining(['raft3d_printers 2', 'raft3d_filaments 4']));
    expect(linesOf(text, 'raft3d_print_jobs').sort()).toEqual(
      [
        'raft3d_print_jobs{status="Queued"} 3',
        'raft3d_print_jobs{status="Running"} 1',
        'raft3d_print_jobs{status="Done"} 0',
        'raft3d_print_jobs{status="Canceled"} 5',
      ].sort(),
    );
    queued = 0;
    text = await m.metrics();
    expect(lines(text)).toContain('raft3d_print_jobs{status="Queued"} 0');
  });

  test('before bind() a scrape succeeds with neutral values', async () => {
    const m = new RaftMetrics();
    const text = await m.metrics();
    const all = lines(text);
    expect(all).toEqual(expect.arrayContaining(['raft_is_leader 0', 'raft_term 0', 'raft3d_printers 0', 'raft3d_print_jobs{status="Done"} 0']));
    expect(linesOf(text, 'raft_peer_lag_entries')).toEqual([]);
    expect(linesOf(text, 'raft_state')).toEqual([]);
  });
});

describe('RaftMetrics observer hooks', () => {
  test('counters count events', async () => {
    const m = new RaftMetrics();
    m.leaderChanged();
    m.leaderChanged();
    m.proposalsCommitted(3);
    m.proposalsCommitted(4);
    m.proposalFailed();
    m.snapshotTaken(2);
    const all = lines(await m.metrics());
    expect(all).toEqual(
      expect.arrayContaining([
        'raft_leader_changes_seen_total 2',
        'raft_proposals_committed_total 7',
        'raft_proposals_failed_total 1',
        'raft_snapshots_total 1',
      ]),
    );
  });

  test('fsync durations land in sub-millisecond buckets', async () => {
    const m = new RaftMetrics();
    m.walSync(0.0003);
    m.walSync(4);
    const text = await m.metrics();
    const fsync = linesOf(text, 'raft_wal_fsync_duration_seconds_bucket');
    expect(fsync[0]).toBe('raft_wal_fsync_duration_seconds_bucket{le="0.0001"} 0');
    expect(fsync).toEqual(
      expect.arrayContaining([
        'raft_wal_fsync_duration_seconds_bucket{le="0.00025"} 0',
        'raft_wal_fsync_duration_seconds_bucket{le="0.0005"} 1',
        'raft_wal_fsync_duration_seconds_bucket{le="2.5"} 1',
        'raft_wal_fsync_duration_seconds_bucket{le="5"} 2',
        'raft_wal_fsync_duration_seconds_bucket{le="10"} 2',
        'raft_wal_fsync_duration_seconds_bucket{le="+Inf"} 2',
      ]),
    );
    expect(lines(text)).toEqual(expect.arrayContaining(['raft_wal_fsync_duration_seconds_count 2', 'raft_wal_fsync_duration_seconds_sum 4.0003']));
  });

  test('snapshot durations are recorded up to a minute, by phase', async () => {
    const m = new RaftMetrics();
    m.snapshotTaken(0.002);
    m.snapshotTaken(45);
    const text = await m.metrics();
    expect(lines(text)).toEqual(
      expect.arrayContaining([
        'raft_snapshot_duration_seconds_bucket{le="0.001",phase="persist"} 0',
        'raft_snapshot_duration_seconds_bucket{le="0.005",phase="persist"} 1',
        'raft_snapshot_duration_seconds_bucket{le="30",phase="persist"} 1',
        'raft_snapshot_duration_seconds_bucket{le="60",phase="persist"} 2',
        'raft_snapshot_duration_seconds_count{phase="persist"} 2',
      ]),
    );
  });

  test('HTTP observations are labelled by method, route template and code', async () => {
    const m = new RaftMetrics();
    m.observeHttp('GET', '/api/v1/printers/:id', 200, 0.003);
    m.observeHttp('GET', '/api/v1/printers/:id', 200, 0.02);
    m.observeHttp('POST', '/api/v1/printers', 201, 0.2);
    const all = lines(await m.metrics());
    expect(all).toEqual(
      expect.arrayContaining([
        'http_requests_total{method="GET",route="/api/v1/printers/:id",status_code="200"} 2',
        'http_requests_total{method="POST",route="/api/v1/printers",status_code="201"} 1',
        'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/printers/:id",status_code="200"} 1',
        'http_request_duration_seconds_bucket{le="0.025",method="GET",route="/api/v1/printers/:id",status_code="200"} 2',
        'http_request_duration_seconds_count{method="POST",route="/api/v1/printers",status_code="201"} 1',
      ]),
    );
  });
});

describe('RaftMetrics registries', () => {
  test('each instance owns its registry, with the default process metrics, and leaves the global one alone', async () => {
    const a = new RaftMetrics();
    const b = new RaftMetrics();
    a.leaderChanged();
    const textA = await a.metrics();
    const textB = await b.metrics();
    expect(lines(textA)).toContain('raft_leader_changes_seen_total 1');
    expect(lines(textB)).toContain('raft_leader_changes_seen_total 0');
    expect(textA).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(textA).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(a.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const { register } = await import('prom-client');
    expect(register.getSingleMetric('raft_term')).toBeUndefined();
  });
});
