// While a pod decides how to start, the real HTTP server does not exist yet. This
// stand-in answers on the same port so that the kubelet's startup and liveness
// probes pass, readiness stays 503, and peers probing /cluster/status learn that
// this pod has no cluster (or which one its volume holds) instead of timing out.
import { createServer, type Server } from 'node:http';

export interface DiscoveryInfo {
  readonly id: string;
  readonly clusterId: string;
  /** Why the node is not started yet (shown by /health/ready). */
  reason: string;
}

export async function startDiscoveryServer(host: string, port: number, info: DiscoveryInfo): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: unknown, extra: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...extra });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(503, { error: `starting: ${info.reason}`, code: 'NO_LEADER' }, { 'retry-after': '1' });
    } else if (path === '/health/live') {
      send(200, { status: 'ok', info: { discovery: { status: 'up' } } });
    } else if (path === '/health/ready') {
      send(503, { status: 'down', checks: { discovery: { status: 'down', message: info.reason } } });
    } else if (path === '/cluster/status') {
      send(200, {
        id: info.id,
        cluster_id: info.clusterId,
        role: 'discovering',
        term: 0,
        leader_id: null,
        leader_http_address: null,
        commit_index: 0,
        applied_index: 0,
        snapshot_index: 0,
        members: [],
      });
    } else {
      send(503, { error: `starting: ${info.reason}`, code: 'NO_LEADER' }, { 'retry-after': '1' });
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

export async function stopDiscoveryServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
