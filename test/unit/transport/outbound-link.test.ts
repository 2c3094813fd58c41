import { afterEach, describe, test, expect, jest } from '@jest/globals';
import net from 'node:net';
import { OutboundLink } from '../../../src/consensus/transport/outbound-link.js';
import type { OutboundLinkOptions } from '../../../src/consensus/transport/outbound-link.js';
import { captureLogger, freePort, sleep, waitFor } from './helpers.js';

/** A peer that accepts and (optionally) never reads. */
async function listener(read: boolean): Promise<{ address: string; sockets: net.Socket[]; bytes: () => number; close: () => Promise<void> }> {
  const sockets: net.Socket[] = [];
  let bytes = 0;
  const server = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
    if (read) s.on('data', (c: Buffer) => (bytes += c.length));
    else s.pause();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    sockets,
    bytes: () => bytes,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const links: OutboundLink[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(links.splice(0).map((l) => l.close()));
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

function link(address: string, over: Partial<OutboundLinkOptions> = {}): { l: OutboundLink; downs: number[] } {
  const downs: number[] = [];
  const l = new OutboundLink(address, {
    peer: 'p',
    channel: 'bulk',
    maxQueueBytes: 64 * 1024 * 1024,
    backoffMinMs: 10,
    backoffMaxMs: 40,
    connectTimeoutMs: 1_000,
    stallTimeoutMs: 100,
    hello: () => Buffer.from('HELLO'),
    logger: captureLogger(),
    onDown: () => downs.push(Date.now()),
    ...over,
  });
  links.push(l);
  return { l, downs };
}

describe('OutboundLink', () => {
  test('frames queued in one tick leave in one socket write', async () => {
    const peer = await listener(true);
    cleanups.push(peer.close);
    const { l } = link(peer.address);
    await waitFor(() => l.isEstablished && peer.bytes() === 5, 'hello received');
    const write = jest.spyOn(net.Socket.prototype, 'write');
    try {
      for (let i = 0; i < 100; i++) expect(l.enqueue(Buffer.from([i]))).toBe(true);
      await waitFor(() => peer.bytes() === 105, 'all bytes');
      expect(write).toHaveBeenCalledTimes(1);
    } finally {
      write.mockRestore();
    }
  });

  test('the byte order on the wire is Hello, then frames as queued', async () => {
    const chunks: Buffer[] = [];
    const server = net.createServer((s) => s.on('data', (c: Buffer) => chunks.push(c)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { l } = link(`127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    l.enqueue(Buffer.from('a'));
    l.enqueue(Buffer.alloc(70 * 1024, 'b'));
    l.enqueue(Buffer.from('c'));
    await waitFor(() => Buffer.concat(chunks).length === 5 + 1 + 70 * 1024 + 1, 'bytes');
    const all = Buffer.concat(chunks).toString();
    expect(all.slice(0, 6)).toBe('HELLOa');
    expect(all.endsWith('bc')).toBe(true);
    await l.close();
  });

  test('a write that never drains is presumed dead: the link reconnects and reports the peer down', async () => {
    const peer = await listener(false);
    cleanups.push(peer.close);
    const { l, downs } = link(peer.address, { stallTimeoutMs: 50 });
    await waitFor(() => l.isEstablished, 'connected');
    // Fill the kernel buffers until Node itself has to buffer.
    for (let i = 0; i < 64 && l.pendingBytes === 0; i++) {
      l.enqueue(Buffer.alloc(1024 * 1024));
      await sleep(10);
    }
    expect(l.pendingBytes).toBeGreaterThan(0);
    l.checkStall(Date.now());
    expect(peer.sockets).toHaveLength(1);
    // Far past the allowance (50 ms plus the time to send what is buffered at 256 KiB/s).
    l.checkStall(Date.now() + 10 * 60_000);
    await waitFor(() => downs.length === 1 && peer.sockets.length === 2, 'reconnected after the stall');
  });

  test('connect failures back off and never report the peer down; restart() dials at once', async () => {
    const port = await freePort();
    const { l, downs } = link(`127.0.0.1:${port}`, { backoffMinMs: 2_000, backoffMaxMs: 2_000 });
    await sleep(50);
    expect(l.isEstablished).toBe(false);
    const server = net.createServer((s) => s.resume());
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    // The next scheduled attempt is ~2 s away; restart() does not wait for it.
    l.restart();
    await waitFor(() => l.isEstablished, 'connected', 1_000);
    expect(downs).toEqual([]);
  });

  test('an unparsable address is retried, not thrown', async () => {
    const log = captureLogger();
    const { l } = link('no-port-here', { logger: log });
    await sleep(100);
    expect(l.isEstablished).toBe(false);
    expect(log.lines.filter((x) => x.level === 'warn')).toHaveLength(1);
    expect(l.enqueue(Buffer.from('x'))).toBe(true);
  });

  test('close() drops the queue, refuses new frames and stops reconnecting', async () => {
    const port = await freePort();
    const { l } = link(`127.0.0.1:${port}`);
    l.enqueue(Buffer.alloc(100));
    await l.close();
    expect(l.pendingBytes).toBe(0);
    expect(l.enqueue(Buffer.alloc(1))).toBe(false);
    let connections = 0;
    const server = net.createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await sleep(150);
    expect(connections).toBe(0);
  });
});
