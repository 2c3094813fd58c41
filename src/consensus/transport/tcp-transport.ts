// Raft3D's peer transport over TCP. A node sends only over connections it
// dialled itself (two per peer: control and bulk) and receives only on
// connections it accepted, so each direction has its own queue, backpressure
// and reconnect logic and no handshake races exist.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { channelFor } from './channel.js';
import { DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES, encodeFrame } from './frame-codec.js';
import type { PeerFrame } from './frames.js';
import { HelloAuth, tokenDigest } from './hello-auth.js';
import { formatHostPort, parseHostPort } from './host-port.js';
import { InboundLink } from './inbound-link.js';
import { OutboundLink } from './outbound-link.js';
import type { PeerIdentity, TransportLogger } from './transport-types.js';

export type { PeerIdentity, TransportLogger } from './transport-types.js';

export interface TcpTransportOptions {
  /** host:port to listen on (host '' or 0.0.0.0 for all interfaces; port 0 for an ephemeral one). */
  readonly listen: string;
  /**
   * Source IP of the connections this node dials (one loopback IP per node
   * lets a test proxy tell which node a connection comes from).
   */
  readonly localAddress?: string;
  readonly self: { readonly id: string; readonly incarnation: string };
  /** Read on every Hello sent and received; '' while unknown (a joining node). */
  readonly clusterId: () => string;
  readonly token?: string;
  readonly logger: TransportLogger;
  readonly maxFrameBytes?: number;
  /** Bound of the bulk queue per peer; the control queue holds at most 1 MiB (or this, if smaller). */
  readonly maxQueueBytes?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
}

const CONTROL_QUEUE_BYTES = 1024 * 1024;
const DEFAULT_BULK_QUEUE_BYTES = 64 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 3_000;
const HELLO_TIMEOUT_MS = 10_000;
const STALL_TIMEOUT_MS = 10_000;
const STALL_CHECK_MS = 1_000;
/** A peer keeps two connections to us (control and bulk); more means old ones are dead. */
const INBOUND_PER_PEER = 2;
const FORCED_RECONNECT_MIN_INTERVAL_MS = 10_000;

interface PeerLinks {
  readonly control: OutboundLink;
  readonly bulk: OutboundLink;
}

type FrameHandler = (from: PeerIdentity, frame: PeerFrame) => void;

export class TcpTransport {
  private readonly server: net.Server;
  private readonly auth: HelloAuth;
  private readonly maxFrameBytes: number;
  private readonly bulkQueueBytes: number;
  private readonly controlQueueBytes: number;
  private readonly backoffMinMs: number;
  private readonly backoffMaxMs: number;
  private readonly digest: string;
  private readonly log: TransportLogger;
  private readonly peers = new Map<string, PeerLinks>();
  /** Accepted connections (Hello passed), by peer id. */
  private readonly inboundByPeer = new Map<string, Set<InboundLink>>();
  /** Every open accepted connection, with or without Hello. */
  private readonly inbound = new Set<InboundLink>();
  private readonly downPending = new Set<string>();
  private readonly forcedReconnectAt = new Map<string, number>();
  private frameHandler: FrameHandler | null = null;
  private downHandler: ((peer: string) => void) | null = null;
  private refusedHandler: ((peer: string, reason: string) => void) | null = null;
  private downImmediate: NodeJS.Immediate | null = null;
  private stallTimer: NodeJS.Timeout | null = null;
  private bound: string | null = null;
  private stopped = false;

  constructor(private readonly opts: TcpTransportOptions) {
    this.log = opts.logger;
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.bulkQueueBytes = opts.maxQueueBytes ?? DEFAULT_BULK_QUEUE_BYTES;
    this.controlQueueBytes = Math.min(CONTROL_QUEUE_BYTES, this.bulkQueueBytes);
    this.backoffMinMs = opts.backoffMinMs ?? 100;
    this.backoffMaxMs = opts.backoffMaxMs ?? 1_000;
    this.digest = tokenDigest(opts.token);
    this.auth = new HelloAuth(opts.clusterId, opts.token);
    this.server = net.createServer((socket) => this.accept(socket));
  }

