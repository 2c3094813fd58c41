// Shared fixtures for the TCP transport tests: loopback transports on
// ephemeral ports, a log capture, frame builders and bounded waiting.
import net from 'node:net';
import { TcpTransport } from '../../../src/consensus/transport/tcp-transport.js';
import type { TcpTransportOptions } from '../../../src/consensus/transport/tcp-transport.js';
import type { PeerFrame } from '../../../src/consensus/transport/frames.js';
import type { PeerIdentity, TransportLogger } from '../../../src/consensus/transport/transport-types.js';
import type { Message } from '../../../src/consensus/core/types.js';

export interface LogLine {
  readonly level: 'info' | 'warn';
  readonly obj: object;
  readonly msg: string;
}

export function captureLogger(): TransportLogger & { readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
  };
}

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

export interface Received {
  readonly from: PeerIdentity;
  readonly frame: PeerFrame;
  readonly at: number;
}

/** A started transport plus everything it reported. */
export interface Node {
  readonly t: TcpTransport;
  readonly id: string;
  readonly received: Received[];
  readonly downs: string[];
  readonly refused: Array<{ peer: string; reason: string }>;
  readonly log: ReturnType<typeof captureLogger>;
  address(): string;
}

const live = new Set<TcpTransport>();

export async function startNode(id: string, over: Partial<TcpTransportOptions> = {}): Promise<Node> {
  const log = captureLogger();
  const t = new TcpTransport({
    listen: '127.0.0.1:0',
    self: { id, incarnation: `inc-${id}` },
    clusterId: () => 'cluster-1',
    logger: log,
    ...over,
  });
  const node: Node = { t, id, received: [], downs: [], refused: [], log, address: () => t.address() };
  t.onFrame((from, frame) => node.received.push({ from, frame, at: Date.now() }));
  t.onPeerDown((peer) => node.downs.push(peer));
  t.onPeerRefused((peer, reason) => node.refused.push({ peer, reason }));
  live.add(t);
  await t.start();
  return node;
}

export async function stopNode(node: Node): Promise<void> {
  live.delete(node.t);
  await node.t.stop();
}

/** For afterEach: stops whatever a test left running. */
export async function stopAll(): Promise<void> {
  const all = [...live];
  live.clear();
  await Promise.all(all.map((t) => t.stop()));
}

export function message(over: Partial<Message>): Message {
  return {
    type: 'Heartbeat' as Message['type'],
    from: 'a',
    to: 'b',
    term: 1,
    index: 0,
    logTerm: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: '',
    ...over,
  };
}

export function heartbeat(from: string, to: string, commit = 0): PeerFrame {
  return { kind: 'raft', message: message({ from, to, commit }) };
}

/** An App frame with one entry of `dataBytes` bytes; `index` tells frames apart. */
export function app(from: string, to: string, index: number, dataBytes = 32): PeerFrame {
  const data = new Uint8Array(dataBytes).fill(index % 256);
  return {
    kind: 'raft',
    message: message({ type: 'App' as Message['type'], from, to, index, logTerm: 1, entries: [{ index: index + 1, term: 1, type: 0, data }] }),
  };
}

export function raftMessages(node: Node): Message[] {
  return node.received.flatMap((r) => (r.frame.kind === 'raft' ? [r.frame.message] : []));
}

/** A loopback port with nothing listening on it (bound, then released). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A raw client connection to `address`, resolved once connected. */
export function rawConnect(address: string): Promise<net.Socket> {
  const colon = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves when `socket` closes; rejects after `timeoutMs`. */
export function closed(socket: net.Socket, timeoutMs = 3_000): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket still open')), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on('error', () => undefined);
  });
}
