// Follower side of InstallSnapshot: writes chunks to a temp file in order,
// answers every chunk with the offset it expects next, and hands a complete,
// verified snapshot to the node. Chunks are processed one at a time.
import type { NodeId, SnapshotMeta } from '../core/types.js';
import type { SnapshotReceiver, SnapshotStore } from '../../persistence/types.js';
import type { PeerFrame, SnapshotChunk } from '../transport/frames.js';

export interface SnapshotInboxDeps {
  readonly self: NodeId;
  readonly store: SnapshotStore;
  readonly term: () => number;
  readonly send: (peer: NodeId, frame: PeerFrame) => boolean;
  /** A complete, verified snapshot arrived from `leader` in `term`. */
  readonly complete: (leader: NodeId, term: number, meta: SnapshotMeta, data: Uint8Array) => void;
  readonly onError: (error: unknown) => void;
}

interface Incoming {
  readonly meta: SnapshotMeta;
  readonly receiver: SnapshotReceiver;
}

export class SnapshotInbox {
  private current: Incoming | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly deps: SnapshotInboxDeps) {}

  onChunk(chunk: SnapshotChunk): void {
    this.chain = this.chain.then(() => this.handle(chunk));
  }

  async close(): Promise<void> {
    await this.chain;
    if (this.current) await this.current.receiver.abort();
    this.current = null;
  }

  private async handle(c: SnapshotChunk): Promise<void> {
    if (c.term < this.deps.term()) {
      this.ack(c, 0, false, true);
      return;
    }
    try {
      if (c.offset === 0) {
        if (this.current) await this.current.receiver.abort();
        this.current = { meta: c.meta, receiver: await this.deps.store.beginReceive() };
      }
      const cur = this.current;
      if (!cur || cur.meta.index !== c.meta.index || cur.meta.term !== c.meta.term || c.offset !== cur.receiver.received) {
        const expected = cur && cur.meta.index === c.meta.index && cur.meta.term === c.meta.term ? cur.receiver.received : 0;
        this.ack(c, expected, false, false);
        return;
      }
      await cur.receiver.write(c.offset, c.data);
      if (!c.done) {
        this.ack(c, cur.receiver.received, false, false);
        return;
      }
      this.current = null;
      const { meta, data } = await cur.receiver.finish();
      this.deps.complete(c.from, c.term, meta, data);
      this.ack(c, 0, true, false);
    } catch (error) {
      this.deps.onError(error);
      const cur = this.current;
      this.current = null;
      if (cur) await cur.receiver.abort().catch(() => undefined);
      this.ack(c, 0, false, true);
    }
  }

  private ack(c: SnapshotChunk, nextOffset: number, installed: boolean, failed: boolean): void {
    this.deps.send(c.from, {
      kind: 'snap-ack',
      from: this.deps.self,
      term: this.deps.term(),
      snapshotIndex: c.meta.index,
      nextOffset,
      installed,
      failed,
    });
  }
}
