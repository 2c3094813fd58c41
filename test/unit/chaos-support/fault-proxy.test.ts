import { afterEach, describe, test, expect } from '@jest/globals';
import { FaultProxy } from '../../support/fault-proxy.js';
import { closeFixtures, connectClient, dialUntilClosed, openHandles, sleep, startSink, waitFor, type Sink } from './helpers.js';

const proxies = new Set<FaultProxy>();

async function proxyTo(sink: Sink, opts: { seed?: number; bidirectional?: boolean } = {}): Promise<FaultProxy> {
  const p = await FaultProxy.start({ target: sink.address, ...opts });
  proxies.add(p);
  return p;
}

afterEach(async () => {
  await Promise.all([...proxies].map((p) => p.close()));
  proxies.clear();
  await closeFixtures();
});

const numbered = (n: number): string[] => Array.from({ length: n }, (_, i) => `frame-${i}`);

describe('FaultProxy forwarding', () => {
  test('frames reach the target unchanged and the reverse direction comes back', async () => {
    const sink = await startSink('127.0.0.1', { echo: true });
    const proxy = await proxyTo(sink);
    const client = await connectClient(proxy.address);
    client.send('hello', 'one', 'two');
    await waitFor(() => sink.connections[0]?.reader.frames.length === 3 && client.reader.frames.length === 3, 'frames both ways');
    expect(sink.connections[0]?.reader.bodies).toEqual(['hello', 'one', 'two']);
    expect(client.reader.bodies).toEqual(['hello', 'one', 'two']);
    const s = proxy.stats();
    expect(s.forward).toEqual({ bytesForwarded: 3 * 4 + 11, bytesDropped: 0, framesForwarded: 3, framesDropped: 0 });
    // Without `bidirectional` the reverse direction is passed as raw bytes.
    expect(s.reverse).toEqual({ bytesForwarded: 3 * 4 + 11, bytesDropped: 0, framesForwarded: 0, framesDropped: 0 });
    expect(s.connectionsAccepted).toBe(1);
    expect(s.openConnections).toBe(1);
  });

  test('a half-close travels on only after the delayed bytes before it', async () => {
    const sink = await startSink();
    const proxy = await proxyTo(sink);
    proxy.setDelay(60);
    const client = await connectClient(proxy.address);
    client.send('hello', 'last');
    client.socket.end();
    await waitFor(() => sink.connections[0]?.ended === true, 'end at the target');
    expect(sink.connections[0]?.reader.bodies).toEqual(['hello', 'last']);
    // The sink answers the end with its own; both sides then close cleanly.
    await waitFor(() => client.state.closed && proxy.stats().openConnections === 0, 'connection closed');
    expect(client.state.error).toBeNull();
  });

  test('a target that refuses gets the client connection reset', async () => {
    const sink = await startSink();
    const target = sink.address;
    await sink.close();
    const proxy = await FaultProxy.start({ target });
    proxies.add(proxy);
    const client = await connectClient(proxy.address);
    await waitFor(() => client.state.closed, 'client closed');
    expect(client.state.error).toBe('ECONNRESET');
    await waitFor(() => proxy.stats().openConnections === 0, 'connection forgotten');
  });
});

describe('FaultProxy partition', () => {
  test('block() resets open connections and new ones; unblock() lets new ones through', async () => {
    const sink = await startSink();
    const proxy = await proxyTo(sink);
    const before = await connectClient(proxy.address);
    before.send('hello');
    await waitFor(() => sink.connections[0]?.reader.frames.length === 1, 'first connection up');

    proxy.block();
    expect(proxy.blocked).toBe(true);
    await waitFor(() => before.state.closed && sink.connections[0]?.closed === true, 'both sides of the open connection closed');
    expect(before.state.error).toBe('ECONNRESET');

    expect(await dialUntilClosed(proxy.address, 'hello')).toBe('ECONNRESET');
    await sleep(30);
    expect(sink.connections).toHaveLength(1);

    proxy.unblock();
    const after = await connectClient(proxy.address);
    after.send('hello', 'again');
    await waitFor(() => sink.connections[1]?.reader.frames.length === 2, 'connection after unblock');
    expect(sink.connections[1]?.reader.bodies).toEqual(['hello', 'again']);
    expect(after.state.closed).toBe(false);
    const s = proxy.stats();
    expect([s.connectionsAccepted, s.connectionsRefused, s.connectionsReset, s.openConnections]).toEqual([2, 1, 1, 1]);
  });
});

