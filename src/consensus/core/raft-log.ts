// The in-memory log: the entries after the compaction point, the latest
// snapshot, and how far the entries were handed out for persistence and
// confirmed durable. Entries at or below `offset` are compacted; the term at
// `offset` itself stays known when it can be (snapshot index or compaction
// point), so the leader can still send an App right after it.
import type { Entry, SnapshotMeta } from './types.js';

export function entryBytes(e: Entry): number {
  return e.data.byteLength;
}

export interface IndexTerm {
  readonly index: number;
  /** 0 when the term at `index` is unknown (compacted or beyond the log). */
  readonly term: number;
}

export class RaftLog {
  private entries: Entry[];
  /** Index of the entry just before entries[0]. */
  private offset: number;
  private offsetTerm: number | undefined;
  private snap: SnapshotMeta | null;
  /** Entries up to here are durable. */
  private persistedIndex: number;
  /** Entries up to here were handed out in a Ready (durable once that Ready is advanced). */
  private handedOutIndex: number;

  constructor(snapshot: SnapshotMeta | null, entries: readonly Entry[]) {
    const snapIndex = snapshot?.index ?? 0;
    for (let i = 1; i < entries.length; i++) {
      if (entries[i]!.index !== entries[i - 1]!.index + 1) throw new RangeError('stored log entries are not contiguous');
    }
    const first = entries[0];
    if (first !== undefined) {
      const last = entries[entries.length - 1]!;
      if (first.index > snapIndex + 1 || last.index < snapIndex) {
        throw new RangeError(`stored log [${first.index}, ${last.index}] does not continue snapshot ${snapIndex}`);
      }
      const atSnap = entries[snapIndex - first.index];
      if (snapshot && atSnap !== undefined && atSnap.term !== snapshot.term) {
        throw new RangeError(`stored entry ${snapIndex} has term ${atSnap.term}, snapshot says ${snapshot.term}`);
      }
    }
    this.snap = snapshot;
    this.entries = [...entries];
    this.offset = first !== undefined ? first.index - 1 : snapIndex;
    this.offsetTerm = this.offset === snapIndex ? (snapshot?.term ?? 0) : undefined;
    this.persistedIndex = this.lastIndex();
    this.handedOutIndex = this.lastIndex();
  }

  get snapshot(): SnapshotMeta | null {
    return this.snap;
  }

  get persisted(): number {
    return this.persistedIndex;
  }

  firstIndex(): number {
    return this.offset + 1;
  }

  lastIndex(): number {
    return this.offset + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  /** The term of the entry at `index`, or undefined when unknown (compacted or beyond the end). */
  term(index: number): number | undefined {
    if (index > this.lastIndex() || index < 0) return undefined;
    if (index > this.offset) return this.entries[index - this.offset - 1]!.term;
    if (index === this.offset && this.offsetTerm !== undefined) return this.offsetTerm;
    if (this.snap !== null && this.snap.index === index) return this.snap.term;
    // Index 0 (before the first entry) is known only while nothing is compacted (offset 0 above).
    return undefined;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  entryAt(index: number): Entry | undefined {
    return index > this.offset ? this.entries[index - this.offset - 1] : undefined;
  }

  /**
   * Entries lo..hi (inclusive) still in memory, stopping once their data
   * exceeds maxBytes (at least one entry is returned when any is available).
   */
  slice(lo: number, hi: number, maxBytes = Number.POSITIVE_INFINITY): Entry[] {
    const from = Math.max(lo, this.offset + 1);
    const to = Math.min(hi, this.lastIndex());
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = from; i <= to; i++) {
      const e = this.entries[i - this.offset - 1]!;
      bytes += entryBytes(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** §5.4.1: a candidate's log is at least as up to date: compare last terms, then last indexes (B8). */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** The leader appends new entries at the end. */
  append(entries: readonly Entry[]): void {
    for (const e of entries) this.entries.push(e);
  }

  /** Index of the first entry of `entries` that is absent here or has another term; 0 when all match. */
  findConflict(entries: readonly Entry[]): number {
    for (const e of entries) if (!this.matchTerm(e.index, e.term)) return e.index;
    return 0;
  }

  /**
   * Replaces the suffix starting at entries[0].index by `entries`. Entries
   * that were persisted or handed out beyond the cut no longer count as such.
   */
  replaceFrom(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const cut = first.index;
    this.entries.length = Math.max(0, cut - this.offset - 1);
    for (const e of entries) this.entries.push(e);
    this.persistedIndex = Math.min(this.persistedIndex, cut - 1);
    this.handedOutIndex = Math.min(this.handedOutIndex, cut - 1);
  }

  /**
   * etcd raft's findConflictByTerm: the largest index ≤ `index` whose term is
   * ≤ `term`. Every index above it cannot match a log whose entry at `index`
   * has term `term` (terms never decrease along a log). When the term at some
   * index is unknown, that index is returned with term 0: it may match.
   */
  findConflictByTerm(index: number, term: number): IndexTerm {
    for (let i = index; i > 0; i--) {
      const t = this.term(i);
      if (t === undefined) return { index: i, term: 0 };
      if (t <= term) return { index: i, term: t };
    }
    return { index: 0, term: 0 };
  }

  /** Discards the whole log in favour of a snapshot received from the leader. */
  restore(snapshot: SnapshotMeta): void {
    this.snap = snapshot;
    this.entries = [];
    this.offset = snapshot.index;
    this.offsetTerm = snapshot.term;
    this.persistedIndex = snapshot.index;
    this.handedOutIndex = snapshot.index;
  }

  /** A local snapshot was taken; it becomes the one sent to followers behind the log. */
  setSnapshot(snapshot: SnapshotMeta): void {
    this.snap = snapshot;
  }

  /** Drops entries with index ≤ compactTo, remembering the term at compactTo. */
  compact(compactTo: number): void {
    const to = Math.min(compactTo, this.lastIndex());
    if (to <= this.offset) return;
    this.offsetTerm = this.term(to);
    this.entries = this.entries.slice(to - this.offset);
    this.offset = to;
  }

  hasUnstable(): boolean {
    return this.lastIndex() > this.handedOutIndex;
  }

  /** Entries not yet handed out for persistence; marks them handed out. */
  takeUnstable(): Entry[] {
    const out = this.slice(this.handedOutIndex + 1, this.lastIndex());
    this.handedOutIndex = this.lastIndex();
    return out;
  }

  /**
   * The entries of an advanced Ready are durable, but only as far as they are
   * still in the log: an entry replaced meanwhile (same index, other term)
   * was not what got written last (B32).
   */
  stableTo(written: readonly Entry[]): void {
    for (const e of written) {
      if (e.index > this.persistedIndex + 1 || !this.matchTerm(e.index, e.term)) break;
      this.persistedIndex = Math.max(this.persistedIndex, e.index);
    }
  }
}
