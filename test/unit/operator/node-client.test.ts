import { describe, test, expect, beforeAll, afterAll } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpNodeClient, NodeApiError, parseNodeStatus } from '../../../src/operator/node-client.js';
import { leaderView } from '../../../src/operator/raft-view.js';
import { startOperatorHttp } from '../../../src/operator/http-server.js';
import { OperatorMetrics } from '../../../src/operator/metrics.js';
import { DEFAULT_POD_ADDRESS, loadOperatorConfig, podAddress } from '../../../src/operator/operator-config.js';
import { parseRaft3DCluster } from '../../../src/operator/types.js';

interface Seen {
  method: string;
  url: string;
  token: string | undefined;
  body: string;
}

const seen: Seen[] = [];
let server: Server;
let at = '';

const leaderStatus = {
  id: 'farm-0', cluster_id: 'c1', role: 'leader', term: 5, leader_id: 'farm-0', leader_http_address: 'farm-0.h:8001',
  commit_index: 40, applied_index: 40, snapshot_index: 0, last_log_index: 41, transferring_to: null, config_index: 39,
  members: [
    { id: 'farm-0', role: 'voter', raft_address: 'a:9001', http_address: 'a:8001', is_leader: true },
    { id: 'farm-1', role: 'voter', raft_address: 'b:9001', http_address: 'b:8001', is_leader: false, match_index: 41, next_index: 42, replication_state: 'replicate', recent_active: true },
    { id: 'farm-2', role: 'learner', raft_address: 'c:9001', http_address: 'c:8001', is_leader: false, match_index: 3, recent_active: false },
  ],
};

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', token: req.headers['x-raft3d-token'] as string | undefined, body });
      const json = (status: number, b: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(b));
      };
      if (req.url === '/cluster/status') return json(200, leaderStatus);
      if (req.url === '/cluster/members/farm-9') return json(404, { error: 'farm-9 is not a member', code: 'NOT_FOUND' });
      if (req.url === '/cluster/members/farm-busy') return json(409, { error: 'another membership change is in progress; retry', code: 'CHANGE_IN_PROGRESS' });
      if (req.url?.startsWith('/cluster/members/')) return json(200, { removed: 'farm-2' });
      if (req.url === '/cluster/transfer-leadership') return json(200, { leader_id: 'farm-1' });
      if (req.url?.startsWith('/slow')) return;
      json(404, { error: 'no route' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  at = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('HttpNodeClient', () => {
  test('status narrows the node answer; the leader view marks health and progress', async () => {
    const s = await new HttpNodeClient().status(at);
    expect(s).toEqual({
      id: 'farm-0', clusterId: 'c1', role: 'leader', term: 5, leaderId: 'farm-0', commitIndex: 40, lastLogIndex: 41, configIndex: 39, transferringTo: null,
      members: [
        { id: 'farm-0', role: 'voter', matchIndex: null, recentActive: null },
        { id: 'farm-1', role: 'voter', matchIndex: 41, recentActive: true },
        { id: 'farm-2', role: 'learner', matchIndex: 3, recentActive: false },
      ],
    });
    expect(leaderView(s).members).toEqual([
      { id: 'farm-0', role: 'voter', healthy: true, matchIndex: 41 },
      { id: 'farm-1', role: 'voter', healthy: true, matchIndex: 41 },
      { id: 'farm-2', role: 'learner', healthy: false, matchIndex: 3 },
    ]);
  });

  test('remove and transfer send the token; removing a non-member counts as done; a busy leader is an error', async () => {
    const c = new HttpNodeClient();
    await c.removeMember(at, 'farm-2', 'tok');
    await c.removeMember(at, 'farm-9', 'tok');
    await c.transferLeadership(at, 'farm-1', 'tok');
    const last = seen.slice(-3);
    expect(last.map((s) => [s.method, s.url, s.token])).toEqual([
      ['DELETE', '/cluster/members/farm-2', 'tok'],
      ['DELETE', '/cluster/members/farm-9', 'tok'],
      ['POST', '/cluster/transfer-leadership', 'tok'],
    ]);
    expect(JSON.parse(last[2]!.body)).toEqual({ id: 'farm-1' });
    await expect(c.removeMember(at, 'farm-busy', undefined)).rejects.toMatchObject({ status: 409, code: 'CHANGE_IN_PROGRESS' });
  });

  test('every call has a deadline; unreachable nodes are NodeApiErrors', async () => {
    const c = new HttpNodeClient(100, 100);
    const started = Date.now();
    await expect(c.status(`${at}/slow?`)).rejects.toBeInstanceOf(NodeApiError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(c.status('127.0.0.1:1')).rejects.toMatchObject({ status: null });
    expect(parseNodeStatus({ id: 'x' })).toBeNull();
  });
});

describe('operator endpoints and configuration', () => {
  test('/healthz, /readyz and /metrics', async () => {
    let ready = false;
    const metrics = new OperatorMetrics();
    metrics.desiredReplicas.set({ namespace: 'ns', raft3d_cluster: 'farm' }, 3);
    const s = await startOperatorHttp('127.0.0.1', 0, { healthy: () => true, ready: () => ready, registry: metrics.registry });
    const base = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(503);
      ready = true;
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const m = await fetch(`${base}/metrics`);
      expect(await m.text()).toContain('raft3d_operator_desired_replicas{namespace="ns",raft3d_cluster="farm"} 3');
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    } finally {
      s.closeAllConnections();
      s.close();
    }
  });

  test('environment as the chart sets it', () => {
    expect(loadOperatorConfig({ WATCH_NAMESPACE: 'prints', RAFT3D_OPERATOR_METRICS: '0.0.0.0:8081', POD_NAME: 'op-1' })).toEqual({
      namespace: 'prints', listenHost: '0.0.0.0', listenPort: 8081, logLevel: 'info', instance: 'op-1', failpoint: null, podAddressTemplate: DEFAULT_POD_ADDRESS,
    });
    expect(loadOperatorConfig({ WATCH_NAMESPACE: '' }).namespace).toBeNull();
    expect(loadOperatorConfig({ POD_NAMESPACE: 'own' }).namespace).toBe('own');
    expect(loadOperatorConfig({ RAFT3D_OPERATOR_FAILPOINT: 'after-remove-request' }).failpoint).toBe('after-remove-request');
    expect(() => loadOperatorConfig({ RAFT3D_OPERATOR_FAILPOINT: 'later' })).toThrow(/one of/);
    expect(() => loadOperatorConfig({ RAFT3D_OPERATOR_METRICS: 'nope' })).toThrow(/host:port/);
    const cr = parseRaft3DCluster({ metadata: { name: 'farm', namespace: 'prints' }, spec: { image: 'x' } });
    expect(podAddress(DEFAULT_POD_ADDRESS, cr, 'farm-1')).toBe('farm-1.farm-headless.prints.svc.cluster.local:8001');
    expect(podAddress('127.0.0.1:{port}/{cluster}', cr, 'farm-1')).toBe('127.0.0.1:8001/farm');
  });
});
