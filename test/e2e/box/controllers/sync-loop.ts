// The controllers of the box are level-triggered and small: each recomputes
// everything it owns from the store on any change of the kinds it watches
// (coalesced), and periodically for the time-based rules (minReadySeconds).
import type { ResourceType } from '../api/resource-types.js';
import type { Store } from '../api/store.js';

export class SyncLoop {
  private unsubscribe: (() => void)[] = [];
  private scheduled: NodeJS.Timeout | null = null;
  private periodic: NodeJS.Timeout | null = null;
  lastError: unknown = null;

  constructor(
    private readonly store: Store,
    private readonly watched: readonly ResourceType[],
    private readonly sync: () => void,
    private readonly periodMs = 1000,
  ) {}

  start(): void {
    const rv = this.store.resourceVersion;
    for (const t of this.watched) this.unsubscribe.push(this.store.watch(t, null, rv, () => true, () => true, () => this.kick()));
    this.periodic = setInterval(() => this.kick(), this.periodMs);
    this.kick();
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    if (this.scheduled !== null) clearTimeout(this.scheduled);
    if (this.periodic !== null) clearInterval(this.periodic);
    this.scheduled = null;
    this.periodic = null;
  }

  kick(): void {
    if (this.scheduled !== null) return;
    this.scheduled = setTimeout(() => {
      this.scheduled = null;
      try {
        this.sync();
      } catch (error) {
        this.lastError = error;
      }
    }, 10);
  }
}
