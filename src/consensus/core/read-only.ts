// The leader's ReadIndex queue (etcd raft's readOnly, ReadOnlySafe). Each
// request records the commit index at its arrival and waits until a quorum of
// voters has answered a heartbeat sent after it. Requests are answered in
// arrival order: an ack for a later request proves leadership at a later
// time, so it also releases every request queued before it.
import type { NodeId } from './types.js';

export interface ReadRequest {
  /** Who asked: this node, or the follower that forwarded the read. */
  readonly from: NodeId;
  /** The requester's own context. */
  readonly context: string;
  /** Unique key of the request on this leader; carried by its heartbeats. */
  readonly key: string;
  readonly index: number;
  readonly acks: Set<NodeId>;
}

/**
 * Contexts are chosen by each node independently, so two followers may use
 * the same one; the heartbeat context must identify the request uniquely.
 */
export function readKey(from: NodeId, context: string): string {
  return JSON.stringify([from, context]);
}

export class ReadOnlyQueue {
  private readonly pending = new Map<string, ReadRequest>();
  private queue: string[] = [];

  /** Queues a request; a duplicate of a request still pending is ignored. */
  add(from: NodeId, context: string, index: number): ReadRequest | null {
    const key = readKey(from, context);
    if (this.pending.has(key)) return null;
    const req: ReadRequest = { from, context, key, index, acks: new Set() };
    this.pending.set(key, req);
    this.queue.push(key);
    return req;
  }

  /** Records that `from` answered the heartbeat for `key`; the acks so far, or null for an unknown key. */
  recvAck(from: NodeId, key: string): ReadonlySet<NodeId> | null {
    const req = this.pending.get(key);
    if (req === undefined) return null;
    req.acks.add(from);
    return req.acks;
  }

  /** Removes and returns every request up to and including `key`, in arrival order. */
  advance(key: string): ReadRequest[] {
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const done = this.queue.slice(0, at + 1);
    this.queue = this.queue.slice(at + 1);
    const out: ReadRequest[] = [];
    for (const k of done) {
      const req = this.pending.get(k);
      this.pending.delete(k);
      if (req !== undefined) out.push(req);
    }
    return out;
  }

  /** Key of the newest pending request: periodic heartbeats carry it so a lost round gets another chance. */
  lastKey(): string {
    return this.queue.length > 0 ? this.queue[this.queue.length - 1]! : '';
  }

  get size(): number {
    return this.queue.length;
  }

  /** Removes and returns everything (the leader steps down). */
  drain(): ReadRequest[] {
    const out = this.queue.map((k) => this.pending.get(k)!);
    this.pending.clear();
    this.queue = [];
    return out;
  }
}
