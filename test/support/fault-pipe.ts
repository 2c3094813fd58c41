// One direction of a proxied connection: reads from `src`, drops and delays
// frames as the link's current settings say, writes to `dst` in order, and
// passes the end of the stream on once everything delayed has left.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { FrameSplitter, type DirectionStats } from './fault-frames.js';
import type { Random } from './fault-random.js';

/** Live settings of a link, read on every frame so changes reach open connections at once. */
export interface FaultSettings {
  dropRate: number;
  delayMs: number;
  jitterMs: number;
}

export interface FaultPipeOptions {
  /** Whether the link's faults apply; otherwise bytes pass untouched (and uncounted as frames). */
  readonly faulty: boolean;
  readonly settings: FaultSettings;
  readonly dropRandom: Random;
  readonly delayRandom: Random;
  readonly counters: DirectionStats;
}

interface Delayed {
  readonly due: number;
  readonly data: Buffer;
}

/** Delayed bytes held above this stop reading from the source, like a full socket buffer would. */
const HIGH_WATER_BYTES = 8 * 1024 * 1024;

export class FaultPipe {
  private readonly splitter: FrameSplitter | null;
  private queue: Delayed[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  /** Due time of the newest queued piece: nothing may overtake it. */
  private lastDue = 0;
  private timer: NodeJS.Timeout | null = null;
  private paused = false;
  private srcEnded = false;
  private dstEnded = false;
  private stopped = false;

  constructor(
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly opts: FaultPipeOptions,
  ) {
    this.splitter = opts.faulty ? new FrameSplitter((i) => this.keepFrame(i), opts.counters) : null;
  }

  /** Starts moving bytes; `head` was read from `src` before (while identifying the connection). */
  start(head: readonly Buffer[]): void {
    for (const chunk of head) this.receive(chunk);
    this.src.on('data', (chunk: Buffer) => this.receive(chunk));
    this.src.on('end', () => {
      this.srcEnded = true;
      this.maybeEnd();
    });
    this.dst.on('drain', () => this.updateFlow());
    // A socket paused while it was identified does not resume when a 'data' listener is added.
    if (!this.paused) this.src.resume();
  }

  /** Discards whatever is delayed; the sockets are being torn down. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
    this.queueHead = 0;
    this.queuedBytes = 0;
  }

  private keepFrame(index: number): boolean {
    // The first frame is the Hello: losing it gets the connection refused, a partition rather than loss.
    if (index === 0) return true;
    // Drawn for every frame whatever the rate, so a seed fixes the sequence and a
    // higher rate drops a superset of what a lower one drops.
    return this.opts.dropRandom() >= this.opts.settings.dropRate;
  }

  private receive(chunk: Buffer): void {
    if (this.stopped) return;
    let pieces: Buffer[];
    if (this.splitter !== null) {
      pieces = this.splitter.push(chunk);
    } else {
      this.opts.counters.bytesForwarded += chunk.length;
      pieces = [chunk];
    }
    for (const piece of pieces) this.schedule(piece);
    this.updateFlow();
  }

  private schedule(data: Buffer): void {
    const s = this.opts.settings;
    const delaying = this.opts.faulty && (s.delayMs > 0 || s.jitterMs > 0);
    if (!delaying && this.queuedBytes === 0) {
      this.write(data);
      return;
    }
    const wait = delaying ? Math.max(0, s.delayMs + (2 * this.opts.delayRandom() - 1) * s.jitterMs) : 0;
    const due = Math.max(performance.now() + wait, this.lastDue);
    this.lastDue = due;
    this.queue.push({ due, data });
    this.queuedBytes += data.length;
    this.arm();
  }

  private arm(): void {
    const head = this.queue[this.queueHead];
    if (this.timer !== null || head === undefined || this.stopped) return;
    const wait = Math.max(0, Math.ceil(head.due - performance.now()));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.release();
    }, wait);
  }

  private release(): void {
    if (this.stopped) return;
    const now = performance.now();
    // Timers may fire a little before the monotonic clock reaches `due`: such pieces wait for the next round.
    for (let head = this.queue[this.queueHead]; head !== undefined && head.due <= now; head = this.queue[this.queueHead]) {
      this.queueHead++;
      this.queuedBytes -= head.data.length;
      this.write(head.data);
    }
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    }
    this.arm();
    this.updateFlow();
    this.maybeEnd();
  }

  private write(data: Buffer): void {
    if (this.dst.destroyed || this.dstEnded) return;
    this.dst.write(data);
  }

  private updateFlow(): void {
    if (this.stopped) return;
    const full = this.dst.writableNeedDrain || this.queuedBytes > HIGH_WATER_BYTES;
    if (full && !this.paused) {
      this.paused = true;
      this.src.pause();
    } else if (!full && this.paused) {
      this.paused = false;
      this.src.resume();
    }
  }

  private maybeEnd(): void {
    if (!this.srcEnded || this.dstEnded || this.queuedBytes > 0 || this.stopped) return;
    this.dstEnded = true;
    if (!this.dst.destroyed) this.dst.end();
  }
}
