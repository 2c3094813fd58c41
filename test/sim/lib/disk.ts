// The simulated disk under one node's log store. It keeps the durable state a
// restart reads back and runs writes one at a time, in order, each as one
// atomic synced batch that completes through the event queue after its fsync
// latency (the runtime's serialised store chain). A crash drops every write
// that has not completed; a write caught inside its fsync may or may not have
// reached the platter. A failed fsync fails every later write too (what
// LevelLogStore does), and its own batch may or may not be durable (B34).
// The semantics of save/saveSnapshot and their checks mirror LevelLogStore.
import type { Entry, HardState, SnapshotMeta } from '../../../src/consensus/core/types.js';
import type { NodeIdentity } from '../../../src/persistence/types.js';

export interface DurableLog {
  identity: NodeIdentity | null;
  hardState: HardState;
  snapshot: SnapshotMeta | null;
  /** Every stored entry, contiguous; may include trailing entries at or below the snapshot index. */
  entries: Entry[];
}

export interface DiskEnv {
  /** Runs `fn` after `delay` virtual time units, unless the disk crashed meanwhile. */
  schedule(delay: number, fn: () => void): void;
  /** Latency of the next synced write. */
  latency(): number;
  /** Whether the next fsync fails. */
  fsyncFails(): boolean;
  /** A fair coin (was a write caught by a crash or a failed fsync durable after all?). */
  coin(): boolean;
}

export type WriteKind = 'save' | 'snapshot' | 'identity';

export interface Write {
  readonly kind: WriteKind;
  /** Applies the batch to the durable state; throws a RangeError when LevelLogStore would refuse it. */
  readonly apply: (log: DurableLog) => void;
  readonly done: () => void;
  readonly fail: (error: Error) => void;
  /** Evaluated when the write reaches the head of the queue: true skips it (no write, done at once). */
  readonly skip?: () => boolean;
}

export class FsyncError extends Error {
  override readonly name = 'FsyncError';
}

export const EMPTY_HARD_STATE: HardState = { term: 0, vote: '', commit: 0 };

export function emptyLog(): DurableLog {
  return { identity: null, hardState: EMPTY_HARD_STATE, snapshot: null, entries: [] };
}

export class SimDisk {
  durable: DurableLog = emptyLog();
  private queue: Write[] = [];
  private inFlight: Write | null = null;
  /** Bumped by a crash: completions scheduled before it are void. */
  private generation = 0;
  private failure: Error | null = null;

  constructor(private readonly env: DiskEnv) {}

  get pending(): number {
    return this.queue.length + (this.inFlight !== null ? 1 : 0);
  }

  submit(write: Write): void {
    this.queue.push(write);
    if (this.inFlight === null) this.startNext();
  }

  /**
   * The process died. The write inside its fsync, if any, is durable or not
   * (a coin decides); everything queued behind it is lost.
   */
  crash(): void {
    const caught = this.inFlight;
    if (caught !== null && this.failure === null && this.env.coin()) {
      try {
        caught.apply(this.durable);
      } catch {
        // LevelLogStore would have refused this batch: nothing was written.
      }
    }
    this.inFlight = null;
    this.queue = [];
    this.failure = null;
    this.generation++;
  }

  /** The data directory is gone (a removed member's pod and volume were deleted). */
  wipe(): void {
    this.crash();
    this.durable = emptyLog();
  }

  private startNext(): void {
    let next = this.queue.shift();
    while (next !== undefined && next.skip !== undefined && next.skip()) {
      next.done();
      next = this.queue.shift();
    }
    if (next === undefined) return;
    this.inFlight = next;
    const generation = this.generation;
    this.env.schedule(this.env.latency(), () => {
      if (generation !== this.generation) return;
      this.complete(next);
    });
  }

  private complete(w: Write): void {
    this.inFlight = null;
    if (this.failure === null && this.env.fsyncFails()) {
      if (this.env.coin()) {
        try {
          w.apply(this.durable);
        } catch {
          // refused: nothing written
        }
      }
      this.failure = new FsyncError(`fsync failed during a ${w.kind} write`);
    }
    if (this.failure !== null) {
      const err = this.failure;
      // Like LevelLogStore: once a batch failed, the disk state is unknown and every later write fails.
      const rest = this.queue;
      this.queue = [];
      w.fail(err);
      for (const q of rest) q.fail(err);
      return;
    }
    try {
      w.apply(this.durable);
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      const rest = this.queue;
      this.queue = [];
      w.fail(this.failure);
      for (const q of rest) q.fail(this.failure);
      return;
    }
    w.done();
    this.startNext();
  }
}

