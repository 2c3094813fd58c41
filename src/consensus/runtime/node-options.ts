// Tunables of one Raft3D node's consensus runtime, with production defaults
// from ../shared/reference/raft.md §2.1. Tests shorten the tick.

export interface RaftTiming {
  /** Length of one core tick in milliseconds. */
  readonly tickMs: number;
  readonly heartbeatTicks: number;
  /** Base election timeout in ticks (randomized in [ET, 2·ET)). */
  readonly electionTicks: number;
}

export interface SnapshotPolicy {
  /** Take a snapshot once this many entries were applied since the last one. */
  readonly threshold: number;
  /** Entries kept in the log behind a snapshot, for briefly lagging followers. */
  readonly trailing: number;
  /** Bytes per InstallSnapshot chunk. */
  readonly chunkBytes: number;
  /** A chunk not acknowledged within this many ms fails the transfer. */
  readonly chunkTimeoutMs: number;
}

export interface RaftNodeOptions {
  readonly timing: RaftTiming;
  readonly snapshot: SnapshotPolicy;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly maxMsgBytes: number;
  readonly maxInflight: number;
  readonly maxUncommittedBytes: number;
  readonly learnerCatchUpEntries: number;
}

export const DEFAULT_RAFT_OPTIONS: RaftNodeOptions = {
  timing: { tickMs: 100, heartbeatTicks: 1, electionTicks: 10 },
  snapshot: { threshold: 10_000, trailing: 5_000, chunkBytes: 1024 * 1024, chunkTimeoutMs: 10_000 },
  preVote: true,
  checkQuorum: true,
  maxMsgBytes: 1024 * 1024,
  maxInflight: 64,
  maxUncommittedBytes: 64 * 1024 * 1024,
  learnerCatchUpEntries: 64,
};
