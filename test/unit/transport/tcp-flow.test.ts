import { afterEach, describe, test, expect } from '@jest/globals';
import net from 'node:net';
import { encodeFrame } from '../../../src/consensus/transport/frame-codec.js';
import type { PeerFrame } from '../../../src/consensus/transport/frames.js';
import { app, freePort, heartbeat, raftMessages, sleep, startNode, stopAll, waitFor } from './helpers.js';

afterEach(stopAll);

const meta = { index: 10, term: 2, membership: { members: [] } };

describe('TcpTransport flow control', () => {
  test('heartbeats are delivered promptly while a 20 MB bulk frame is in flight', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    // Open both connections first so only the payload size differs between the channels.
    a.t.send('b', b.address(), heartbeat('a', 'b', 0));
    a.t.send('b', b.address(), app('a', 'b', 0));
    await waitFor(() => b.received.length === 2, 'both channels open');
    const data = new Uint8Array(20 * 1024 * 1024).fill(7);
    const chunk: PeerFrame = { kind: 'snap-chunk', from: 'a', term: 2, meta, size: data.length, offset: 0, data, done: true };
    expect(a.t.send('b', b.address(), chunk)).toBe(true);
    expect(a.t.send('b', b.address(), heartbeat('a', 'b', 1))).toBe(true);
    await waitFor(() => b.received.length === 4, 'heartbeat and chunk', 10_000);
    const kinds = b.received.slice(2).map((r) => r.frame.kind);
    expect(kinds).toEqual(['raft', 'snap-chunk']);
    const beat = b.received[2];
    const big = b.received[3];
    expect(beat !== undefined && big !== undefined).toBe(true);
    // Sent after the 20 MB chunk, the heartbeat arrived first: it did not wait behind the payload.
    expect(big?.frame.kind === 'snap-chunk' && big.frame.data.length).toBe(data.length);
  });

  test('while the peer is unreachable the control queue holds at most 1 MiB, then drops; held frames go out on connect', async () => {
    const a = await startNode('a', { backoffMinMs: 10, backoffMaxMs: 30 });
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const frameBytes = encodeFrame(heartbeat('a', 'b', 100_000)).length;
    let accepted = 0;
    while (a.t.send('b', address, heartbeat('a', 'b', 100_000 + accepted))) {
      accepted++;
      expect(accepted * frameBytes).toBeLessThanOrEqual(1024 * 1024);
    }
    expect(accepted * frameBytes).toBeGreaterThan(1024 * 1024 - frameBytes);
    expect(a.t.send('b', address, heartbeat('a', 'b'))).toBe(false);
    // The bulk queue is separate and still accepts.
    expect(a.t.send('b', address, app('a', 'b', 1))).toBe(true);
    const b = await startNode('b', { listen: address });
    await waitFor(() => b.received.length === accepted + 1, 'queued frames', 5_000);
    const beats = raftMessages(b).filter((m) => m.type === 'Heartbeat');
    expect(beats.map((m) => m.commit)).toEqual([...Array(accepted).keys()].map((i) => 100_000 + i));
    expect(a.t.send('b', address, heartbeat('a', 'b'))).toBe(true);
  });

  test('the bulk queue bound includes bytes the socket holds: a peer that stops reading makes send() return false', async () => {
    const sockets: net.Socket[] = [];
    const peer = net.createServer((s) => {
      sockets.push(s);
      s.pause();
    });
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(peer.address() as net.AddressInfo).port}`;
    const a = await startNode('a', { maxQueueBytes: 4 * 1024 * 1024 });
    a.t.send('p', address, app('a', 'p', 0));
    await waitFor(() => sockets.length === 2, 'connections');
    const frame = app('a', 'p', 1, 60 * 1024);
    let accepted = 0;
    const deadline = Date.now() + 5_000;
    // Kernel buffers absorb some megabytes on loopback; everything past them must stay within the bound.
    while (Date.now() < deadline) {
      if (!a.t.send('p', address, frame)) break;
      accepted++;
      if (accepted % 32 === 0) await sleep(2);
    }
    expect(a.t.send('p', address, frame)).toBe(false);
    expect(accepted).toBeGreaterThan(0);
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => peer.close(() => resolve()));
  });
});