function lastOf(log: DurableLog): Entry | undefined {
  return log.entries[log.entries.length - 1];
}

/** LevelLogStore.save: entries from entries[0].index on are replaced, the hard state stored. */
export function applySave(log: DurableLog, hardState: HardState | undefined, entries: readonly Entry[]): void {
  const snapIndex = log.snapshot?.index ?? 0;
  const head = entries[0];
  let next = log.entries;
  if (head !== undefined) {
    checkAppend(log, entries, snapIndex);
    const last = lastOf(log)?.index ?? 0;
    if (last !== 0 && last < head.index - 1) next = [...entries];
    else next = log.entries.filter((e) => e.index < head.index).concat(entries);
  }
  const hs = hardState ?? log.hardState;
  const lastEntry = next[next.length - 1];
  checkHardState(hs, Math.max(snapIndex, lastEntry?.index ?? 0), lastEntry?.term ?? 0, lastEntry === undefined ? 0 : lastEntry.index);
  log.entries = next;
  if (hardState !== undefined) log.hardState = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
}

/** LevelLogStore.saveSnapshot. */
export function applySnapshot(log: DurableLog, meta: SnapshotMeta, compactTo: number, discardLog: boolean): void {
  const snapIndex = log.snapshot?.index ?? 0;
  if (meta.index < snapIndex) throw new RangeError(`snapshot ${meta.index} is older than the stored snapshot ${snapIndex}`);
  if (!Number.isSafeInteger(compactTo) || compactTo < 0 || compactTo > meta.index) {
    throw new RangeError(`compactTo ${compactTo} must be within 0..${meta.index} (the snapshot index)`);
  }
  let next = log.entries;
  const last = lastOf(log)?.index ?? 0;
  if (last !== 0 && (discardLog || compactTo >= last)) next = [];
  else if (last !== 0) next = log.entries.filter((e) => e.index > compactTo);
  const lastEntry = next[next.length - 1];
  checkHardState(log.hardState, Math.max(meta.index, lastEntry?.index ?? 0), lastEntry?.term ?? 0, lastEntry?.index ?? 0);
  log.entries = next;
  log.snapshot = meta;
}

function checkAppend(log: DurableLog, entries: readonly Entry[], snapIndex: number): void {
  const head = entries[0]!;
  for (let i = 1; i < entries.length; i++) {
    const e = entries[i]!;
    const prev = entries[i - 1]!;
    if (e.index !== prev.index + 1) throw new RangeError(`entries not contiguous: ${e.index} follows ${prev.index}`);
    if (e.term < prev.term) throw new RangeError(`entry ${e.index} has term ${e.term} < term ${prev.term} of entry ${prev.index}`);
  }
  if (head.index <= snapIndex) throw new RangeError(`entry ${head.index} is at or below the snapshot index ${snapIndex}`);
  const stored = lastOf(log);
  const last = stored?.index ?? 0;
  if (head.index > Math.max(snapIndex, last) + 1) throw new RangeError(`entry ${head.index} would leave a gap after the last index ${Math.max(snapIndex, last)}`);
  if (stored !== undefined && head.index === last + 1 && head.term < stored.term) {
    throw new RangeError(`entry ${head.index} has term ${head.term} < term ${stored.term} of entry ${last}`);
  }
  if (head.index === snapIndex + 1 && log.snapshot !== null && head.term < log.snapshot.term) {
    throw new RangeError(`entry ${head.index} has term ${head.term} < term ${log.snapshot.term} of the snapshot`);
  }
}

function checkHardState(hs: HardState, lastIndex: number, lastTerm: number, last: number): void {
  if (hs.commit > lastIndex) throw new RangeError(`hard state commit ${hs.commit} is beyond the last index ${lastIndex}`);
  if (last !== 0 && hs.term < lastTerm) throw new RangeError(`hard state term ${hs.term} is lower than term ${lastTerm} of the last entry ${last}`);
}
