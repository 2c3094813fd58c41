// What the checker knows about one process's Raft log: the term and size of
// every entry the core handed out for writing (the core's own log, as of its
// last Ready), its Config entries, and the entry before the first one (the
// snapshot or 0). Rebuilt from the durable state when the process starts.
import { EntryType, type Entry, type Membership, type SnapshotMeta } from '../../../src/consensus/core/types.js';

export class LogView {
  /** Index and term of the entry just before `terms[0]`. */
  baseIndex: number;
  baseTerm: number;
  baseMembership: Membership;
  terms: number[] = [];
  sizes: number[] = [];
  configs: { index: number; data: Uint8Array }[] = [];
  /** The core's commit index as of its last Ready. */
  commit: number;

  constructor(snapshot: SnapshotMeta | null, entries: readonly Entry[], commit: number) {
    this.baseIndex = snapshot?.index ?? 0;
    this.baseTerm = snapshot?.term ?? 0;
    this.baseMembership = snapshot?.membership ?? { members: [] };
    this.commit = commit;
    this.append(entries);
  }

  lastIndex(): number {
    return this.baseIndex + this.terms.length;
  }

  /** Term at `index`, or undefined when outside the view. */
  termAt(index: number): number | undefined {
    if (index === this.baseIndex) return this.baseTerm;
    if (index < this.baseIndex || index > this.lastIndex()) return undefined;
    return this.terms[index - this.baseIndex - 1];
  }

  /** Replaces the suffix from entries[0].index (as the Ready contract says). */
  append(entries: readonly Entry[]): void {
    const head = entries[0];
    if (head === undefined) return;
    if (head.index <= this.baseIndex || head.index > this.lastIndex() + 1) {
      throw new RangeError(`entries from ${head.index} do not continue the log (${this.baseIndex}..${this.lastIndex()})`);
    }
    const keep = head.index - this.baseIndex - 1;
    this.terms.length = keep;
    this.sizes.length = keep;
    while (this.configs.length > 0 && this.configs[this.configs.length - 1]!.index >= head.index) this.configs.pop();
    for (const e of entries) {
      this.terms.push(e.term);
      this.sizes.push(e.data.byteLength);
      if (e.type === EntryType.Config) this.configs.push({ index: e.index, data: e.data });
    }
  }

  /** A snapshot from the leader replaced the whole log. */
  restore(meta: SnapshotMeta): void {
    this.baseIndex = meta.index;
    this.baseTerm = meta.term;
    this.baseMembership = meta.membership;
    this.terms = [];
    this.sizes = [];
    this.configs = [];
    this.commit = Math.max(this.commit, meta.index);
  }

  /** Index of the latest Config entry, or the base index when there is none in the view. */
  latestConfigIndex(): number {
    const last = this.configs[this.configs.length - 1];
    return last !== undefined ? last.index : this.baseIndex;
  }

  /** Bytes of entries after `from` whose term is `term`. */
  bytesAfter(from: number, term: number): number {
    let sum = 0;
    for (let i = Math.max(from, this.baseIndex) + 1; i <= this.lastIndex(); i++) {
      if (this.terms[i - this.baseIndex - 1] === term) sum += this.sizes[i - this.baseIndex - 1]!;
    }
    return sum;
  }

  /** First index holding an entry of `term` (searching back from the end), or 0. */
  firstIndexOfTerm(term: number): number {
    let first = 0;
    for (let i = this.lastIndex(); i > this.baseIndex; i--) {
      const t = this.terms[i - this.baseIndex - 1]!;
      if (t === term) first = i;
      else if (t < term) break;
    }
    return first;
  }
}
