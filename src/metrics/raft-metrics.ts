// Prometheus metrics of one Raft3D node (names: kubernetes.md §10.1, mirroring
// etcd and HashiCorp). Event counters and histograms are fed by the runtime
// through RaftObserver; every gauge is read from the bound sources at scrape
// time, so a scrape always shows the node's current state and labels of peers
// that left (or of a lost leadership) disappear on the next scrape.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CoreStatus, Role } from '../consensus/core/types.js';
import type { RaftObserver } from '../consensus/runtime/raft-node.js';
import { failureTolerance, healthyVoters, memberCounts, peerLags, roleOf } from './cluster-view.js';

/** What the metrics read from the consensus runtime (RaftNode satisfies it). */
export interface RaftMetricsSource {
  status(): CoreStatus;
  readonly appliedIndex: number;
  readonly snapshotMeta: { readonly index: number } | null;
}

export const JOB_STATUSES = ['Queued', 'Running', 'Done', 'Canceled'] as const;
export type JobStatusName = (typeof JOB_STATUSES)[number];

/** Entity counts of the applied state (the domain state machine offers them). */
export interface FarmCounts {
  counts(): {
    readonly printers: number;
    readonly filaments: number;
    readonly jobsByStatus: Readonly<Record<JobStatusName, number>>;
  };
}

const ROLES: readonly Role[] = ['follower', 'pre-candidate', 'candidate', 'leader'];

/** Label values use underscores, as Prometheus conventions and the alert rules expect. */
function stateLabel(role: Role): string {
  return role.replace('-', '_');
}

/** 0.1 ms … 10 s: a healthy SSD fsync is well under a millisecond, a sick disk takes seconds. */
export const WAL_FSYNC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** 1 ms … 60 s: from an empty farm to a large state on a slow volume. */
export const SNAPSHOT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
export const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface ScrapeView {
  readonly status: CoreStatus;
  readonly applied: number;
  readonly snapshotIndex: number;
}

export class RaftMetrics implements RaftObserver {
  readonly registry = new Registry();
  private source: RaftMetricsSource | null = null;
  private farm: FarmCounts | null = null;
  /** Set for the duration of one scrape so that status() is computed once, not once per gauge. */
  private scrapeView: ScrapeView | null = null;

