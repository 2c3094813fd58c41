// One connection through a fault link: the accepted socket, the socket dialled
// to the target, and a FaultPipe each way. A failure on either side reaches
// the other as an RST; clean half-closes pass through.
import net, { type Socket } from 'node:net';
import type { HostPort } from '../../src/consensus/transport/host-port.js';
import type { DirectionStats } from './fault-frames.js';
import { FaultPipe, type FaultSettings } from './fault-pipe.js';
import { deriveSeed, seededRandom } from './fault-random.js';
import { resetSocket, socketClosed } from './fault-sockets.js';

export interface ConnectionOptions {
  readonly target: HostPort;
  readonly settings: FaultSettings;
  readonly bidirectional: boolean;
  readonly seed: number;
  /** Position of this connection on its link, for its own random streams. */
  readonly index: number;
  readonly forward: DirectionStats;
  readonly reverse: DirectionStats;
  readonly onClosed: (connection: ProxiedConnection) => void;
}

const FORWARD = 0;
const REVERSE = 1;
const DROP = 0;
const DELAY = 1;

export class ProxiedConnection {
  private readonly upstream: Socket;
  private readonly pipes: readonly FaultPipe[];
  private readonly closed: Promise<void>;

  constructor(
    private readonly client: Socket,
    head: readonly Buffer[],
    opts: ConnectionOptions,
  ) {
    client.setNoDelay(true);
    this.upstream = net.connect({ host: opts.target.host, port: opts.target.port, allowHalfOpen: true, noDelay: true });
    const random = (direction: number, purpose: number) => seededRandom(deriveSeed(opts.seed, opts.index, direction, purpose));
    const forward = new FaultPipe(client, this.upstream, {
      faulty: true,
      settings: opts.settings,
      dropRandom: random(FORWARD, DROP),
      delayRandom: random(FORWARD, DELAY),
      counters: opts.forward,
    });
    const reverse = new FaultPipe(this.upstream, client, {
      faulty: opts.bidirectional,
      settings: opts.settings,
      dropRandom: random(REVERSE, DROP),
      delayRandom: random(REVERSE, DELAY),
      counters: opts.reverse,
    });
    this.pipes = [forward, reverse];
    for (const socket of [client, this.upstream]) {
      // Errors surface again as 'close' with hadError, handled below.
      socket.on('error', () => {});
      socket.on('close', (hadError: boolean) => {
        if (hadError) this.reset();
      });
    }
    this.closed = Promise.all([socketClosed(client), socketClosed(this.upstream)]).then(() => {
      this.stopPipes();
      opts.onClosed(this);
    });
    forward.start(head);
    reverse.start([]);
  }

  /** Kills both sides with an RST; delayed bytes are lost. */
  reset(): void {
    this.stopPipes();
    resetSocket(this.client);
    resetSocket(this.upstream);
  }

  destroy(): void {
    this.stopPipes();
    this.client.destroy();
    this.upstream.destroy();
  }

  /** Resolves once both sockets have closed. */
  whenClosed(): Promise<void> {
    return this.closed;
  }

  private stopPipes(): void {
    for (const pipe of this.pipes) pipe.stop();
  }
}