describe('FaultProxy frame loss', () => {
  async function dropRun(p: number, seed: number, n: number): Promise<{ bodies: string[]; dropped: number }> {
    const sink = await startSink();
    const proxy = await proxyTo(sink, { seed });
    proxy.setDropRate(p);
    const client = await connectClient(proxy.address);
    const sent = numbered(n);
    client.send(...sent.slice(0, n / 2));
    await sleep(5);
    client.send(...sent.slice(n / 2));
    await waitFor(() => proxy.stats().forward.framesForwarded + proxy.stats().forward.framesDropped === n, 'all frames decided');
    const { framesForwarded, framesDropped } = proxy.stats().forward;
    await waitFor(() => sink.connections[0]?.reader.frames.length === framesForwarded, 'kept frames delivered');
    return { bodies: sink.connections[0]?.reader.bodies ?? [], dropped: framesDropped };
  }

  test('p = 1 drops every frame but the first', async () => {
    const run = await dropRun(1, 1, 40);
    expect(run.bodies).toEqual(['frame-0']);
    expect(run.dropped).toBe(39);
  });

  test('p = 0 drops nothing', async () => {
    const run = await dropRun(0, 1, 40);
    expect(run.bodies).toEqual(numbered(40));
    expect(run.dropped).toBe(0);
  });

  test('p = 0.5 with a seed drops the same subset every run; another seed drops another', async () => {
    const first = await dropRun(0.5, 42, 60);
    const second = await dropRun(0.5, 42, 60);
    const other = await dropRun(0.5, 43, 60);
    expect(second.bodies).toEqual(first.bodies);
    expect(other.bodies).not.toEqual(first.bodies);
    expect(first.bodies[0]).toBe('frame-0');
    // Kept frames are a subsequence, in order, of what was sent.
    const order = first.bodies.map((b) => Number(b.slice('frame-'.length)));
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect(first.dropped).toBe(60 - first.bodies.length);
    expect(first.dropped).toBeGreaterThan(10);
    expect(first.dropped).toBeLessThan(50);
  });

  test('the rate can change on an open connection', async () => {
    const sink = await startSink();
    const proxy = await proxyTo(sink, { seed: 5 });
    const client = await connectClient(proxy.address);
    client.send('hello', 'a');
    await waitFor(() => sink.connections[0]?.reader.frames.length === 2, 'before loss');
    proxy.setDropRate(1);
    client.send('lost-1', 'lost-2');
    await waitFor(() => proxy.stats().forward.framesDropped === 2, 'dropped');
    proxy.setDropRate(0);
    client.send('b');
    await waitFor(() => sink.connections[0]?.reader.frames.length === 3, 'after loss');
    expect(sink.connections[0]?.reader.bodies).toEqual(['hello', 'a', 'b']);
  });

  test('with bidirectional, the reverse direction loses frames too', async () => {
    const sink = await startSink('127.0.0.1', { echo: true });
    const proxy = await proxyTo(sink, { seed: 9, bidirectional: true });
    const client = await connectClient(proxy.address);
    client.send('hello');
    await waitFor(() => client.reader.frames.length === 1, 'hello echoed');
    proxy.setDropRate(1);
    client.send('x');
    await waitFor(() => proxy.stats().forward.framesDropped === 1, 'forward drop');
    proxy.setDropRate(0);
    client.send('y');
    await waitFor(() => client.reader.frames.length === 2, 'y echoed');
    expect(client.reader.bodies).toEqual(['hello', 'y']);
    expect(proxy.stats().reverse.framesForwarded).toBe(2);
    expect(() => proxy.setDropRate(1.5)).toThrow(RangeError);
  });
});

describe('FaultProxy delay', () => {
  test('every frame is held at least the delay, and order is kept', async () => {
    const sink = await startSink();
    const proxy = await proxyTo(sink);
    proxy.setDelay(80);
    const client = await connectClient(proxy.address);
    const sentAt: number[] = [];
    for (let i = 0; i < 5; i++) {
      sentAt.push(performance.now());
      client.send(`frame-${i}`);
      await sleep(10);
    }
    await waitFor(() => sink.connections[0]?.reader.frames.length === 5, 'delayed frames');
    const frames = sink.connections[0]?.reader.frames ?? [];
    expect(frames.map((f) => f.body)).toEqual(numbered(5));
    frames.forEach((f, i) => expect(f.at - (sentAt[i] as number)).toBeGreaterThanOrEqual(80));
  });

  test('with jitter larger than the gaps between frames, order is still kept', async () => {
    const sink = await startSink();
    const proxy = await proxyTo(sink, { seed: 3 });
    proxy.setDelay(40, 35);
    const client = await connectClient(proxy.address);
    const sentAt: number[] = [];
    for (let i = 0; i < 30; i++) {
      sentAt.push(performance.now());
      client.send(`frame-${i}`);
      await sleep(2);
    }
    await waitFor(() => sink.connections[0]?.reader.frames.length === 30, 'jittered frames');
    const frames = sink.connections[0]?.reader.frames ?? [];
    expect(frames.map((f) => f.body)).toEqual(numbered(30));
    frames.forEach((f, i) => expect(f.at - (sentAt[i] as number)).toBeGreaterThanOrEqual(5));
  });

  test('removing the delay never lets new frames overtake held ones', async () => {
    const sink = await startSink();
    const proxy = await proxyTo(sink);
    proxy.setDelay(100);
    const client = await connectClient(proxy.address);
    client.send('held');
    await sleep(10);
    proxy.setDelay(0);
    client.send('fresh');
    await waitFor(() => sink.connections[0]?.reader.frames.length === 2, 'both frames');
    expect(sink.connections[0]?.reader.bodies).toEqual(['held', 'fresh']);
  });
});

describe('FaultProxy close', () => {
  test('close() leaves no socket, listener or timer behind', async () => {
    const sink = await startSink();
    // A closed handle leaves the active list one loop turn after its 'close' event.
    await sleep(10);
    const baseline = openHandles();
    const proxy = await proxyTo(sink);
    proxy.setDelay(1_000);
    const client = await connectClient(proxy.address);
    client.send('hello', 'held for a second');
    await waitFor(() => sink.connections.length === 1 && proxy.stats().forward.framesForwarded === 2, 'connection up, frames held');
    // listener + client + accepted + upstream + the sink's accepted socket
    expect(openHandles().tcp).toBe(baseline.tcp + 5);
    const timersBefore = openHandles().timers;
    await proxy.close();
    // The only timer that close() may end is the one holding the delayed frames.
    expect(openHandles().timers).toBe(timersBefore - 1);
    await waitFor(() => client.state.closed && sink.connections[0]?.closed === true, 'far ends closed');
    await sleep(10);
    expect(openHandles().tcp).toBe(baseline.tcp);
    expect(sink.connections[0]?.reader.frames).toHaveLength(0);
  });
});
