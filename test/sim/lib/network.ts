// The simulated peer network: every frame is an event with its own delay
// (0–1 tick, a slow tail of 2–10 ticks), so frames overtake each other; frames
// may be lost or duplicated; links can be cut one way or both (partitions).
// A frame to a process that died or restarted since it was sent is lost, as
// with a TCP connection that broke.
import type { NodeId } from '../../../src/consensus/core/types.js';
import type { PeerFrame } from '../../../src/consensus/transport/frames.js';
import type { NetworkParams } from './params.js';
import { TICK } from './params.js';
import type { SimRng } from './rng.js';

export interface NetworkEnv {
  now(): number;
  at(time: number, fn: () => void): void;
  trace(text: string): void;
  /** The epoch of the process running on `id`, or -1 when it is down (connection refused). */
  epochOf(id: NodeId): number;
  /** Hands the frame to the process, if it is still epoch `epoch`; false when it was lost. */
  deliver(to: NodeId, epoch: number, from: { id: NodeId; incarnation: string }, frame: PeerFrame): boolean;
}

export function describeFrame(to: NodeId, frame: PeerFrame): string {
  switch (frame.kind) {
    case 'raft': {
      const m = frame.message;
      const ctx = m.context !== '' ? ` ${m.context}` : '';
      return `${m.type} ${m.from}>${m.to} t${m.term} i${m.index}/${m.logTerm} e${m.entries.length} c${m.commit}${m.reject ? ' rej' : ''}${ctx}`;
    }
    case 'snap-chunk':
      return `chunk ${frame.from}>${to} s${frame.meta.index}/${frame.meta.term} o${frame.offset}+${frame.data.length}${frame.done ? ' last' : ''}`;
    case 'snap-ack':
      return `snap-ack ${frame.from}>${to} s${frame.snapshotIndex} o${frame.nextOffset}${frame.installed ? ' installed' : ''}${frame.failed ? ' failed' : ''}`;
  }
}

export class SimNetwork {
  private readonly cut = new Set<string>();
  /** Set while faults are allowed; off in the quiesce window. */
  faultsOn = true;
  delivered = 0;
  dropped = 0;

  constructor(
    private readonly env: NetworkEnv,
    private readonly params: NetworkParams,
    private readonly rng: SimRng,
  ) {}

  /** False when the receiver is down (the sender sees the connection refused). */
  send(from: { id: NodeId; incarnation: string }, to: NodeId, frame: PeerFrame): boolean {
    const epoch = this.env.epochOf(to);
    if (epoch < 0) return false;
    if (this.cut.has(`${from.id}>${to}`)) {
      this.lose(to, frame, 'cut');
      return true;
    }
    if (this.faultsOn && this.rng.chance(this.params.drop)) {
      this.lose(to, frame, 'drop');
      return true;
    }
    this.schedule(from, to, epoch, frame);
    if (this.faultsOn && this.rng.chance(this.params.duplicate)) this.schedule(from, to, epoch, frame);
    return true;
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  cutOneWay(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  cutBoth(a: NodeId, b: NodeId): void {
    this.cutOneWay(a, b);
    this.cutOneWay(b, a);
  }

  /** Cuts every link between different groups. */
  partition(groups: readonly (readonly NodeId[])[]): void {
    for (const g of groups) for (const h of groups) if (g !== h) for (const a of g) for (const b of h) this.cutOneWay(a, b);
  }

  heal(): void {
    this.cut.clear();
  }

  get partitioned(): boolean {
    return this.cut.size > 0;
  }

  describeCuts(): string {
    return [...this.cut].sort().join(' ');
  }

  private schedule(from: { id: NodeId; incarnation: string }, to: NodeId, epoch: number, frame: PeerFrame): void {
    const slow = this.faultsOn && this.rng.chance(this.params.tail);
    const delay = slow ? this.rng.between(2 * TICK, 10 * TICK) : this.rng.between(1, TICK);
    this.env.at(this.env.now() + delay, () => {
      // A link cut while the frame was on the wire loses it too.
      if (this.cut.has(`${from.id}>${to}`)) {
        this.lose(to, frame, 'cut');
        return;
      }
      if (this.env.deliver(to, epoch, from, frame)) {
        this.delivered++;
        this.env.trace(`> ${describeFrame(to, frame)}`);
      } else {
        this.lose(to, frame, 'gone');
      }
    });
  }

  private lose(to: NodeId, frame: PeerFrame, why: string): void {
    this.dropped++;
    this.env.trace(`x ${why} ${describeFrame(to, frame)}`);
  }
}
