// The leader's view of one follower (etcd raft's tracker.Progress):
// - probe: we do not know where the follower's log matches ours; send one
//   App at a time and wait for its answer (or the next heartbeat response);
// - replicate: the follower is known to match up to `match`; stream Apps
//   optimistically, at most maxInflight unacknowledged at a time;
// - snapshot: the follower needs a snapshot; send nothing until it is
//   reported done or failed.
import type { ProgressState } from './types.js';

/** Last indexes of unacknowledged App messages, oldest first. */
export class Inflights {
  private items: number[] = [];

  constructor(private readonly capacity: number) {}

  get count(): number {
    return this.items.length;
  }

  full(): boolean {
    return this.items.length >= this.capacity;
  }

  add(lastIndex: number): void {
    this.items.push(lastIndex);
  }

  /** An ack up to `index` frees every message that ended at or below it. */
  freeLE(index: number): void {
    let n = 0;
    while (n < this.items.length && this.items[n]! <= index) n++;
    if (n > 0) this.items.splice(0, n);
  }

  reset(): void {
    this.items = [];
  }
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** Index of the snapshot being sent (snapshot state), 0 otherwise. */
  pendingSnapshot = 0;
  /** Probe state: an App is outstanding; wait for its answer or the next heartbeat response. */
  probeSent = false;
  readonly inflights: Inflights;
  /** Ticks since the last AppResp/HeartbeatResp from this peer (check-quorum, learner promotion). */
  ticksSinceHeard = 0;
  /** Learners: consecutive ticks this peer has been caught up and active. */
  stableTicks = 0;
  /** The highest commit index sent to this peer (in an App or Heartbeat). */
  sentCommit = 0;

  constructor(next: number, maxInflight: number) {
    this.next = Math.max(1, next);
    this.inflights = new Inflights(Math.max(1, maxInflight));
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  becomeProbe(): void {
    // After a snapshot the follower holds at least the snapshot's entries.
    const floor = this.state === 'snapshot' ? Math.max(this.match, this.pendingSnapshot) : this.match;
    this.resetState('probe');
    this.next = floor + 1;
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** Records that an App ending at `lastIndex` with `count` entries was sent. */
  sentEntries(count: number, lastIndex: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /**
   * etcd's CanBumpCommit: sending `commit` now may move the follower's commit
   * index, and the commit index sent so far does not already cover next-1.
   */
  canBumpCommit(commit: number): boolean {
    return commit > this.sentCommit && this.sentCommit < this.next - 1;
  }

  /** A successful AppResp for `index`; false when it tells us nothing new (stale or duplicate). */
  maybeUpdate(index: number): boolean {
    if (index <= this.match) return false;
    this.match = index;
    this.next = Math.max(this.next, index + 1);
    this.probeSent = false;
    return true;
  }

  /**
   * A rejected App whose prev index was `rejected`; `hint` is the highest index
   * that may still match. False when the rejection is stale (it answers an
   * App we no longer care about).
   */
  maybeDecrTo(rejected: number, hint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      // What was sent beyond the match point was probably lost.
      this.sentCommit = Math.min(this.sentCommit, this.next - 1);
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  private resetState(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights.reset();
  }
}
