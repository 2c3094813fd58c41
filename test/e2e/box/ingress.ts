// The Ingress stand-in: an HTTP proxy configured from the Ingress objects in the
// API server, as ingress-nginx would be. A request is matched by host and path
// (Prefix / Exact), sent round-robin to the Ready endpoints of the backend
// Service (EndpointSlices), retried on the next endpoint only when the connection
// failed before anything was sent (nginx's proxy_next_upstream for POST), answered
// 503 when no endpoint is Ready, 502 on a broken upstream, 504 after the
// proxy-read-timeout annotation.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { arr, at, isObj, num, str, type Obj } from './api/json.js';
import type { Store } from './api/store.js';

interface Upstream {
  readonly ip: string;
  readonly port: number;
}

interface Route {
  readonly upstreams: Upstream[];
  readonly timeoutMs: number;
  readonly key: string;
}

export class IngressProxy {
  private server: Server | null = null;
  private readonly cursor = new Map<string, number>();
  private address = '';

  constructor(
    private readonly store: Store,
    private readonly host: string,
  ) {}

  get url(): string {
    return `http://${this.address}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve) => server.listen(0, this.host, resolve));
    const a = server.address() as AddressInfo;
    this.address = `${a.address}:${a.port}`;
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s === null) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** The route of a request, or null (404). */
  route(hostHeader: string, path: string): Route | null {
    const ingresses = this.store.list(this.store.typeFor('networking.k8s.io', 'v1', 'ingresses')!, null).items;
    let best: { ns: string; backend: Obj; length: number; ing: Obj } | null = null;
    const host = hostHeader.split(':')[0] ?? '';
    for (const ing of ingresses) {
      for (const rule of arr(at(ing, 'spec', 'rules')).filter(isObj)) {
        const ruleHost = str(rule['host']);
        if (ruleHost !== undefined && ruleHost !== '' && ruleHost !== host) continue;
        for (const p of arr(at(rule, 'http', 'paths')).filter(isObj)) {
          const prefix = str(p['path']) ?? '/';
          const exact = p['pathType'] === 'Exact';
          const match = exact ? path === prefix : path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`) || prefix === '/';
          if (match && (best === null || prefix.length > best.length)) best = { ns: str(at(ing, 'metadata', 'namespace')) ?? '', backend: isObj(p['backend']) ? p['backend'] : {}, length: prefix.length, ing };
        }
      }
    }
    if (best === null) return null;
    const svcName = str(at(best.backend, 'service', 'name')) ?? '';
    const portRef = at(best.backend, 'service', 'port');
    const svc = this.store.tryGet(this.store.typeFor('', 'v1', 'services')!, best.ns, svcName);
    const svcPort = arr(at(svc, 'spec', 'ports')).filter(isObj).find((p) => (isObj(portRef) && (p['name'] === portRef['name'] || p['port'] === portRef['number'])));
    const portName = str(svcPort?.['name']);
    const upstreams: Upstream[] = [];
    const slices = this.store.list(this.store.typeFor('discovery.k8s.io', 'v1', 'endpointslices')!, best.ns, (o) => at(o, 'metadata', 'labels', 'kubernetes.io/service-name') === svcName).items;
    for (const slice of slices) {
      const port = arr(slice['ports']).filter(isObj).find((p) => portName === undefined || p['name'] === portName);
      const portNo = num(port?.['port']);
      if (portNo === undefined) continue;
      for (const ep of arr(slice['endpoints']).filter(isObj)) {
        if (at(ep, 'conditions', 'ready') !== true) continue;
        const ip = str(arr(ep['addresses'])[0]);
        if (ip !== undefined) upstreams.push({ ip, port: portNo });
      }
    }
    const timeoutS = Number(str(at(best.ing, 'metadata', 'annotations', 'nginx.ingress.kubernetes.io/proxy-read-timeout')) ?? '60');
    return { upstreams, timeoutMs: (Number.isFinite(timeoutS) ? timeoutS : 60) * 1000, key: `${best.ns}/${svcName}` };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const route = this.route(String(req.headers['host'] ?? ''), path);
    const fail = (status: number, text: string): void => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(status, { 'content-type': 'text/html' });
      res.end(`<html><body><h1>${status} ${text}</h1>nginx</body></html>`);
    };
    if (route === null) return fail(404, 'Not Found');
    if (route.upstreams.length === 0) return fail(503, 'Service Temporarily Unavailable');
    const start = this.cursor.get(route.key) ?? 0;
    this.cursor.set(route.key, start + 1);
    const tries = Math.min(3, route.upstreams.length);
    for (let i = 0; i < tries; i++) {
      const up = route.upstreams[(start + i) % route.upstreams.length]!;
      const outcome = await this.forward(req, res, body, up, route.timeoutMs);
      if (outcome === 'done') return;
      if (outcome === 'sent-failed') return fail(502, 'Bad Gateway');
      if (outcome === 'timeout') return fail(504, 'Gateway Time-out');
    }
    fail(502, 'Bad Gateway');
  }

  private forward(req: IncomingMessage, res: ServerResponse, body: Buffer, up: Upstream, timeoutMs: number): Promise<'done' | 'not-sent' | 'sent-failed' | 'timeout'> {
    return new Promise((resolve) => {
      let connected = false;
      const headers = { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress ?? '', 'x-real-ip': req.socket.remoteAddress ?? '', 'content-length': String(body.length), connection: 'close' };
      const out = request({ host: up.ip, port: up.port, method: req.method, path: req.url, headers, agent: false, timeout: timeoutMs }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
        upRes.on('end', () => resolve('done'));
        upRes.on('error', () => {
          res.destroy();
          resolve('done');
        });
      });
      out.on('socket', (s) => s.once('connect', () => (connected = true)));
      out.on('timeout', () => {
        out.destroy();
        resolve(connected ? 'timeout' : 'not-sent');
      });
      out.on('error', () => resolve(connected ? 'sent-failed' : 'not-sent'));
      out.end(body);
    });
  }
}
