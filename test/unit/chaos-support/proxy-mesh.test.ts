import { afterEach, describe, test, expect } from '@jest/globals';
import { performance } from 'node:perf_hooks';
import { encodeFrame } from '../../../src/consensus/transport/frame-codec.js';
import { ProxyMesh, nodeLoopbackIp, type ProxyMeshOptions } from '../../support/proxy-mesh.js';
import { closeFixtures, connectClient, dialUntilClosed, openHandles, sleep, startSink, waitFor, type Client, type Sink } from './helpers.js';

const meshes = new Set<ProxyMesh>();

afterEach(async () => {
  await Promise.all([...meshes].map((m) => m.close()));
  meshes.clear();
  await closeFixtures();
});

const IDS = ['n1', 'n2', 'n3'] as const;
type Id = (typeof IDS)[number];

interface Fixture {
  readonly mesh: ProxyMesh;
  readonly sinks: Record<Id, Sink>;
  /** Dials `to` through the mesh from `from`'s loopback IP and sends a first frame. */
  dial(from: Id, to: Id): Promise<Client>;
}

/** Three "nodes": a frame sink on each node's own loopback IP, and a mesh in front of them. */
async function threeNodes(opts: Partial<ProxyMeshOptions> = {}): Promise<Fixture> {
  const sinks = {} as Record<Id, Sink>;
  for (const [i, id] of IDS.entries()) sinks[id] = await startSink(nodeLoopbackIp(i + 1));
  const mesh = await ProxyMesh.start({
    nodes: IDS.map((id, i) => ({ id, listen: sinks[id].address, sourceIp: nodeLoopbackIp(i + 1) })),
    seed: 11,
    ...opts,
  });
  meshes.add(mesh);
  return {
    mesh,
    sinks,
    dial: async (from, to) => {
      const c = await connectClient(mesh.addressFor(from, to), nodeLoopbackIp(IDS.indexOf(from) + 1));
      c.send(`hello from ${from}`);
      return c;
    },
  };
}

/** Frames received at `to` on connections whose first frame came from `from`. */
function framesAt(f: Fixture, from: Id, to: Id): string[] {
  return f.sinks[to].connections.flatMap((c) => (c.reader.bodies[0] === `hello from ${from}` ? c.reader.bodies.slice(1) : []));
}

describe('ProxyMesh addressing', () => {
  test('every node reaches b at the one address advertised for b; 127.0.0.x aliases bind without setup', async () => {
    const f = await threeNodes();
    expect(nodeLoopbackIp(1)).toBe('127.0.0.11');
    expect(f.sinks.n2.address.startsWith('127.0.0.12:')).toBe(true);
    expect(f.mesh.addressFor('n1', 'n2')).toBe(f.mesh.advertised('n2'));
    expect(f.mesh.addressFor('n3', 'n2')).toBe(f.mesh.advertised('n2'));
    expect(new Set(IDS.map((id) => f.mesh.advertised(id))).size).toBe(3);
    expect(() => f.mesh.link('n1', 'n1')).toThrow(/no link/);
    expect(() => nodeLoopbackIp(0)).toThrow(RangeError);
  });
});

describe('ProxyMesh source-IP dispatch', () => {
  test('loss on n1→n2 touches neither n3→n2 nor n1→n3', async () => {
    const f = await threeNodes();
    f.mesh.oneWay('n1', 'n2', 1);
    const c12 = await f.dial('n1', 'n2');
    const c32 = await f.dial('n3', 'n2');
    const c13 = await f.dial('n1', 'n3');
    for (const c of [c12, c32, c13]) c.send('m1', 'm2', 'm3');
    await waitFor(() => framesAt(f, 'n3', 'n2').length === 3 && framesAt(f, 'n1', 'n3').length === 3, 'undisturbed links');
    await waitFor(() => f.mesh.link('n1', 'n2').stats().forward.framesDropped === 3, 'drops on n1→n2');
    expect(framesAt(f, 'n1', 'n2')).toEqual([]);
    expect(f.sinks.n2.connections.find((c) => c.reader.bodies[0] === 'hello from n1')).toBeDefined();
    const stats = f.mesh.stats();
    expect(stats.get('n1->n2')?.forward.framesForwarded).toBe(1);
    expect(stats.get('n3->n2')?.forward).toEqual(expect.objectContaining({ framesForwarded: 4, framesDropped: 0 }));
    expect(stats.get('n1->n3')?.forward).toEqual(expect.objectContaining({ framesForwarded: 4, framesDropped: 0 }));
    expect(stats.get('n2->n1')?.connectionsAccepted).toBe(0);
    expect(f.mesh.unattributedConnections).toBe(0);
  });

  test('delay on n2→n3 holds its frames while n1→n3 frames pass at once', async () => {
    const f = await threeNodes();
    f.mesh.delay('n2', 'n3', 150);
    const slow = await f.dial('n2', 'n3');
    const fast = await f.dial('n1', 'n3');
    await waitFor(() => framesAt(f, 'n2', 'n3').length === 0 && f.sinks.n3.connections.length === 2, 'both connected');
    const sentAt = performance.now();
    slow.send('slow');
    fast.send('fast');
    await waitFor(() => framesAt(f, 'n2', 'n3').length === 1 && framesAt(f, 'n1', 'n3').length === 1, 'both frames');
    const at = (from: Id): number => f.sinks.n3.connections.find((c) => c.reader.bodies[0] === `hello from ${from}`)?.reader.frames[1]?.at ?? NaN;
    expect(at('n2') - sentAt).toBeGreaterThanOrEqual(150);
    expect(at('n1')).toBeLessThan(at('n2'));
  });

  test('partition cuts links between groups both ways and keeps links inside a group; heal restores all', async () => {
    const f = await threeNodes();
    const c12 = await f.dial('n1', 'n2');
    const c32 = await f.dial('n3', 'n2');
    await waitFor(() => f.sinks.n2.connections.length === 2, 'connected');

    f.mesh.partition([['n1'], ['n2', 'n3']]);
    await waitFor(() => c12.state.closed, 'n1→n2 reset');
    expect(c12.state.error).toBe('ECONNRESET');
    expect(await dialUntilClosedFrom(f, 'n2', 'n1')).toBe('ECONNRESET');
    c32.send('still');
    await waitFor(() => framesAt(f, 'n3', 'n2').includes('still'), 'n3→n2 alive');
    expect(c32.state.closed).toBe(false);
    expect(f.mesh.link('n1', 'n3').blocked && f.mesh.link('n3', 'n1').blocked && !f.mesh.link('n2', 'n3').blocked).toBe(true);

    f.mesh.heal();
    const again = await f.dial('n1', 'n2');
    again.send('back');
    await waitFor(() => framesAt(f, 'n1', 'n2').includes('back'), 'n1→n2 after heal');
    expect(IDS.flatMap((a) => IDS.filter((b) => b !== a).map((b) => f.mesh.link(a, b).blocked))).not.toContain(true);
  });

  test('isolate cuts one node off in both directions only', async () => {
    const f = await threeNodes();
    f.mesh.isolate('n3');
    expect(await dialUntilClosedFrom(f, 'n3', 'n1')).toBe('ECONNRESET');
    expect(await dialUntilClosedFrom(f, 'n2', 'n3')).toBe('ECONNRESET');
    const c21 = await f.dial('n2', 'n1');
    c21.send('ok');
    await waitFor(() => framesAt(f, 'n2', 'n1').includes('ok'), 'n2→n1 untouched');
    expect(f.mesh.stats().get('n3->n1')?.connectionsRefused).toBe(1);
    expect(() => f.mesh.partition([['n1', 'n2'], ['n2']])).toThrow(/two groups/);
  });

  test('a node in no group of a partition is cut off from everyone', async () => {
    const f = await threeNodes();
    f.mesh.partition([['n1', 'n2']]);
    expect(f.mesh.link('n1', 'n2').blocked || f.mesh.link('n2', 'n1').blocked).toBe(false);
    for (const other of ['n1', 'n2'] as const) {
      expect(f.mesh.link('n3', other).blocked && f.mesh.link(other, 'n3').blocked).toBe(true);
    }
  });
});

