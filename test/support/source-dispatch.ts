// One listener per destination node b, advertised as b's Raft address. Every
// node dials the same address, so the link a→b is told by who is calling:
// first by source IP (each node dials from its own loopback IP), else by the
// node id in the connection's first frame, the Hello.
import net, { type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { decodeFrameBody } from '../../src/consensus/transport/frame-codec.js';
import { formatHostPort, parseHostPort } from '../../src/consensus/transport/host-port.js';
import type { FaultLink } from './fault-link.js';
import { plainAddress, resetSocket, socketClosed } from './fault-sockets.js';

export interface DispatchOptions {
  /** host:port to listen on (port 0 for an ephemeral one). */
  readonly listen: string;
  readonly bySourceIp: (ip: string) => FaultLink | undefined;
  /** Null: a connection from an unknown source IP is not attributed at all. */
  readonly byHelloFrom: ((nodeId: string) => FaultLink | undefined) | null;
  /** How long to wait for a Hello before giving up on a connection (default 5000). */
  readonly helloTimeoutMs?: number;
}

/** A Hello is a few hundred bytes; anything claiming more is not one. */
const MAX_HELLO_BYTES = 64 * 1024;
const HEADER_BYTES = 4;

export class SourceDispatcher {
  private readonly server: net.Server;
  private readonly identifying = new Set<Socket>();
  private readonly helloTimeoutMs: number;
  private bound = '';
  private unknown = 0;
  private closing = false;

  private constructor(private readonly opts: DispatchOptions) {
    this.helloTimeoutMs = opts.helloTimeoutMs ?? 5_000;
    this.server = net.createServer({ allowHalfOpen: true }, (socket) => this.dispatch(socket));
  }

  static async start(opts: DispatchOptions): Promise<SourceDispatcher> {
    const d = new SourceDispatcher(opts);
    await d.listen();
    return d;
  }

  get address(): string {
    return this.bound;
  }

  /** Connections reset because no link could be found for them (a sign of a misconfigured node). */
  get unattributed(): number {
    return this.unknown;
  }

  /** Closes the listener and the connections not yet handed to a link. */
  async close(): Promise<void> {
    this.closing = true;
    const waits: Promise<void>[] = [];
    if (this.server.listening) waits.push(new Promise((resolve) => this.server.close(() => resolve())));
    for (const socket of this.identifying) {
      socket.destroy();
      waits.push(socketClosed(socket));
    }
    await Promise.all(waits);
  }

  private dispatch(socket: Socket): void {
    socket.on('error', () => {});
    if (this.closing) {
      socket.destroy();
      return;
    }
    const link = this.opts.bySourceIp(plainAddress(socket.remoteAddress));
    if (link !== undefined) {
      link.adopt(socket);
      return;
    }
    const byHello = this.opts.byHelloFrom;
    if (byHello === null) {
      this.refuse(socket);
      return;
    }
    this.identifying.add(socket);
    let buffered = Buffer.alloc(0);
    const done = (link: FaultLink | undefined): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      this.identifying.delete(socket);
      if (link === undefined) this.refuse(socket);
      else link.adopt(socket, [buffered]);
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < HEADER_BYTES) return;
      const length = buffered.readUInt32BE(0);
      if (length === 0 || length > MAX_HELLO_BYTES) return done(undefined);
      if (buffered.length < HEADER_BYTES + length) return;
      done(byHello(helloSender(buffered.subarray(HEADER_BYTES, HEADER_BYTES + length)) ?? ''));
    };
    const timer = setTimeout(() => done(undefined), this.helloTimeoutMs);
    socket.on('data', onData);
    socket.once('close', () => {
      if (!this.identifying.delete(socket)) return;
      clearTimeout(timer);
    });
  }

  private refuse(socket: Socket): void {
    this.unknown++;
    resetSocket(socket);
  }

  private listen(): Promise<void> {
    const { host, port } = parseHostPort(this.opts.listen);
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        const a = this.server.address() as AddressInfo;
        this.bound = formatHostPort(a.address, a.port);
        resolve();
      });
    });
  }
}

function helloSender(body: Buffer): string | undefined {
  try {
    const frame = decodeFrameBody(body);
    return frame.kind === 'hello' ? frame.from : undefined;
  } catch {
    return undefined;
  }
}
