// client-node informers stop for good on most watch errors (they emit "error"
// and never re-watch), and idle load balancers drop watches silently. This
// supervisor re-creates an informer after an error with backoff (1 s doubling
// to 30 s, with jitter), and after a watchdog period without any sign of life.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ResourceInformer, WatchedKind } from './kube-api.js';

export interface SupervisorOptions {
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** No event and no (re)connect for this long: the watch is presumed dead. */
  readonly watchdogMs?: number;
  readonly onRestart?: (kind: WatchedKind, why: string) => void;
}

export class SupervisedInformer {
  private current: ResourceInformer | null = null;
  private synced = false;
  private stopped = true;
  private backoffMs: number;
  private lastSignOfLife = Date.now();
  private restartTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly watchdogMs: number;

  constructor(
    readonly kind: WatchedKind,
    private readonly create: () => ResourceInformer,
    private readonly onObject: (obj: KubernetesObject) => void,
    private readonly logger: Logger,
    private readonly options: SupervisorOptions = {},
  ) {
    this.minBackoffMs = options.minBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.watchdogMs = options.watchdogMs ?? 5 * 60_000;
    this.backoffMs = this.minBackoffMs;
  }

  /** Listed and watching since the last (re)start. */
  get isSynced(): boolean {
    return this.synced;
  }

  /** Seconds since the informer last showed it is alive (event, connect or sync). */
  get silentForMs(): number {
    return Date.now() - this.lastSignOfLife;
  }

  list(): readonly KubernetesObject[] {
    return this.current?.list() ?? [];
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.launch();
    this.watchdog = setInterval(() => {
      if (this.silentForMs > this.watchdogMs) this.restart(`no event for ${Math.round(this.silentForMs / 1000)} s`);
    }, Math.max(10, Math.floor(this.watchdogMs / 5)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    if (this.watchdog !== null) clearInterval(this.watchdog);
    this.restartTimer = null;
    this.watchdog = null;
    const old = this.current;
    this.current = null;
    this.synced = false;
    if (old !== null) await old.stop().catch(() => undefined);
  }

  private launch(): void {
    const inf = this.create();
    this.current = inf;
    this.synced = false;
    this.lastSignOfLife = Date.now();
    // Callbacks of a replaced informer are ignored: it may still report its own abort.
    const live = (): boolean => this.current === inf && !this.stopped;
    // client-node's start() resolves even when its list failed (it reports that through "error").
    let errored = false;
    const onObject = (obj: KubernetesObject): void => {
      if (!live()) return;
      this.lastSignOfLife = Date.now();
      this.onObject(obj);
    };
    inf.on('add', onObject);
    inf.on('update', onObject);
    inf.on('delete', onObject);
    inf.on('connect', () => {
      if (live()) this.lastSignOfLife = Date.now();
    });
    inf.on('error', (err?: unknown) => {
      errored = true;
      if (live()) this.failed(err);
    });
    inf.start().then(
      () => {
        if (!live() || errored) return;
        this.synced = true;
        this.backoffMs = this.minBackoffMs;
        this.lastSignOfLife = Date.now();
        // Everything listed counts as changed: a missed event during the gap must not be lost.
        for (const obj of inf.list()) this.onObject(obj);
      },
      (err: unknown) => {
        errored = true;
        if (live()) this.failed(err);
      },
    );
  }

  private failed(err: unknown): void {
    this.synced = false;
    if (this.restartTimer !== null) return;
    const delay = Math.round(this.backoffMs * (0.8 + Math.random() * 0.4));
    this.backoffMs = Math.min(this.maxBackoffMs, this.backoffMs * 2);
    this.logger.warn({ resource: this.kind, err: err instanceof Error ? err.message : String(err), retryInMs: delay }, 'informer stopped: restarting it');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.restart('error');
    }, delay);
  }

  private restart(why: string): void {
    if (this.stopped) return;
    const old = this.current;
    this.current = null;
    if (old !== null) void old.stop().catch(() => undefined);
    this.options.onRestart?.(this.kind, why);
    this.launch();
  }
}
