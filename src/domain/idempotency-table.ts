// Remembered first outcomes of requests that carried an Idempotency-Key.
// Time is the state machine's watermark (the highest command timestamp applied),
// never a local clock, so every replica expires the same keys at the same index.
import type { Outcome } from './outcome.js';

export interface IdempotencyEntry {
  readonly fingerprint: string;
  /** Watermark when stored; non-decreasing in insertion order, so FIFO is age order. */
  readonly storedAt: number;
  readonly outcome: Outcome;
}

export interface IdempotencyLimits {
  readonly windowMs: number;
  readonly capacity: number;
  /**
   * How far one command may move the replicated clock ahead, so that a single
   * node with a clock far in the future cannot expire every key at once.
   */
  readonly maxClockStepMs: number;
}

export const DEFAULT_IDEMPOTENCY_LIMITS: IdempotencyLimits = {
  windowMs: 24 * 60 * 60 * 1000,
  capacity: 100_000,
  maxClockStepMs: 60_000,
};

export class IdempotencyTable {
  private readonly entries = new Map<string, IdempotencyEntry>();

  constructor(private readonly limits: IdempotencyLimits) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): IdempotencyEntry | undefined {
    return this.entries.get(key);
  }

  /** Drops entries at least one window old; stops at the first younger one. */
  expire(nowMs: number): void {
    for (const [key, entry] of this.entries) {
      if (nowMs - entry.storedAt < this.limits.windowMs) return;
      this.entries.delete(key);
    }
  }

  /** `storedAt` must not be lower than that of any entry already stored. */
  remember(key: string, entry: IdempotencyEntry): void {
    this.entries.delete(key);
    while (this.entries.size >= this.limits.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, entry);
  }

  /** Entries oldest first. */
  list(): IterableIterator<[string, IdempotencyEntry]> {
    return this.entries.entries();
  }
}