describe('ProxyMesh Hello fallback', () => {
  test('a connection from an unknown IP is attributed by the node id of its Hello', async () => {
    const f = await threeNodes();
    f.mesh.oneWay('n1', 'n2', 1);
    const hello = encodeFrame({ kind: 'hello', clusterId: 'c', from: 'n1', incarnation: 'i', tokenDigest: '' });
    const c = await connectClient(f.mesh.advertised('n2'), '127.0.0.1');
    // Split inside the header: identification must wait for the whole Hello.
    c.socket.write(hello.subarray(0, 2));
    await sleep(10);
    c.socket.write(hello.subarray(2));
    c.send('lost');
    await waitFor(() => f.mesh.link('n1', 'n2').stats().forward.framesDropped === 1, 'attributed to n1→n2');
    await waitFor(() => f.sinks.n2.connections[0]?.reader.frames.length === 1, 'hello forwarded');
    expect(f.mesh.link('n1', 'n2').stats().forward.bytesForwarded).toBe(hello.length);
  });

  test('without a known IP or a Hello, a connection is reset and counted', async () => {
    const f = await threeNodes();
    expect(await dialUntilClosed(f.mesh.advertised('n2'), 'not a hello')).toBe('ECONNRESET');
    expect(f.mesh.unattributedConnections).toBe(1);
    expect(f.sinks.n2.connections).toHaveLength(0);
  });

  test('with helloFallback off, only source IPs count', async () => {
    const f = await threeNodes({ helloFallback: false });
    const hello = encodeFrame({ kind: 'hello', clusterId: 'c', from: 'n1', incarnation: 'i', tokenDigest: '' });
    expect(await dialUntilClosed(f.mesh.advertised('n2'), hello)).toBe('ECONNRESET');
    expect(f.mesh.unattributedConnections).toBe(1);
    expect(f.mesh.link('n1', 'n2').stats().connectionsAccepted).toBe(0);
  });
});

describe('ProxyMesh close', () => {
  test('close() leaves no listener or socket behind', async () => {
    const f = await threeNodes();
    await sleep(10);
    const withMesh = openHandles().tcp;
    f.mesh.delay('n1', 'n2', 1_000);
    const c = await f.dial('n1', 'n2');
    c.send('held');
    await waitFor(() => f.sinks.n2.connections.length === 1, 'connected');
    await f.mesh.close();
    await waitFor(() => c.state.closed && f.sinks.n2.connections[0]?.closed === true, 'far ends closed');
    await sleep(10);
    // The three per-destination listeners are gone; the sinks' listeners remain.
    expect(openHandles().tcp).toBe(withMesh - 3);
  });
});

/** Dials through the mesh from `from`'s IP; resolves with the error that ended the connection. */
async function dialUntilClosedFrom(f: Fixture, from: Id, to: Id): Promise<string> {
  const c = await connectClient(f.mesh.addressFor(from, to), nodeLoopbackIp(IDS.indexOf(from) + 1)).catch((err: NodeJS.ErrnoException) => err.code ?? '');
  if (typeof c === 'string') return c;
  c.send(`hello from ${from}`);
  await waitFor(() => c.state.closed, `${from}→${to} closed`);
  return c.state.error ?? '';
}
