// The operator's own endpoints: /healthz (the loop runs), /readyz (informers
// synced since their last restart), /metrics (its Prometheus registry).
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface OperatorProbes {
  readonly healthy: () => boolean;
  readonly ready: () => boolean;
  readonly registry: Registry;
}

export async function startOperatorHttp(host: string, port: number, probes: OperatorProbes): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const text = (status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'method not allowed\n');
    if (path === '/healthz') return probes.healthy() ? text(200, 'ok\n') : text(503, 'reconcile loop stalled\n');
    if (path === '/readyz') return probes.ready() ? text(200, 'ok\n') : text(503, 'informers not synced\n');
    if (path === '/metrics') {
      probes.registry.metrics().then(
        (body) => text(200, body, probes.registry.contentType),
        (error: unknown) => text(500, `${error instanceof Error ? error.message : String(error)}\n`),
      );
      return;
    }
    text(404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
