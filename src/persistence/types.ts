// Contracts of durable storage (the shape of hashicorp/raft's LogStore,
// StableStore and SnapshotStore). Implementations: classic-level + files here,
// in-memory simulated disks in the simulator.
import type { Entry, HardState, SnapshotMeta } from '../consensus/core/types.js';

/** Written once when a data directory is initialised; never changes afterwards. */
export interface NodeIdentity {
  /** UUID of the cluster, created at bootstrap; '' until a joining node learns it. */
  readonly clusterId: string;
  readonly nodeId: string;
  /** UUID created when this data directory was initialised (B33). */
  readonly incarnation: string;
}

export interface StoredLog {
  /** null: the directory was never initialised. */
  readonly identity: NodeIdentity | null;
  readonly hardState: HardState;
  /** Metadata of the snapshot the log starts after, or null. */
  readonly snapshot: SnapshotMeta | null;
  /** Every stored entry after the snapshot, contiguous, checksums verified. */
  readonly entries: readonly Entry[];
}

/** Thrown when stored data fails its checksum or structure checks. The node must not serve. */
export class CorruptionError extends Error {
  override readonly name = 'CorruptionError';
}

export interface LogStore {
  open(): Promise<StoredLog>;
  /** Sets the identity (synced). clusterId may be set later once, for a joining node. */
  saveIdentity(identity: NodeIdentity): Promise<void>;
  /**
   * One synced batch: every stored entry with index ≥ entries[0].index is replaced
   * by `entries`, and hardState (when given) is stored. Resolves once durable.
   */
  save(hardState: HardState | undefined, entries: readonly Entry[]): Promise<void>;
  /**
   * One synced batch: record `meta` as the latest snapshot and delete entries with
   * index ≤ compactTo. When discardLog is set (a snapshot received from the leader
   * that does not match the log), every entry is deleted.
   */
  saveSnapshot(meta: SnapshotMeta, compactTo: number, discardLog: boolean): Promise<void>;
  close(): Promise<void>;
}

export interface SnapshotFile {
  readonly meta: SnapshotMeta;
  /** Size of the whole file in bytes (what is streamed to a follower). */
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Receives a snapshot file streamed in chunks from the leader. */
export interface SnapshotReceiver {
  /** Offset of the next byte expected. */
  readonly received: number;
  /** Appends a chunk that starts at `offset` (must equal `received`). */
  write(offset: number, chunk: Uint8Array): Promise<void>;
  /** Verifies the checksum, fsyncs, renames into place, fsyncs the directory. */
  finish(): Promise<{ meta: SnapshotMeta; data: Uint8Array }>;
  /** Removes the temp file. */
  abort(): Promise<void>;
}

export interface SnapshotStore {
  /** Writes atomically: temp file, fsync, rename, fsync directory. Keeps the newest few. */
  save(meta: SnapshotMeta, data: Uint8Array): Promise<void>;
  /** The newest snapshot that verifies, or null when there is none. Throws CorruptionError when the newest is damaged. */
  load(): Promise<{ meta: SnapshotMeta; data: Uint8Array } | null>;
  /** The newest snapshot file, for streaming to a follower. */
  latest(): Promise<SnapshotFile | null>;
  beginReceive(): Promise<SnapshotReceiver>;
}
