import { afterEach, describe, test, expect } from '@jest/globals';
import net from 'node:net';
import { app, freePort, heartbeat, raftMessages, sleep, startNode, stopAll, stopNode, waitFor } from './helpers.js';

afterEach(stopAll);

describe('TcpTransport delivery', () => {
  test('frames flow both ways, each tagged with the identity of its Hello', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    expect(a.t.send('b', b.address(), heartbeat('a', 'b', 5))).toBe(true);
    expect(b.t.send('a', a.address(), heartbeat('b', 'a', 6))).toBe(true);
    await waitFor(() => a.received.length === 1 && b.received.length === 1, 'one frame each way');
    expect(b.received[0]?.from).toEqual({ id: 'a', incarnation: 'inc-a', clusterId: 'cluster-1' });
    expect(b.received[0]?.frame).toEqual(heartbeat('a', 'b', 5));
    expect(a.received[0]?.from).toEqual({ id: 'b', incarnation: 'inc-b', clusterId: 'cluster-1' });
    expect(a.received[0]?.frame).toEqual(heartbeat('b', 'a', 6));
  });

  test('thousands of frames on both channels all arrive, in order per channel', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    const n = 3000;
    for (let i = 0; i < n; i++) {
      expect(a.t.send('b', b.address(), app('a', 'b', i, 100))).toBe(true);
      expect(a.t.send('b', b.address(), heartbeat('a', 'b', i))).toBe(true);
      if (i % 500 === 0) await sleep(1);
    }
    await waitFor(() => b.received.length === 2 * n, 'all frames');
    const msgs = raftMessages(b);
    const apps = msgs.filter((m) => m.type === 'App');
    const beats = msgs.filter((m) => m.type === 'Heartbeat');
    expect(apps.map((m) => m.index)).toEqual([...Array(n).keys()]);
    expect(beats.map((m) => m.commit)).toEqual([...Array(n).keys()]);
    expect(apps[1234]?.entries[0]?.data).toEqual(new Uint8Array(100).fill(1234 % 256));
  });

  test('when the peer stops, onPeerDown fires; after it restarts on its address, frames flow again', async () => {
    const a = await startNode('a', { backoffMinMs: 20, backoffMaxMs: 100 });
    let b = await startNode('b');
    const address = b.address();
    a.t.send('b', address, heartbeat('a', 'b', 1));
    await waitFor(() => b.received.length === 1, 'first frame');
    await stopNode(b);
    await waitFor(() => a.downs.includes('b'), 'onPeerDown(b)');
    b = await startNode('b', { listen: address });
    let commit = 2;
    await waitFor(() => {
      a.t.send('b', address, heartbeat('a', 'b', commit++));
      return b.received.length > 0;
    }, 'frames to the restarted peer');
    expect(b.received[0]?.from.id).toBe('a');
  });

  test('the receiving side reports onPeerDown when the sender goes away', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    a.t.send('b', b.address(), heartbeat('a', 'b'));
    a.t.send('b', b.address(), app('a', 'b', 1));
    await waitFor(() => b.received.length === 2, 'frames on both channels');
    await stopNode(a);
    await waitFor(() => b.downs.includes('a'), 'onPeerDown(a) at b');
    await sleep(50);
    // Both connections closed at once: one event.
    expect(b.downs).toEqual(['a']);
  });

  test('failing to connect is not a peer-down event', async () => {
    const a = await startNode('a', { backoffMinMs: 10, backoffMaxMs: 40 });
    const port = await freePort();
    expect(a.t.send('b', `127.0.0.1:${port}`, heartbeat('a', 'b'))).toBe(true);
    await sleep(300);
    expect(a.downs).toEqual([]);
    // Repeated failures are logged once, not per attempt.
    expect(a.log.lines.filter((l) => l.level === 'warn' && l.msg.startsWith('cannot keep')).length).toBeLessThanOrEqual(2);
  });

  test('the host name is resolved on connect (localhost works)', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    const port = b.address().split(':')[1];
    a.t.send('b', `localhost:${port}`, heartbeat('a', 'b', 9));
    await waitFor(() => b.received.length === 1, 'frame via localhost');
  });

  test('a changed address moves the connections to the new one', async () => {
    const a = await startNode('a');
    const b1 = await startNode('b');
    const b2 = await startNode('b');
    a.t.send('b', b1.address(), heartbeat('a', 'b', 1));
    await waitFor(() => b1.received.length === 1, 'frame to the old address');
    a.t.send('b', b2.address(), heartbeat('a', 'b', 2));
    await waitFor(() => b2.received.length === 1, 'frame to the new address');
    expect(raftMessages(b2)[0]?.commit).toBe(2);
  });

  test('dropPeer closes both directions without reporting the dropped peer down', async () => {
    const a = await startNode('a');
    const b = await startNode('b');
    a.t.send('b', b.address(), heartbeat('a', 'b'));
    b.t.send('a', a.address(), heartbeat('b', 'a'));
    await waitFor(() => a.received.length === 1 && b.received.length === 1, 'both directions up');
    a.t.dropPeer('b');
    await waitFor(() => b.downs.includes('a'), 'b sees its connection from a close');
    await sleep(50);
    expect(a.downs).toEqual([]);
  });

  test('stop() closes everything: no reconnects, sends refused, no handles left', async () => {
    const types = (): string[] => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap');
    const baseline = types().length;
    let accepted = 0;
    const peer = net.createServer((s) => {
      accepted++;
      s.resume();
    });
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    const peerAddress = `127.0.0.1:${(peer.address() as net.AddressInfo).port}`;
    const a = await startNode('a', { backoffMinMs: 10, backoffMaxMs: 20 });
    a.t.send('p', peerAddress, heartbeat('a', 'p'));
    a.t.send('p', peerAddress, app('a', 'p', 1));
    await waitFor(() => accepted === 2, 'control and bulk connections');
    await stopNode(a);
    expect(a.t.send('p', peerAddress, heartbeat('a', 'p'))).toBe(false);
    await sleep(150);
    expect(accepted).toBe(2);
    // close() completes only once the connections `a` made are gone.
    await new Promise<void>((resolve) => peer.close(() => resolve()));
    await sleep(10);
    expect(types().length).toBeLessThanOrEqual(baseline);
  });
});
