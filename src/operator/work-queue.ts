// A delaying work queue keyed by resource ("namespace/name"): a key waits for
// its earliest requested time, runs at most once at a time, and a key added
// while it runs runs again right after. Failures back off exponentially per key.

export interface WorkQueueOptions {
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly onError?: (key: string, error: unknown, retryInMs: number) => void;
}

/** The worker returns when to look at the key again (null: only on the next event). */
export type Worker = (key: string) => Promise<number | null>;

export class WorkQueue {
  private readonly timers = new Map<string, { due: number; handle: NodeJS.Timeout }>();
  private readonly running = new Set<string>();
  private readonly rerun = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly idle: (() => void)[] = [];
  private stopped = false;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(
    private readonly worker: Worker,
    private readonly options: WorkQueueOptions = {},
  ) {
    this.minBackoffMs = options.minBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 5 * 60_000;
  }

  /** Schedules key after delayMs, unless it is already due sooner. */
  add(key: string, delayMs = 0): void {
    if (this.stopped) return;
    const due = Date.now() + Math.max(0, delayMs);
    const pending = this.timers.get(key);
    if (pending !== undefined) {
      if (pending.due <= due) return;
      clearTimeout(pending.handle);
    }
    const handle = setTimeout(() => this.fire(key), Math.max(0, delayMs));
    this.timers.set(key, { due, handle });
  }

  get size(): number {
    return this.timers.size + this.running.size;
  }

  /** Resolves once nothing is scheduled or running (tests). */
  drained(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t.handle);
    this.timers.clear();
    this.notifyIdle();
  }

  private fire(key: string): void {
    this.timers.delete(key);
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.rerun.add(key);
      return;
    }
    void this.run(key);
  }

  private async run(key: string): Promise<void> {
    this.running.add(key);
    try {
      const next = await this.worker(key);
      this.failures.delete(key);
      if (next !== null) this.add(key, next);
    } catch (error) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const retry = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** (n - 1));
      this.options.onError?.(key, error, retry);
      this.add(key, retry);
    } finally {
      this.running.delete(key);
      if (this.rerun.delete(key)) this.add(key, 0);
      this.notifyIdle();
    }
  }

  private notifyIdle(): void {
    if (this.size !== 0 && !this.stopped) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}
