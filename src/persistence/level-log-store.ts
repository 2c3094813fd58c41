// LogStore on classic-level (LevelDB). Every write is one synced batch, and the
// bounds of the stored log are kept in memory so that truncation and compaction
// are plain `del` ops inside that batch (no reads, never the non-atomic clear()).
// Each write is validated against the same rules open() enforces, so a store
// that refuses to open means damaged data, not a caller mistake written earlier.
import { ClassicLevel } from 'classic-level';
import type { Entry, HardState, SnapshotMeta } from '../consensus/core/types.js';
import { ENTRY_RANGE, decodeEntryValue, encodeEntryValue, entryKey } from './entry-codec.js';
import { checkStoredLog } from './log-checks.js';
import {
  EMPTY_HARD_STATE,
  HARD_STATE_KEY,
  IDENTITY_KEY,
  SNAPSHOT_KEY,
  decodeHardState,
  decodeIdentity,
  decodeSnapshotMeta,
  encodeHardState,
  encodeIdentity,
  encodeSnapshotMeta,
} from './meta-codec.js';
import type { LogStore, NodeIdentity, StoredLog } from './types.js';

type Op = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

const SYNC = { sync: true } as const;
const READ_BATCH = 1024;

export class LevelLogStore implements LogStore {
  private readonly db: ClassicLevel<Buffer, Buffer>;
  private state: 'new' | 'open' | 'closed' = 'new';
  /** Stored entry range, including entries at or below the snapshot kept as trailing log; 0/0 when empty. */
  private first = 0;
  private last = 0;
  private lastTerm = 0;
  private snapshot: SnapshotMeta | null = null;
  private hardState: HardState = EMPTY_HARD_STATE;
  private identity: NodeIdentity | null = null;
  /** A failed batch leaves the disk state unknown: every later write must fail too (B34). */
  private failure: unknown = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly dir: string) {
    this.db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  }

  async open(): Promise<StoredLog> {
    if (this.state !== 'new') throw new Error(`log store ${this.dir} was already opened`);
    this.state = 'open';
    await this.db.open();
    try {
      return await this.load();
    } catch (err) {
      this.state = 'closed';
      await this.db.close();
      throw err;
    }
  }

  private async load(): Promise<StoredLog> {
    const [hs, id, snap] = await this.db.getMany([HARD_STATE_KEY, IDENTITY_KEY, SNAPSHOT_KEY]);
    const hardState = hs === undefined ? EMPTY_HARD_STATE : decodeHardState(hs);
    const identity = id === undefined ? null : decodeIdentity(id);
    const snapshot = snap === undefined ? null : decodeSnapshotMeta(snap);
    const stored = await this.readEntries();
    const entries = checkStoredLog(hardState, snapshot, stored);
    const lastStored = stored[stored.length - 1];
    this.first = stored[0]?.index ?? 0;
    this.last = lastStored?.index ?? 0;
    this.lastTerm = lastStored?.term ?? 0;
    this.snapshot = snapshot;
    this.hardState = hardState;
    this.identity = identity;
    return { identity, hardState, snapshot, entries };
  }

  private async readEntries(): Promise<Entry[]> {
    const entries: Entry[] = [];
    const it = this.db.iterator({ ...ENTRY_RANGE });
    try {
      for (;;) {
        const rows = await it.nextv(READ_BATCH);
        if (rows.length === 0) break;
        for (const [key, value] of rows) entries.push(decodeEntryValue(key, value));
      }
    } finally {
      await it.close();
    }
    return entries;
  }

  saveIdentity(identity: NodeIdentity): Promise<void> {
    return this.enqueue(async () => {
      const current = this.identity;
      if (current !== null) {
        const sameNode = current.nodeId === identity.nodeId && current.incarnation === identity.incarnation;
        const clusterOk = current.clusterId === identity.clusterId || current.clusterId === '';
        if (!sameNode || !clusterOk) {
          throw new RangeError(
            `identity is immutable once written (stored ${JSON.stringify(current)}, given ${JSON.stringify(identity)}); only an empty clusterId may be set`,
          );
        }
      }
      await this.write([{ type: 'put', key: IDENTITY_KEY, value: encodeIdentity(identity) }]);
      this.identity = { clusterId: identity.clusterId, nodeId: identity.nodeId, incarnation: identity.incarnation };
    });
  }

  save(hardState: HardState | undefined, entries: readonly Entry[]): Promise<void> {
    return this.enqueue(async () => {
      const ops: Op[] = [];
      const snapIndex = this.snapshot?.index ?? 0;
      let first = this.first;
      let last = this.last;
      let lastTerm = this.lastTerm;
      const head = entries[0];
      if (head !== undefined) {
        this.checkAppend(entries, snapIndex);
        const end = head.index + entries.length - 1;
        if (this.last !== 0 && this.last < head.index - 1) {
          // Only reachable when head follows a snapshot beyond the stored log: the old
          // entries below it are obsolete trailing log and would leave a hole.
          pushDeletes(ops, this.first, this.last);
          first = head.index;
        } else {
          pushDeletes(ops, end + 1, this.last);
          if (this.last === 0) first = head.index;
        }
        for (const entry of entries) {
          const key = entryKey(entry.index);
          ops.push({ type: 'put', key, value: encodeEntryValue(key, entry) });
        }
        last = end;
        lastTerm = entries[entries.length - 1]!.term;
      }
      if (hardState !== undefined) {
        ops.push({ type: 'put', key: HARD_STATE_KEY, value: encodeHardState(hardState) });
      }
      const nextHardState = hardState ?? this.hardState;
      checkHardState(nextHardState, Math.max(snapIndex, last), last === 0 ? 0 : lastTerm, last);
      if (ops.length === 0) return;
      await this.write(ops);
      this.first = first;
      this.last = last;
      this.lastTerm = lastTerm;
      if (hardState !== undefined) this.hardState = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
    });
  }

  saveSnapshot(meta: SnapshotMeta, compactTo: number, discardLog: boolean): Promise<void> {
    return this.enqueue(async () => {
      const snapIndex = this.snapshot?.index ?? 0;
      if (meta.index < snapIndex) {
        throw new RangeError(`snapshot ${meta.index} is older than the stored snapshot ${snapIndex}`);
      }
      if (!Number.isSafeInteger(compactTo) || compactTo < 0 || compactTo > meta.index) {
        throw new RangeError(`compactTo ${compactTo} must be within 0..${meta.index} (the snapshot index)`);
      }
      const ops: Op[] = [{ type: 'put', key: SNAPSHOT_KEY, value: encodeSnapshotMeta(meta) }];
      let first = this.first;
      let last = this.last;
      let lastTerm = this.lastTerm;
      if (this.last !== 0 && (discardLog || compactTo >= this.last)) {
        pushDeletes(ops, this.first, this.last);
        first = last = lastTerm = 0;
      } else if (this.last !== 0 && compactTo >= this.first) {
        pushDeletes(ops, this.first, compactTo);
        first = compactTo + 1;
      }
      checkHardState(this.hardState, Math.max(meta.index, last), lastTerm, last);
      await this.write(ops);
      this.first = first;
      this.last = last;
      this.lastTerm = lastTerm;
      this.snapshot = meta;
    });
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    await this.queue;
    await this.db.close();
  }

  private checkAppend(entries: readonly Entry[], snapIndex: number): void {
    const head = entries[0]!;
    for (let i = 1; i < entries.length; i++) {
      const e = entries[i]!;
      const prev = entries[i - 1]!;
      if (e.index !== prev.index + 1) throw new RangeError(`entries not contiguous: ${e.index} follows ${prev.index}`);
      if (e.term < prev.term) throw new RangeError(`entry ${e.index} has term ${e.term} < term ${prev.term} of entry ${prev.index}`);
    }
    if (head.index <= snapIndex) {
      throw new RangeError(`entry ${head.index} is at or below the snapshot index ${snapIndex}`);
    }
    const lastIndex = Math.max(snapIndex, this.last);
    if (head.index > lastIndex + 1) {
      throw new RangeError(`entry ${head.index} would leave a gap after the last index ${lastIndex}`);
    }
    if (head.index === this.last + 1 && this.last !== 0 && head.term < this.lastTerm) {
      throw new RangeError(`entry ${head.index} has term ${head.term} < term ${this.lastTerm} of entry ${this.last}`);
    }
    if (head.index === snapIndex + 1 && this.snapshot !== null && head.term < this.snapshot.term) {
      throw new RangeError(`entry ${head.index} has term ${head.term} < term ${this.snapshot.term} of the snapshot`);
    }
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(() => {
      if (this.state !== 'open') throw new Error(`log store ${this.dir} is not open`);
      if (this.failure !== null) throw this.failure;
      return task();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * One atomic, synced LevelDB write batch. Built as a chained batch: the array form
   * of db.batch() costs ~13 µs of JS per op against ~2 µs here, on the hot path.
   */
  private async write(ops: Op[]): Promise<void> {
    try {
      const batch = this.db.batch();
      for (const op of ops) {
        if (op.type === 'put') batch.put(op.key, op.value);
        else batch.del(op.key);
      }
      await batch.write(SYNC);
    } catch (err) {
      this.failure = err;
      throw err;
    }
  }
}

function pushDeletes(ops: Op[], from: number, to: number): void {
  for (let i = from; i <= to; i++) ops.push({ type: 'del', key: entryKey(i) });
}

function checkHardState(hs: HardState, lastIndex: number, lastTerm: number, last: number): void {
  if (hs.commit > lastIndex) throw new RangeError(`hard state commit ${hs.commit} is beyond the last index ${lastIndex}`);
  if (last !== 0 && hs.term < lastTerm) {
    throw new RangeError(`hard state term ${hs.term} is lower than term ${lastTerm} of the last entry ${last}`);
  }
}
