// Fixtures for the fault proxy tests: a frame-recording TCP server (echoing
// raw bytes back when asked), framed clients, bounded waiting and a count of
// the process's open handles.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `cond` every 5 ms; rejects after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A length-prefixed frame (4-byte big-endian body length) carrying `body`. */
export function frame(body: string | Buffer): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  const out = Buffer.alloc(4 + b.length);
  out.writeUInt32BE(b.length, 0);
  b.copy(out, 4);
  return out;
}

/** Splits a byte stream into frame bodies; trailing partial bytes are left in `rest`. */
export class FrameReader {
  readonly frames: Array<{ readonly body: string; readonly at: number }> = [];
  private rest = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.rest = Buffer.concat([this.rest, chunk]);
    while (this.rest.length >= 4) {
      const length = this.rest.readUInt32BE(0);
      if (this.rest.length < 4 + length) return;
      this.frames.push({ body: this.rest.subarray(4, 4 + length).toString(), at: performance.now() });
      this.rest = this.rest.subarray(4 + length);
    }
  }

  get bodies(): string[] {
    return this.frames.map((f) => f.body);
  }
}

export interface SinkConnection {
  readonly socket: net.Socket;
  readonly remoteAddress: string;
  readonly reader: FrameReader;
  ended: boolean;
  closed: boolean;
}

/** A server recording the frames of each accepted connection. */
export interface Sink {
  readonly address: string;
  readonly connections: SinkConnection[];
  close(): Promise<void>;
}

const openSockets = new Set<net.Socket>();
const openServers = new Set<net.Server>();

export async function startSink(host = '127.0.0.1', opts: { echo?: boolean } = {}): Promise<Sink> {
  const connections: SinkConnection[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    track(socket);
    const c: SinkConnection = { socket, remoteAddress: socket.remoteAddress ?? '', reader: new FrameReader(), ended: false, closed: false };
    connections.push(c);
    // Resets are what the proxy is for; the test looks at `closed`.
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      c.reader.push(chunk);
      if (opts.echo === true) socket.write(chunk);
    });
    socket.on('end', () => {
      c.ended = true;
      socket.end();
    });
    socket.on('close', () => {
      c.closed = true;
    });
  });
  openServers.add(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    address: `${host}:${port}`,
    connections,
    close: async () => {
      openServers.delete(server);
      for (const c of connections) c.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Client {
  readonly socket: net.Socket;
  /** Frames received back (from an echoing sink). */
  readonly reader: FrameReader;
  /** Set once the socket closed; `error` holds the error code that closed it, if any. */
  readonly state: { closed: boolean; error: string | null };
  send(...bodies: string[]): void;
}

/** Connects to `address` (from `localAddress` if given) and resolves once connected. */
export function connectClient(address: string, localAddress?: string): Promise<Client> {
  const colon = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      host: address.slice(0, colon),
      port: Number(address.slice(colon + 1)),
      noDelay: true,
      ...(localAddress !== undefined ? { localAddress } : {}),
    });
    track(socket);
    const reader = new FrameReader();
    const state: Client['state'] = { closed: false, error: null };
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      state.error = err.code ?? err.message;
    });
    socket.on('close', () => {
      state.closed = true;
    });
    socket.once('connect', () => resolve({ socket, reader, state, send: (...bodies) => socket.write(Buffer.concat(bodies.map((b) => frame(b)))) }));
    socket.once('error', reject);
  });
}

/**
 * Dials `address`, sends `body` once connected (a string as one frame, a
 * Buffer as it is) and resolves with
 * the error code that ended the connection ('' for a clean close) — for
 * connections expected to be reset, whether before or after 'connect'.
 */
export function dialUntilClosed(address: string, body: string | Buffer, timeoutMs = 3_000): Promise<string> {
  const colon = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
    track(socket);
    let code = '';
    const timer = setTimeout(() => reject(new Error(`connection to ${address} still open after ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => socket.write(typeof body === 'string' ? frame(body) : body));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      code = err.code ?? err.message;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(code);
    });
    socket.resume();
  });
}

function track(socket: net.Socket): void {
  openSockets.add(socket);
  socket.once('close', () => openSockets.delete(socket));
}

/** For afterEach: destroys every socket and server the fixtures opened. */
export async function closeFixtures(): Promise<void> {
  const waits: Promise<void>[] = [];
  for (const s of openSockets) {
    waits.push(new Promise((resolve) => s.once('close', () => resolve())));
    s.destroy();
  }
  for (const server of openServers) waits.push(new Promise((resolve) => server.close(() => resolve())));
  openServers.clear();
  await Promise.all(waits);
}

/** How many TCP handles and timers the process holds (each listener and socket is one handle). */
export function openHandles(): { readonly tcp: number; readonly timers: number } {
  const info = process.getActiveResourcesInfo();
  return {
    tcp: info.filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length,
    timers: info.filter((r) => r === 'Timeout').length,
  };
}