  /** Listens; resolves once the port is bound. */
  start(): Promise<void> {
    const { host, port } = parseHostPort(this.opts.listen);
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host: host === '' ? undefined : host, port }, () => {
        this.server.off('error', onError);
        this.server.on('error', (err) => this.log.warn({ err: err.message }, 'peer listener error'));
        const a = this.server.address() as AddressInfo;
        this.bound = formatHostPort(a.address, a.port);
        this.log.info({ address: this.bound }, 'listening for peers');
        resolve();
      });
    });
  }

  /** The bound host:port (useful with port 0). */
  address(): string {
    if (this.bound === null) throw new Error('transport not started');
    return this.bound;
  }

  /**
   * Queues `frame` for peer `to` at `address` (looked up again on every
   * connect). False when it was dropped: unknown address, queue full, too big
   * or transport stopped.
   */
  send(to: string, address: string, frame: PeerFrame): boolean {
    if (this.stopped || to === '' || address === '') return false;
    let bytes: Buffer;
    try {
      bytes = encodeFrame(frame);
    } catch (err) {
      this.log.warn({ peer: to, err: err instanceof Error ? err.message : String(err) }, 'cannot encode a peer frame');
      return false;
    }
    if (bytes.length - FRAME_HEADER_BYTES > this.maxFrameBytes) {
      this.log.warn({ peer: to, bytes: bytes.length }, 'peer frame exceeds the frame size limit: dropped');
      return false;
    }
    return this.linksTo(to, address)[channelFor(frame, bytes.length)].enqueue(bytes);
  }

  onFrame(handler: FrameHandler): void {
    this.frameHandler = handler;
  }

  /** Called when an established connection to or from `peer` closes (once per burst of closes). */
  onPeerDown(handler: (peer: string) => void): void {
    this.downHandler = handler;
  }

  /** Called for every refused Hello; the handler decides how often to log. */
  onPeerRefused(handler: (peer: string, reason: string) => void): void {
    this.refusedHandler = handler;
  }

  /** Forgets a removed member: closes its connections both ways and drops what is queued for it. */
  dropPeer(id: string): void {
    const links = this.peers.get(id);
    if (links !== undefined) {
      this.peers.delete(id);
      void links.control.close();
      void links.bulk.close();
    }
    for (const link of this.inboundByPeer.get(id) ?? []) void link.close();
    this.inboundByPeer.delete(id);
    this.downPending.delete(id);
    this.forcedReconnectAt.delete(id);
  }

  /** Closes every connection and the listener; nothing reconnects afterwards. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.stallTimer !== null) clearInterval(this.stallTimer);
    if (this.downImmediate !== null) clearImmediate(this.downImmediate);
    this.stallTimer = null;
    this.downImmediate = null;
    this.downPending.clear();
    const closing: Promise<void>[] = [];
    for (const links of this.peers.values()) closing.push(links.control.close(), links.bulk.close());
    this.peers.clear();
    for (const link of this.inbound) closing.push(link.close());
    if (this.server.listening) {
      closing.push(new Promise((resolve) => this.server.close(() => resolve())));
    }
    await Promise.all(closing);
  }

  private linksTo(id: string, address: string): PeerLinks {
    const existing = this.peers.get(id);
    if (existing !== undefined) {
      existing.control.setAddress(address);
      existing.bulk.setAddress(address);
      return existing;
    }
    const common = {
      peer: id,
      backoffMinMs: this.backoffMinMs,
      backoffMaxMs: this.backoffMaxMs,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      ...(this.opts.localAddress !== undefined ? { localAddress: this.opts.localAddress } : {}),
      stallTimeoutMs: STALL_TIMEOUT_MS,
      hello: () => this.hello(),
      logger: this.log,
      onDown: () => this.peerDown(id),
    };
    const links: PeerLinks = {
      control: new OutboundLink(address, { ...common, channel: 'control', maxQueueBytes: this.controlQueueBytes }),
      bulk: new OutboundLink(address, { ...common, channel: 'bulk', maxQueueBytes: this.bulkQueueBytes }),
    };
    this.peers.set(id, links);
    this.startStallChecks();
    return links;
  }

  private hello(): Buffer {
    return encodeFrame({
      kind: 'hello',
      clusterId: this.opts.clusterId(),
      from: this.opts.self.id,
      incarnation: this.opts.self.incarnation,
      tokenDigest: this.digest,
    });
  }

  private startStallChecks(): void {
    if (this.stallTimer !== null) return;
    this.stallTimer = setInterval(() => {
      const now = Date.now();
      for (const links of this.peers.values()) {
        links.control.checkStall(now);
        links.bulk.checkStall(now);
      }
    }, STALL_CHECK_MS);
    this.stallTimer.unref();
  }

  private accept(socket: net.Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    const link = new InboundLink(socket, {
      maxFrameBytes: this.maxFrameBytes,
      helloTimeoutMs: HELLO_TIMEOUT_MS,
      auth: this.auth,
      logger: this.log,
      onRefused: (peer, reason) => this.refused(peer, reason),
      onAccepted: (l) => this.accepted(l),
      onFrame: (from, frame) => this.deliver(from, frame),
      onClosed: (l) => this.inboundClosed(l),
    });
    this.inbound.add(link);
  }

  private accepted(link: InboundLink): void {
    const id = (link.peer as PeerIdentity).id;
    let links = this.inboundByPeer.get(id);
    if (links === undefined) {
      links = new Set();
      this.inboundByPeer.set(id, links);
    }
    links.add(link);
    if (links.size <= INBOUND_PER_PEER) return;
    // The peer dialled again while its old connections still look open here:
    // they died silently (its host or pod went away), and so, most likely, did
    // ours to its old address. Sets iterate oldest first.
    for (const old of links) {
      if (links.size <= INBOUND_PER_PEER) break;
      links.delete(old);
      void old.close();
    }
    const now = Date.now();
    const out = this.peers.get(id);
    if (out !== undefined && now - (this.forcedReconnectAt.get(id) ?? -Infinity) >= FORCED_RECONNECT_MIN_INTERVAL_MS) {
      this.forcedReconnectAt.set(id, now);
      this.log.info({ peer: id }, 'peer reconnected while its old connections looked open: redialling it');
      out.control.restart();
      out.bulk.restart();
    }
  }

  private inboundClosed(link: InboundLink): void {
    this.inbound.delete(link);
    const peer = link.peer;
    if (peer === null) return;
    const links = this.inboundByPeer.get(peer.id);
    const wasCurrent = links?.delete(link) ?? false;
    if (links !== undefined && links.size === 0) this.inboundByPeer.delete(peer.id);
    if (wasCurrent && !link.closedOnPurpose) this.peerDown(peer.id);
  }

  private deliver(from: PeerIdentity, frame: PeerFrame): void {
    const handler = this.frameHandler;
    if (handler === null || this.stopped) return;
    try {
      handler(from, frame);
    } catch (err) {
      this.log.warn({ peer: from.id, err: err instanceof Error ? err.message : String(err) }, 'peer frame handler threw');
    }
  }

  private refused(peer: string, reason: string): void {
    const handler = this.refusedHandler;
    if (handler === null) {
      this.log.warn({ peer, reason }, 'refused a peer connection');
      return;
    }
    try {
      handler(peer, reason);
    } catch (err) {
      this.log.warn({ peer, err: err instanceof Error ? err.message : String(err) }, 'peer-refused handler threw');
    }
  }

  /** Several sockets of one peer usually close together: report them as one event. */
  private peerDown(peer: string): void {
    if (this.stopped) return;
    this.downPending.add(peer);
    if (this.downImmediate !== null) return;
    this.downImmediate = setImmediate(() => {
      this.downImmediate = null;
      const peers = [...this.downPending];
      this.downPending.clear();
      const handler = this.downHandler;
      if (handler === null) return;
      for (const p of peers) {
        try {
          handler(p);
        } catch (err) {
          this.log.warn({ peer: p, err: err instanceof Error ? err.message : String(err) }, 'peer-down handler threw');
        }
      }
    });
  }
}
