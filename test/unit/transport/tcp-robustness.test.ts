import { afterEach, describe, test, expect } from '@jest/globals';
import type net from 'node:net';
import { Packr } from 'msgpackr';
import { encodeFrame } from '../../../src/consensus/transport/frame-codec.js';
import type { Hello } from '../../../src/consensus/transport/frames.js';
import { closed, heartbeat, rawConnect, sleep, startNode, stopAll, waitFor } from './helpers.js';

afterEach(stopAll);

const hello = (from: string): Hello => ({ kind: 'hello', clusterId: 'cluster-1', from, incarnation: `inc-${from}`, tokenDigest: '' });

function rawFrame(value: unknown): Buffer {
  const body = new Packr({ useRecords: false }).pack(value);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

async function sendRaw(address: string, bytes: Buffer): Promise<net.Socket> {
  const s = await rawConnect(address);
  s.on('error', () => undefined);
  s.write(bytes);
  return s;
}

describe('TcpTransport with bad input', () => {
  test('garbage closes only that connection; established peers and new ones keep working', async () => {
    const b = await startNode('b');
    const a = await startNode('a');
    a.t.send('b', b.address(), heartbeat('a', 'b', 1));
    await waitFor(() => b.received.length === 1, 'a connected');
    const junk = await sendRaw(b.address(), Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await closed(junk);
    a.t.send('b', b.address(), heartbeat('a', 'b', 2));
    const c = await startNode('c');
    c.t.send('b', b.address(), heartbeat('c', 'b', 3));
    await waitFor(() => b.received.length === 3, 'frames after the garbage');
    expect(b.received.map((r) => r.from.id).sort()).toEqual(['a', 'a', 'c']);
    expect(b.downs).toEqual([]);
    expect(b.log.lines.some((l) => l.level === 'warn' && l.msg.includes('bad input'))).toBe(true);
  });

  test('a length above maxFrameBytes closes the connection without waiting for the body', async () => {
    const b = await startNode('b', { maxFrameBytes: 1024 });
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1025, 0);
    const s = await sendRaw(b.address(), Buffer.concat([encodeFrame(hello('x')), header]));
    await closed(s, 1_000);
    expect(b.received).toEqual([]);
  });

  test('before Hello only a hello-sized frame is accepted: an anonymous 64 MiB length closes the connection at once', async () => {
    const b = await startNode('b');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(64 * 1024 * 1024, 0);
    const s = await sendRaw(b.address(), Buffer.concat([header, Buffer.alloc(1024)]));
    await closed(s, 1_000);
    expect(b.received).toEqual([]);
    // After a Hello the full limit applies again: a 100 KiB frame is delivered.
    const data = new Uint8Array(100 * 1024).fill(1);
    const meta = { index: 1, term: 1, membership: { members: [] } };
    const ok = await sendRaw(b.address(), Buffer.concat([encodeFrame(hello('x')), encodeFrame({ kind: 'snap-chunk', from: 'x', term: 1, meta, size: data.length, offset: 0, data, done: true })]));
    await waitFor(() => b.received.length === 1, 'the large frame after hello');
    ok.destroy();
  });

  test('an invalid frame after Hello closes the connection; frames before it were delivered', async () => {
    const b = await startNode('b');
    const bad = rawFrame({ kind: 'raft', message: { ...heartbeat('x', 'b'), term: 'one' } });
    const s = await sendRaw(b.address(), Buffer.concat([encodeFrame(hello('x')), encodeFrame(heartbeat('x', 'b', 7)), bad, encodeFrame(heartbeat('x', 'b', 8))]));
    await closed(s);
    expect(b.received.map((r) => r.frame)).toEqual([heartbeat('x', 'b', 7)]);
    // A connection closed for bad input is not a peer-down event.
    await sleep(20);
    expect(b.downs).toEqual([]);
  });

  test('a frame before Hello closes the connection and is not delivered', async () => {
    const b = await startNode('b');
    const s = await sendRaw(b.address(), encodeFrame(heartbeat('x', 'b')));
    await closed(s);
    expect(b.received).toEqual([]);
  });

  test('a frame claiming another sender than the Hello closes the connection', async () => {
    const b = await startNode('b');
    const s = await sendRaw(b.address(), Buffer.concat([encodeFrame(hello('x')), encodeFrame(heartbeat('y', 'b'))]));
    await closed(s);
    expect(b.received).toEqual([]);
  });

  test('a second Hello closes the connection', async () => {
    const b = await startNode('b');
    const s = await sendRaw(b.address(), Buffer.concat([encodeFrame(hello('x')), encodeFrame(hello('x'))]));
    await closed(s);
  });

  test('a frame split into single bytes by the network is still delivered', async () => {
    const b = await startNode('b');
    const s = await rawConnect(b.address());
    const bytes = Buffer.concat([encodeFrame(hello('x')), encodeFrame(heartbeat('x', 'b', 11))]);
    for (let i = 0; i < bytes.length; i++) {
      s.write(bytes.subarray(i, i + 1));
      if (i % 16 === 0) await sleep(1);
    }
    await waitFor(() => b.received.length === 1, 'delivery');
    expect(b.received[0]?.frame).toEqual(heartbeat('x', 'b', 11));
    s.destroy();
  });

  test('a throwing frame handler is logged and does not stop later frames', async () => {
    const b = await startNode('b');
    const seen: number[] = [];
    b.t.onFrame((_from, frame) => {
      if (frame.kind !== 'raft') return;
      seen.push(frame.message.commit);
      if (frame.message.commit === 1) throw new Error('handler bug');
    });
    const a = await startNode('a');
    a.t.send('b', b.address(), heartbeat('a', 'b', 1));
    a.t.send('b', b.address(), heartbeat('a', 'b', 2));
    await waitFor(() => seen.length === 2, 'both frames');
    expect(seen).toEqual([1, 2]);
    expect(b.log.lines.some((l) => l.msg === 'peer frame handler threw')).toBe(true);
  });

  test('a peer that dials again while its old connections look open replaces them', async () => {
    const b = await startNode('b');
    const first = await sendRaw(b.address(), encodeFrame(hello('x')));
    const second = await sendRaw(b.address(), encodeFrame(hello('x')));
    await sleep(20);
    const third = await sendRaw(b.address(), encodeFrame(hello('x')));
    await closed(first);
    await sleep(20);
    expect(second.closed).toBe(false);
    expect(third.closed).toBe(false);
    // Replacing silently dead connections is not reported as the peer going down.
    expect(b.downs).toEqual([]);
    second.destroy();
    third.destroy();
  });
});
