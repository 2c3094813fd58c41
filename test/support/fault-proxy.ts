// A fault-injecting TCP proxy for one directed Raft link (a→b): the test
// makes a dial the proxy instead of b, then partitions, drops or delays what
// a sends. See FaultLink for the controls.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { formatHostPort, parseHostPort } from '../../src/consensus/transport/host-port.js';
import { FaultLink, type FaultLinkOptions } from './fault-link.js';

export { FaultLink, type FaultLinkOptions, type FaultProxyStats } from './fault-link.js';
export type { DirectionStats } from './fault-frames.js';

export interface FaultProxyOptions extends FaultLinkOptions {
  /** host:port to listen on; default 127.0.0.1 on an ephemeral port. */
  readonly listen?: string;
}

export class FaultProxy extends FaultLink {
  private readonly server: net.Server;
  private bound = '';

  private constructor(opts: FaultProxyOptions) {
    super(opts);
    this.server = net.createServer({ allowHalfOpen: true }, (socket) => this.adopt(socket));
  }

  /** Creates a proxy and resolves once it listens. */
  static async start(opts: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(opts);
    await proxy.listen(opts.listen ?? '127.0.0.1:0');
    return proxy;
  }

  /** The bound host:port, to dial instead of the target. */
  get address(): string {
    return this.bound;
  }

  /** Closes the listener and every connection; resolves once nothing is left open. */
  override async close(): Promise<void> {
    const serverClosed = new Promise<void>((resolve) => {
      if (!this.server.listening) resolve();
      else this.server.close(() => resolve());
    });
    await super.close();
    await serverClosed;
  }

  private listen(address: string): Promise<void> {
    const { host, port } = parseHostPort(address);
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
