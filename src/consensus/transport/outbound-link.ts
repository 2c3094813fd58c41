// One dialled connection to a peer (its control or its bulk channel): a
// bounded queue of encoded frames, written in batches, with reconnects that
// look the host name up again every time (pod IPs change on Kubernetes).
import net from 'node:net';
import { backoffDelay } from './backoff.js';
import type { Channel } from './channel.js';
import { parseHostPort } from './host-port.js';
import type { TransportLogger } from './transport-types.js';

export const KEEPALIVE_DELAY_MS = 5_000;
/** Frames at least this large are written as they are; smaller ones are concatenated. */
const COALESCE_BELOW_BYTES = 64 * 1024;
/** Upper bound of one concatenated write. */
const COALESCE_MAX_BYTES = 1024 * 1024;
/** A stalled write may take this long per byte still buffered, on top of the stall timeout (256 KiB/s). */
const STALL_MS_PER_BYTE = 1000 / (256 * 1024);

export interface OutboundLinkOptions {
  readonly peer: string;
  readonly channel: Channel;
  readonly maxQueueBytes: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  readonly connectTimeoutMs: number;
  /** Source IP to dial from; the OS picks one when absent. */
  readonly localAddress?: string;
  /** How long a write may wait for 'drain' before the connection is presumed dead. */
  readonly stallTimeoutMs: number;
  /** The encoded Hello to open each connection with (built per connection: the cluster id may have changed). */
  readonly hello: () => Buffer;
  readonly logger: TransportLogger;
  /** An established connection closed without this side asking for it. */
  readonly onDown: () => void;
}

export class OutboundLink {
  private socket: net.Socket | null = null;
  private established = false;
  /** The current socket is being closed on purpose: reconnect at once, report nothing. */
  private restarting = false;
  private closed = false;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private flushImmediate: NodeJS.Immediate | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private openedAt = 0;
  /** When the socket started waiting for 'drain'; 0 when it is not. */
  private drainWaitSince = 0;
  private lastError: Error | null = null;
  /** A failure was logged; stay quiet until a connection lasts again. */
  private failureLogged = false;

  constructor(
    private address: string,
    private readonly opts: OutboundLinkOptions,
  ) {
    this.connect();
  }

  /** Bytes accepted but not yet handed to the kernel. */
  get pendingBytes(): number {
    return this.queuedBytes + (this.socket?.writableLength ?? 0);
  }

  get isEstablished(): boolean {
    return this.established;
  }

  /** Queues one encoded frame; false when the queue bound would be exceeded (the frame is dropped). */
  enqueue(frame: Buffer): boolean {
    if (this.closed || this.pendingBytes + frame.length > this.opts.maxQueueBytes) return false;
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    this.scheduleFlush();
    return true;
  }

  setAddress(address: string): void {
    if (address === this.address) return;
    this.address = address;
    this.restart();
  }

  /** Drops the current connection attempt or connection and dials again at once. */
  restart(): void {
    if (this.closed) return;
    if (this.socket !== null) {
      this.restarting = true;
      this.socket.destroy();
      return;
    }
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.attempt = 0;
    this.connect();
  }

