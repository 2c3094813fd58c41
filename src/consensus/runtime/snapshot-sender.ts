// Leader side of InstallSnapshot: streams the newest snapshot file to a
// follower in chunks, one chunk in flight, resuming at the offset the follower
// asks for (0 restarts the transfer, B28).
import type { NodeId, SnapshotMeta } from '../core/types.js';
import type { SnapshotFile, SnapshotStore } from '../../persistence/types.js';
import type { PeerFrame, SnapshotAck } from '../transport/frames.js';

interface Transfer {
  readonly file: SnapshotFile;
  offset: number;
  sentAt: number;
}

export interface SnapshotSenderDeps {
  readonly self: NodeId;
  readonly store: SnapshotStore;
  readonly term: () => number;
  readonly send: (peer: NodeId, frame: PeerFrame) => boolean;
  /** Tells the core how the transfer ended. */
  readonly report: (peer: NodeId, ok: boolean) => void;
  readonly chunkBytes: number;
  readonly chunkTimeoutMs: number;
  readonly onError: (peer: NodeId, error: unknown) => void;
  /** Monotonic clock in ms (the same one passed to tick); injectable for the deterministic simulator. */
  readonly now?: () => number;
}

export class SnapshotSender {
  private readonly transfers = new Map<NodeId, Transfer>();

  constructor(private readonly deps: SnapshotSenderDeps) {}

  get active(): number {
    return this.transfers.size;
  }

  /** The core wants `peer` to receive a snapshot at least as new as `meta`. */
  start(peer: NodeId, meta: SnapshotMeta): void {
    if (this.transfers.has(peer)) return;
    void this.open(peer, meta);
  }

  onAck(ack: SnapshotAck): void {
    const t = this.transfers.get(ack.from);
    if (!t || ack.snapshotIndex !== t.file.meta.index) return;
    if (ack.installed || ack.failed) {
      this.finish(ack.from, ack.installed);
      return;
    }
    t.offset = ack.nextOffset;
    void this.sendChunk(ack.from, t);
  }

  /** Fails transfers whose chunk went unanswered for too long. */
  tick(now: number): void {
    for (const [peer, t] of this.transfers) {
      if (now - t.sentAt > this.deps.chunkTimeoutMs) this.finish(peer, false);
    }
  }

  cancelAll(): void {
    this.transfers.clear();
  }

  private async open(peer: NodeId, meta: SnapshotMeta): Promise<void> {
    // Reserve the slot before the await so a second Snap for the peer is ignored.
    const placeholder = { file: null as unknown as SnapshotFile, offset: 0, sentAt: this.now() };
    this.transfers.set(peer, placeholder);
    try {
      const file = await this.deps.store.latest();
      if (this.transfers.get(peer) !== placeholder) return;
      if (!file || file.meta.index < meta.index) {
        this.finish(peer, false);
        return;
      }
      const t: Transfer = { file, offset: 0, sentAt: this.now() };
      this.transfers.set(peer, t);
      await this.sendChunk(peer, t);
    } catch (error) {
      this.deps.onError(peer, error);
      this.finish(peer, false);
    }
  }

  private async sendChunk(peer: NodeId, t: Transfer): Promise<void> {
    try {
      // Another ack may move t.offset while the read is pending: the frame must
      // carry the offset its bytes were read at (B28, duplicated acks).
      const offset = t.offset;
      const length = Math.min(this.deps.chunkBytes, t.file.size - offset);
      const data = await t.file.read(offset, length);
      if (this.transfers.get(peer) !== t) return;
      t.sentAt = this.now();
      this.deps.send(peer, {
        kind: 'snap-chunk',
        from: this.deps.self,
        term: this.deps.term(),
        meta: t.file.meta,
        size: t.file.size,
        offset,
        data,
        done: offset + length >= t.file.size,
      });
    } catch (error) {
      this.deps.onError(peer, error);
      this.finish(peer, false);
    }
  }

  private now(): number {
    return this.deps.now !== undefined ? this.deps.now() : performance.now();
  }

  private finish(peer: NodeId, ok: boolean): void {
    if (!this.transfers.delete(peer)) return;
    this.deps.report(peer, ok);
  }
}