  private readonly leaderChanges: Counter;
  private readonly committed: Counter;
  private readonly failed: Counter;
  private readonly snapshots: Counter;
  private readonly walFsync: Histogram;
  private readonly snapshotDuration: Histogram<'phase'>;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly httpRequests: Counter<'method' | 'route' | 'status_code'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });

    this.leaderChanges = new Counter({ name: 'raft_leader_changes_seen_total', help: 'Leader changes seen by this node.', registers });
    this.committed = new Counter({ name: 'raft_proposals_committed_total', help: 'Commands committed and applied on this node.', registers });
    this.failed = new Counter({ name: 'raft_proposals_failed_total', help: 'Proposals from this node that failed (no leader, timeout, overload).', registers });
    this.snapshots = new Counter({ name: 'raft_snapshots_total', help: 'Snapshots taken by this node.', registers });
    this.walFsync = new Histogram({
      name: 'raft_wal_fsync_duration_seconds',
      help: 'Duration of each synced log batch.',
      buckets: WAL_FSYNC_BUCKETS,
      registers,
    });
    this.snapshotDuration = new Histogram({
      name: 'raft_snapshot_duration_seconds',
      help: 'Duration of snapshot work, by phase.',
      labelNames: ['phase'],
      buckets: SNAPSHOT_BUCKETS,
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route template.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.httpRequests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by route template.',
      labelNames: ['method', 'route', 'status_code'],
      registers,
    });

    this.raftGauges(registers);
    this.farmGauges(registers);
  }

  /** Connects the scrape-time gauges to the running node and its state machine. */
  bind(source: RaftMetricsSource, counts: FarmCounts): void {
    this.source = source;
    this.farm = counts;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text of one scrape. */
  async metrics(): Promise<string> {
    this.scrapeView = this.readView();
    try {
      return await this.registry.metrics();
    } finally {
      this.scrapeView = null;
    }
  }

  // ---- RaftObserver ----

  walSync(seconds: number): void {
    this.walFsync.observe(seconds);
  }

  snapshotTaken(seconds: number): void {
    this.snapshots.inc();
    // The runtime times the save of a serialised state and the log compaction after it.
    this.snapshotDuration.observe({ phase: 'persist' }, seconds);
  }

  leaderChanged(): void {
    this.leaderChanges.inc();
  }

  proposalsCommitted(count: number): void {
    this.committed.inc(count);
  }

  proposalFailed(): void {
    this.failed.inc();
  }

  // ---- HTTP ----

  /** `route` must be a route template or 'unmatched', never a raw URL. */
  observeHttp(method: string, route: string, statusCode: number, seconds: number): void {
    const labels = { method, route, status_code: String(statusCode) };
    this.httpDuration.observe(labels, seconds);
    this.httpRequests.inc(labels);
  }

  // ---- scrape-time gauges ----

  private view(): ScrapeView | null {
    return this.scrapeView ?? this.readView();
  }

  private readView(): ScrapeView | null {
    const source = this.source;
    if (!source) return null;
    return { status: source.status(), applied: source.appliedIndex, snapshotIndex: source.snapshotMeta?.index ?? 0 };
  }

  private raftGauges(registers: Registry[]): void {
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], read: (g: Gauge<L>, v: ScrapeView) => void): void => {
      const view = (): ScrapeView | null => this.view();
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers,
        collect(this: Gauge<L>) {
          this.reset();
          const v = view();
          if (v) read(this, v);
        },
      });
    };
    const flag = (b: boolean): number => (b ? 1 : 0);

    gauge('raft_term', 'Current Raft term.', [], (g, v) => g.set(v.status.term));
    gauge('raft_state', 'Current Raft state (one-hot).', ['state'], (g, v) => {
      for (const r of ROLES) g.set({ state: stateLabel(r) }, flag(v.status.role === r));
    });
    gauge('raft_has_leader', 'Whether this node knows a current leader.', [], (g, v) => g.set(flag(v.status.leader !== '')));
    gauge('raft_is_leader', 'Whether this node is the leader.', [], (g, v) => g.set(flag(v.status.role === 'leader')));
    gauge('raft_is_learner', 'Whether this node is a learner.', [], (g, v) => g.set(flag(roleOf(v.status, v.status.id) === 'learner')));
    gauge('raft_commit_index', 'Highest log index known to be committed.', [], (g, v) => g.set(v.status.commit));
    gauge('raft_applied_index', 'Highest log index applied to the state machine.', [], (g, v) => g.set(v.applied));
    gauge('raft_last_log_index', 'Index of the last entry in the log.', [], (g, v) => g.set(v.status.lastIndex));
    gauge('raft_snapshot_index', 'Index of the latest snapshot (0 when none).', [], (g, v) => g.set(v.snapshotIndex));
    gauge('raft_members', 'Members of the configuration by role.', ['role'], (g, v) => {
      const c = memberCounts(v.status);
      g.set({ role: 'voter' }, c.voter);
      g.set({ role: 'learner' }, c.learner);
    });
    gauge('raft_peer_lag_entries', 'Leader only: leader last log index minus the peer match index.', ['peer'], (g, v) => {
      for (const [peer, lag] of peerLags(v.status)) g.set({ peer }, lag);
    });
    // Non-leaders report 0 so that `max by (cluster)` in alerts is the leader's view.
    gauge('raft_failure_tolerance', 'Leader only: recently active voters minus the quorum size.', [], (g, v) => {
      g.set(failureTolerance(v.status) ?? 0);
    });
    gauge('raft_cluster_healthy', 'Leader only: every voter was heard from within an election timeout.', [], (g, v) => {
      const healthy = healthyVoters(v.status);
      g.set(flag(healthy !== null && healthy === memberCounts(v.status).voter));
    });
  }

  private farmGauges(registers: Registry[]): void {
    const farm = (): ReturnType<FarmCounts['counts']> | null => this.farm?.counts() ?? null;
    new Gauge({
      name: 'raft3d_printers',
      help: 'Printers in the applied state.',
      registers,
      collect(this: Gauge) {
        this.set(farm()?.printers ?? 0);
      },
    });
    new Gauge({
      name: 'raft3d_filaments',
      help: 'Filaments in the applied state.',
      registers,
      collect(this: Gauge) {
        this.set(farm()?.filaments ?? 0);
      },
    });
    new Gauge({
      name: 'raft3d_print_jobs',
      help: 'Print jobs in the applied state by status.',
      labelNames: ['status'],
      registers,
      collect(this: Gauge<'status'>) {
        const c = farm();
        for (const status of JOB_STATUSES) this.set({ status }, c?.jobsByStatus[status] ?? 0);
      },
    });
  }
}
