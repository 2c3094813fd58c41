// The faults of one directed link (a→b) and the connections that cross it.
// A FaultLink owns no listener: FaultProxy gives it one of its own, and
// ProxyMesh hands it the connections its per-destination listeners attribute
// to the link's source node.
import type { Socket } from 'node:net';
import { parseHostPort, type HostPort } from '../../src/consensus/transport/host-port.js';
import { ProxiedConnection } from './fault-connection.js';
import { emptyDirectionStats, type DirectionStats } from './fault-frames.js';
import type { FaultSettings } from './fault-pipe.js';
import { randomSeed } from './fault-random.js';
import { resetSocket, socketClosed } from './fault-sockets.js';

export interface FaultLinkOptions {
  /** host:port to forward every connection to. */
  readonly target: string;
  /** Seed of the drop and jitter decisions; random (and readable as `seed`) when absent. */
  readonly seed?: number;
  /** Apply drops and delays to the reverse direction too (by default it passes untouched). */
  readonly bidirectional?: boolean;
}

export interface FaultProxyStats {
  /** Connections forwarded to the target. */
  readonly connectionsAccepted: number;
  /** Connections reset on arrival because the link was blocked. */
  readonly connectionsRefused: number;
  /** Open connections reset by block(). */
  readonly connectionsReset: number;
  readonly openConnections: number;
  /** Counted when the proxy decides, so delayed bytes count as forwarded before they leave. */
  readonly forward: Readonly<DirectionStats>;
  /** Frames are counted only with `bidirectional`; otherwise only bytes. */
  readonly reverse: Readonly<DirectionStats>;
}

export class FaultLink {
  readonly seed: number;
  readonly target: string;
  private readonly targetHostPort: HostPort;
  private readonly bidirectional: boolean;
  private readonly settings: FaultSettings = { dropRate: 0, delayMs: 0, jitterMs: 0 };
  private readonly connections = new Set<ProxiedConnection>();
  /** Sockets reset on arrival, until they have closed (close() waits for them). */
  private readonly refusedSockets = new Set<Socket>();
  private readonly forward = emptyDirectionStats();
  private readonly reverse = emptyDirectionStats();
  private isBlocked = false;
  private closing = false;
  private accepted = 0;
  private refused = 0;
  private resets = 0;

  constructor(opts: FaultLinkOptions) {
    this.target = opts.target;
    this.targetHostPort = parseHostPort(opts.target);
    this.seed = (opts.seed ?? randomSeed()) >>> 0;
    this.bidirectional = opts.bidirectional ?? false;
  }

  get blocked(): boolean {
    return this.isBlocked;
  }

  /** Partitions the link: open connections are reset, new ones reset on arrival. */
  block(): void {
    this.isBlocked = true;
    for (const connection of this.connections) {
      this.resets++;
      connection.reset();
    }
  }

  unblock(): void {
    this.isBlocked = false;
  }

  /** Drops each frame after the first of every connection with probability `p`. */
  setDropRate(p: number): void {
    if (!Number.isFinite(p) || p < 0 || p > 1) throw new RangeError(`drop rate must be within [0, 1], got ${p}`);
    this.settings.dropRate = p;
  }

  /** Holds every forwarded piece for ms ± jitterMs (never less than 0), keeping the order of each connection. */
  setDelay(ms: number, jitterMs = 0): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`delay must be ≥ 0 ms, got ${ms}`);
    if (!Number.isFinite(jitterMs) || jitterMs < 0) throw new RangeError(`jitter must be ≥ 0 ms, got ${jitterMs}`);
    this.settings.delayMs = ms;
    this.settings.jitterMs = jitterMs;
  }

  /** Unblocks and removes loss and delay. */
  clearFaults(): void {
    this.unblock();
    this.setDropRate(0);
    this.setDelay(0, 0);
  }

  stats(): FaultProxyStats {
    return {
      connectionsAccepted: this.accepted,
      connectionsRefused: this.refused,
      connectionsReset: this.resets,
      openConnections: this.connections.size,
      forward: { ...this.forward },
      reverse: { ...this.reverse },
    };
  }

  /**
   * Takes over an accepted socket (from a server created with allowHalfOpen:
   * true); `head` holds bytes already read from it, forwarded first.
   */
  adopt(socket: Socket, head: readonly Buffer[] = []): void {
    socket.on('error', () => {});
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.isBlocked) {
      this.refused++;
      this.refusedSockets.add(socket);
      void socketClosed(socket).then(() => this.refusedSockets.delete(socket));
      resetSocket(socket);
      return;
    }
    this.accepted++;
    const connection = new ProxiedConnection(socket, head, {
      target: this.targetHostPort,
      settings: this.settings,
      bidirectional: this.bidirectional,
      seed: this.seed,
      index: this.accepted - 1,
      forward: this.forward,
      reverse: this.reverse,
      onClosed: (c) => this.connections.delete(c),
    });
    this.connections.add(connection);
  }

  /** Destroys every connection; resolves once all their sockets have closed. */
  async close(): Promise<void> {
    this.closing = true;
    const waits: Promise<void>[] = [];
    for (const connection of this.connections) {
      connection.destroy();
      waits.push(connection.whenClosed());
    }
    for (const socket of this.refusedSockets) {
      socket.destroy();
      waits.push(socketClosed(socket));
    }
    await Promise.all(waits);
  }
}
