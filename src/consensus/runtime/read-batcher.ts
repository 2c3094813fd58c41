// Linearizable reads by ReadIndex, batched: every read that arrives while a
// round is in flight waits for the next round, so any number of concurrent
// reads costs one heartbeat round (plus one apply wait) per round trip.
// A read may only share a round that started after it arrived: the round's
// index must be at least the commit index at the read's arrival.
import { waiter, type Waiter } from './waiters.js';
import { NoLeaderError } from './replicator.js';

interface Round {
  readonly context: string;
  readonly startedAt: number;
  readonly readers: Waiter<void>[];
}

interface IndexWait {
  readonly index: number;
  readonly readers: Waiter<void>[];
}

export interface ReadIndexPort {
  /** Starts a ReadIndex round in the core. */
  readIndex(context: string): void;
  appliedIndex(): number;
}

export class ReadBatcher {
  private queue: Waiter<void>[] = [];
  private round: Round | null = null;
  private readonly waitingForApply: IndexWait[] = [];
  private seq = 0;

  constructor(
    private readonly port: ReadIndexPort,
    /** A round with no answer after this long is abandoned and retried (its messages were lost). */
    private readonly roundTimeoutMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  read(timeoutMs: number): Promise<void> {
    const w = waiter<void>(timeoutMs, () => new NoLeaderError(`no read index confirmed by a quorum within ${timeoutMs} ms`));
    this.queue.push(w);
    this.startRound();
    return w.promise;
  }

  /** The core confirmed `index` for `context`. */
  confirmed(index: number, context: string): void {
    const round = this.round;
    if (round === null || round.context !== context) return;
    this.round = null;
    if (this.port.appliedIndex() >= index) for (const r of round.readers) r.resolve();
    else this.waitingForApply.push({ index, readers: round.readers });
    this.startRound();
  }

  /** The core gave up on `context` (no leader, leader stepped down). */
  failed(context: string): void {
    const round = this.round;
    if (round === null || round.context !== context) return;
    this.round = null;
    this.queue = round.readers.concat(this.queue).filter((r) => !r.settled);
  }

  /** Called after entries were applied. */
  applied(appliedIndex: number): void {
    for (let i = this.waitingForApply.length - 1; i >= 0; i--) {
      const w = this.waitingForApply[i]!;
      if (w.index <= appliedIndex) {
        for (const r of w.readers) r.resolve();
        this.waitingForApply.splice(i, 1);
      }
    }
  }

  /** Called on every tick: retries failed rounds and abandons lost ones. */
  tick(): void {
    if (this.round !== null && this.now() - this.round.startedAt > this.roundTimeoutMs) this.failed(this.round.context);
    this.startRound();
  }

  rejectAll(error: Error): void {
    for (const r of this.queue) r.reject(error);
    if (this.round) for (const r of this.round.readers) r.reject(error);
    for (const w of this.waitingForApply) for (const r of w.readers) r.reject(error);
    this.queue = [];
    this.round = null;
    this.waitingForApply.length = 0;
  }

  private startRound(): void {
    if (this.round !== null || this.queue.length === 0) return;
    const context = `r${++this.seq}`;
    this.round = { context, startedAt: this.now(), readers: this.queue };
    this.queue = [];
    this.port.readIndex(context);
  }
}
