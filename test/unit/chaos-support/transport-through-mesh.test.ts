import { afterEach, describe, test, expect } from '@jest/globals';
import { ConfigError, loadNodeConfig } from '../../../src/config/node-config.js';
import { ProxyMesh, nodeLoopbackIp } from '../../support/proxy-mesh.js';
import { heartbeat, startNode, stopAll, type Node } from '../transport/helpers.js';
import { waitFor } from './helpers.js';

const meshes = new Set<ProxyMesh>();

afterEach(async () => {
  await stopAll();
  await Promise.all([...meshes].map((m) => m.close()));
  meshes.clear();
});

/** Two real transports, each listening on and dialling from its own loopback IP, behind a mesh. */
async function twoNodes(): Promise<{ n1: Node; n2: Node; mesh: ProxyMesh }> {
  const fast = { backoffMinMs: 20, backoffMaxMs: 100 };
  const n1 = await startNode('n1', { listen: `${nodeLoopbackIp(1)}:0`, localAddress: nodeLoopbackIp(1), ...fast });
  const n2 = await startNode('n2', { listen: `${nodeLoopbackIp(2)}:0`, localAddress: nodeLoopbackIp(2), ...fast });
  const mesh = await ProxyMesh.start({
    nodes: [
      { id: 'n1', listen: n1.address(), sourceIp: nodeLoopbackIp(1) },
      { id: 'n2', listen: n2.address(), sourceIp: nodeLoopbackIp(2) },
    ],
    // Attribution must come from the source IP the transport dials from.
    helloFallback: false,
    seed: 1,
  });
  meshes.add(mesh);
  return { n1, n2, mesh };
}

const commits = (n: Node): number[] => n.received.flatMap((r) => (r.frame.kind === 'raft' ? [r.frame.message.commit] : []));

describe('TcpTransport through a ProxyMesh', () => {
  test('with localAddress, every connection is attributed to its link by source IP', async () => {
    const { n1, n2, mesh } = await twoNodes();
    n1.t.send('n2', mesh.advertised('n2'), heartbeat('n1', 'n2', 1));
    n2.t.send('n1', mesh.advertised('n1'), heartbeat('n2', 'n1', 1));
    await waitFor(() => commits(n1).length === 1 && commits(n2).length === 1, 'a heartbeat each way');
    expect(n2.received[0]?.from.id).toBe('n1');
    expect(mesh.unattributedConnections).toBe(0);
    // The transport dials a control and a bulk connection per peer.
    await waitFor(() => mesh.link('n1', 'n2').stats().connectionsAccepted === 2, 'both channels attributed');
    expect(mesh.link('n2', 'n1').stats().connectionsAccepted).toBe(2);
  });

  test('one-way loss silences n1→n2 while n2→n1 still delivers; a partition reports peers down; heal restores both', async () => {
    const { n1, n2, mesh } = await twoNodes();
    n1.t.send('n2', mesh.advertised('n2'), heartbeat('n1', 'n2', 1));
    n2.t.send('n1', mesh.advertised('n1'), heartbeat('n2', 'n1', 1));
    await waitFor(() => commits(n1).length === 1 && commits(n2).length === 1, 'connected');

    mesh.oneWay('n1', 'n2', 1);
    n1.t.send('n2', mesh.advertised('n2'), heartbeat('n1', 'n2', 2));
    n2.t.send('n1', mesh.advertised('n1'), heartbeat('n2', 'n1', 2));
    await waitFor(() => commits(n1).includes(2) && mesh.link('n1', 'n2').stats().forward.framesDropped === 1, 'n2→n1 delivered, n1→n2 lost');
    expect(commits(n2)).toEqual([1]);

    mesh.heal();
    mesh.partition([['n1'], ['n2']]);
    await waitFor(() => n1.downs.includes('n2') && n2.downs.includes('n1'), 'both sides see the other down');

    mesh.heal();
    n1.t.send('n2', mesh.advertised('n2'), heartbeat('n1', 'n2', 3));
    n2.t.send('n1', mesh.advertised('n1'), heartbeat('n2', 'n1', 3));
    await waitFor(() => commits(n1).includes(3) && commits(n2).includes(3), 'traffic after heal', 5_000);
    expect(mesh.unattributedConnections).toBe(0);
  });
});

describe('RAFT3D_RAFT_BIND_OUTBOUND', () => {
  const base = ['-id=n1', '-http=127.0.0.1:8001', '-raft=127.0.0.1:9001'];

  test('sets the source IP of dialled peer connections, from the environment or the flag', () => {
    expect(loadNodeConfig(base, {}).raftBindOutbound).toBeUndefined();
    expect(loadNodeConfig(base, { RAFT3D_RAFT_BIND_OUTBOUND: '127.0.0.11' }).raftBindOutbound).toBe('127.0.0.11');
    expect(loadNodeConfig([...base, '-raft-bind-outbound=::1'], { RAFT3D_RAFT_BIND_OUTBOUND: '127.0.0.11' }).raftBindOutbound).toBe('::1');
  });

  test('must be an IP address', () => {
    expect(() => loadNodeConfig(base, { RAFT3D_RAFT_BIND_OUTBOUND: 'localhost' })).toThrow(ConfigError);
    expect(() => loadNodeConfig([...base, '-raft-bind-outbound=127.0.0.11:9000'], {})).toThrow(/must be an IP address/);
  });
});