  /** Closes for good: no reconnects, queued frames dropped. Resolves once the socket is closed. */
  close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    if (this.flushImmediate !== null) clearImmediate(this.flushImmediate);
    this.reconnectTimer = null;
    this.flushImmediate = null;
    this.queue = [];
    this.queuedBytes = 0;
    const s = this.socket;
    if (s === null) return Promise.resolve();
    return new Promise((resolve) => {
      s.once('close', () => resolve());
      s.destroy();
    });
  }

  /**
   * A write that never drains means the peer vanished without a reset (its
   * host died; the pod came back elsewhere): TCP would retransmit for many
   * minutes, so give up earlier and dial the address again.
   */
  checkStall(now: number): void {
    const s = this.socket;
    if (s === null || !this.established || this.drainWaitSince === 0) return;
    const allowed = this.opts.stallTimeoutMs + s.writableLength * STALL_MS_PER_BYTE;
    if (now - this.drainWaitSince <= allowed) return;
    this.opts.logger.warn(
      { peer: this.opts.peer, channel: this.opts.channel, address: this.address, buffered: s.writableLength },
      'peer connection stalled: reconnecting',
    );
    s.destroy();
  }

  private connect(): void {
    this.reconnectTimer = null;
    if (this.closed) return;
    let target;
    try {
      target = parseHostPort(this.address);
    } catch (err) {
      this.lastError = err instanceof Error ? err : new Error(String(err));
      this.logFailure();
      this.scheduleReconnect();
      return;
    }
    const socket = net.connect({
      host: target.host,
      port: target.port,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: KEEPALIVE_DELAY_MS,
      ...(this.opts.localAddress !== undefined ? { localAddress: this.opts.localAddress } : {}),
    });
    this.socket = socket;
    this.established = false;
    this.restarting = false;
    this.lastError = null;
    socket.setTimeout(this.opts.connectTimeoutMs);
    socket.on('timeout', () => {
      if (!this.established) socket.destroy(new Error(`connect timeout after ${this.opts.connectTimeoutMs} ms`));
    });
    socket.on('connect', () => this.onConnect(socket));
    socket.on('drain', () => {
      if (this.socket !== socket) return;
      this.drainWaitSince = 0;
      this.flush();
    });
    socket.on('error', (err) => {
      this.lastError = err;
    });
    socket.on('close', () => this.onClose(socket));
    // The peer never writes on this connection, but reading is how its FIN or RST is noticed.
    socket.resume();
  }

  private onConnect(socket: net.Socket): void {
    if (this.socket !== socket || this.closed) return;
    socket.setTimeout(0);
    this.established = true;
    this.openedAt = Date.now();
    socket.write(this.opts.hello());
    this.flush();
  }

  private onClose(socket: net.Socket): void {
    if (this.socket !== socket) return;
    this.socket = null;
    const wasEstablished = this.established;
    this.established = false;
    this.drainWaitSince = 0;
    if (this.closed) return;
    if (this.restarting) {
      this.restarting = false;
      this.attempt = 0;
      this.connect();
      return;
    }
    // A connection that the peer closes at once (say, refusing our Hello) must not reset the backoff.
    const lasted = wasEstablished && Date.now() - this.openedAt >= this.opts.backoffMaxMs;
    if (lasted) {
      this.attempt = 0;
      this.failureLogged = false;
      this.opts.logger.info(
        { peer: this.opts.peer, channel: this.opts.channel, address: this.address, err: this.lastError?.message },
        'peer connection closed',
      );
    } else {
      this.logFailure();
    }
    if (wasEstablished) this.opts.onDown();
    this.scheduleReconnect();
  }

  private logFailure(): void {
    if (this.failureLogged) return;
    this.failureLogged = true;
    this.opts.logger.warn(
      { peer: this.opts.peer, channel: this.opts.channel, address: this.address, err: this.lastError?.message },
      'cannot keep a connection to peer: retrying with backoff',
    );
  }

  private scheduleReconnect(): void {
    const delay = backoffDelay(this.attempt, this.opts.backoffMinMs, this.opts.backoffMaxMs);
    this.attempt++;
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private scheduleFlush(): void {
    if (this.flushImmediate !== null || !this.established || this.drainWaitSince !== 0) return;
    // Everything queued in this turn of the event loop leaves in one write.
    this.flushImmediate = setImmediate(() => {
      this.flushImmediate = null;
      this.flush();
    });
  }

  private flush(): void {
    const s = this.socket;
    // A destroyed socket keeps the queue for the connection that replaces it.
    if (s === null || s.destroyed || !this.established || this.drainWaitSince !== 0 || this.queue.length === 0) return;
    const items = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    if (items.length === 1) {
      s.write(items[0] as Buffer);
    } else {
      s.cork();
      let i = 0;
      while (i < items.length) {
        const first = items[i] as Buffer;
        if (first.length >= COALESCE_BELOW_BYTES) {
          s.write(first);
          i++;
          continue;
        }
        let j = i;
        let bytes = 0;
        while (j < items.length && bytes < COALESCE_MAX_BYTES) {
          const b = items[j] as Buffer;
          if (b.length >= COALESCE_BELOW_BYTES) break;
          bytes += b.length;
          j++;
        }
        s.write(j === i + 1 ? first : Buffer.concat(items.slice(i, j), bytes));
        i = j;
      }
      s.uncork();
    }
    if (s.writableNeedDrain) this.drainWaitSince = Date.now();
  }
}
