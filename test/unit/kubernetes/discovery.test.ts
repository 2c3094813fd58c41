import { describe, test, expect } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import { startDiscoveryServer, stopDiscoveryServer } from '../../../src/kubernetes/discovery-server.js';
import { parsePeerStatus, probePeers, probeStatus } from '../../../src/kubernetes/peer-probe.js';

describe('discovery stand-in server and peer probe', () => {
  test('live 200, ready 503 with the reason, /cluster/status says which cluster the volume holds', async () => {
    const info = { id: 'farm-1', clusterId: '', reason: 'waiting for farm-0' };
    const server = await startDiscoveryServer('127.0.0.1', 0, info);
    const at = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`http://${at}/health/live`)).status).toBe(200);
      const ready = await fetch(`http://${at}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'down', checks: { discovery: { status: 'down', message: 'waiting for farm-0' } } });
      const write = await fetch(`http://${at}/api/v1/printers`, { method: 'POST', body: '{}' });
      expect(write.status).toBe(503);
      expect(write.headers.get('retry-after')).toBe('1');
      expect(await probeStatus(at, 1000)).toEqual({ clusterId: '', role: 'discovering', term: 0, leaderHttpAddress: null, members: [] });
      info.clusterId = 'c9';
      expect((await probeStatus(at, 1000))?.clusterId).toBe('c9');
      const [seen, unreachable] = await probePeers([
        { ordinal: 1, name: 'farm-1', httpAddress: at },
        { ordinal: 2, name: 'farm-2', httpAddress: '127.0.0.1:1' },
      ], 1000);
      expect(seen!.status?.clusterId).toBe('c9');
      expect(unreachable!.status).toBeNull();
    } finally {
      await stopDiscoveryServer(server);
    }
  });

  test('parsePeerStatus narrows a real node answer and rejects others', () => {
    expect(
      parsePeerStatus({
        id: 'farm-0', cluster_id: 'c1', role: 'leader', term: 4, leader_id: 'farm-0', leader_http_address: 'farm-0.h:8001',
        members: [{ id: 'farm-0', role: 'voter' }, { id: 'farm-1', incarnation: 'i1' }, { nope: 1 }],
      }),
    ).toEqual({ clusterId: 'c1', role: 'leader', term: 4, leaderHttpAddress: 'farm-0.h:8001', members: [{ id: 'farm-0' }, { id: 'farm-1', incarnation: 'i1' }] });
    expect(parsePeerStatus({ role: 'leader' })).toBeNull();
    expect(parsePeerStatus([1])).toBeNull();
    expect(parsePeerStatus('x')).toBeNull();
  });
});
