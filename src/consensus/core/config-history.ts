// Which configuration is active: the latest Config entry in the log, else the
// snapshot's. Configurations take effect when appended, so a truncated Config
// entry must give way to the one before it (B16); that is why every Config
// entry after the snapshot is remembered, not just the latest.
import { EntryType, type Entry, type Membership, type SnapshotMeta } from './types.js';
import { EMPTY_MEMBERSHIP, tryDecodeMembership } from './membership.js';

interface ConfigAt {
  readonly index: number;
  readonly membership: Membership;
}

export class ConfigHistory {
  private base: ConfigAt;
  private changes: ConfigAt[] = [];

  constructor(snapshot: SnapshotMeta | null) {
    this.base = snapshot ? { index: snapshot.index, membership: snapshot.membership } : { index: 0, membership: EMPTY_MEMBERSHIP };
  }

  active(): Membership {
    return this.latest().membership;
  }

  /** Index of the entry that holds the active configuration (the snapshot index if none is in the log). */
  activeIndex(): number {
    return this.latest().index;
  }

  /** The configuration in force at `index` (the latest one at or below it). */
  at(index: number): Membership {
    for (let i = this.changes.length - 1; i >= 0; i--) {
      const c = this.changes[i]!;
      if (c.index <= index) return c.membership;
    }
    return this.base.membership;
  }

  /**
   * Records the Config entries among `entries`. Undecodable data is skipped:
   * the previous configuration stays in force rather than the node crashing.
   */
  appended(entries: readonly Entry[]): void {
    for (const e of entries) {
      if (e.type !== EntryType.Config || e.index <= this.latest().index) continue;
      const membership = tryDecodeMembership(e.data);
      if (membership !== null) this.changes.push({ index: e.index, membership });
    }
  }

  /** Entries with index ≥ `from` were removed from the log. */
  truncatedFrom(from: number): void {
    while (this.changes.length > 0 && this.changes[this.changes.length - 1]!.index >= from) this.changes.pop();
  }

  /** The log was replaced by a snapshot received from the leader. */
  reset(snapshot: SnapshotMeta): void {
    this.base = { index: snapshot.index, membership: snapshot.membership };
    this.changes = [];
  }

  /** A local snapshot now covers everything up to snapshot.index; older entries need not be remembered. */
  compacted(snapshot: SnapshotMeta): void {
    if (snapshot.index <= this.base.index) return;
    this.base = { index: snapshot.index, membership: this.at(snapshot.index) };
    this.changes = this.changes.filter((c) => c.index > snapshot.index);
  }

  private latest(): ConfigAt {
    return this.changes.length > 0 ? this.changes[this.changes.length - 1]! : this.base;
  }
}
