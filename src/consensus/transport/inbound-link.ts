// One accepted connection: it must open with an acceptable Hello; every frame
// after that is delivered under the identity that Hello proved. Anything
// malformed closes this connection only.
import type net from 'node:net';
import { FrameDecoder, FrameError } from './frame-codec.js';
import type { WireFrame } from './frame-codec.js';
import { frameSender } from './frame-layout.js';
import type { PeerFrame } from './frames.js';
import type { HelloAuth } from './hello-auth.js';
import { KEEPALIVE_DELAY_MS } from './outbound-link.js';
import type { PeerIdentity, TransportLogger } from './transport-types.js';

/** A hello holds a few ids and a token digest: far below this. */
const MAX_HELLO_BYTES = 4096;

export interface InboundLinkDeps {
  readonly maxFrameBytes: number;
  readonly helloTimeoutMs: number;
  readonly auth: HelloAuth;
  readonly logger: TransportLogger;
  readonly onRefused: (peer: string, reason: string) => void;
  readonly onAccepted: (link: InboundLink) => void;
  readonly onFrame: (from: PeerIdentity, frame: PeerFrame) => void;
  readonly onClosed: (link: InboundLink) => void;
}

export class InboundLink {
  private identity: PeerIdentity | null = null;
  private readonly decoder: FrameDecoder;
  private helloTimer: NodeJS.Timeout | null;
  private closedByUs = false;
  private readonly remote: string;
  private readonly closedPromise: Promise<void>;

  constructor(
    private readonly socket: net.Socket,
    private readonly deps: InboundLinkDeps,
  ) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    // Until the peer said hello, only a hello-sized frame is accepted: an anonymous
    // connection must not make us buffer a 64 MiB frame.
    this.decoder = new FrameDecoder(Math.min(deps.maxFrameBytes, MAX_HELLO_BYTES));
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_DELAY_MS);
    this.helloTimer = setTimeout(() => this.abort('no hello in time'), deps.helloTimeoutMs);
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // The 'close' that follows any error is what matters.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.clearHelloTimer();
      this.decoder.close();
      this.deps.onClosed(this);
    });
  }

  /** The Hello's identity once accepted, else null. */
  get peer(): PeerIdentity | null {
    return this.identity;
  }

  /** This side closed the connection (drop, refusal, malformed input, shutdown): not a peer failure. */
  get closedOnPurpose(): boolean {
    return this.closedByUs;
  }

  close(): Promise<void> {
    this.closedByUs = true;
    this.clearHelloTimer();
    this.decoder.close();
    this.socket.destroy();
    return this.closedPromise;
  }

  private onData(chunk: Buffer): void {
    try {
      this.decoder.push(chunk, (frame) => this.onWireFrame(frame));
    } catch (err) {
      this.abort(err instanceof FrameError ? err.message : `unexpected error: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private onWireFrame(frame: WireFrame): void {
    const id = this.identity;
    if (id === null) {
      if (frame.kind !== 'hello') throw new FrameError(`${frame.kind} frame before hello`);
      const reason = this.deps.auth.refusal(frame);
      if (reason !== null) {
        void this.close();
        this.deps.onRefused(frame.from, reason);
        return;
      }
      this.clearHelloTimer();
      this.decoder.setMaxFrameBytes(this.deps.maxFrameBytes);
      this.identity = Object.freeze({ id: frame.from, incarnation: frame.incarnation, clusterId: frame.clusterId });
      this.deps.onAccepted(this);
      return;
    }
    if (frame.kind === 'hello') throw new FrameError('second hello');
    const sender = frameSender(frame);
    if (sender !== id.id) throw new FrameError(`frame from ${sender} on the connection of ${id.id}`);
    this.deps.onFrame(id, frame);
  }

  private abort(reason: string): void {
    if (this.closedByUs) return;
    this.deps.logger.warn({ peer: this.identity?.id, remote: this.remote, reason }, 'closing a peer connection: bad input');
    void this.close();
  }

  private clearHelloTimer(): void {
    if (this.helloTimer !== null) clearTimeout(this.helloTimer);
    this.helloTimer = null;
  }
}
