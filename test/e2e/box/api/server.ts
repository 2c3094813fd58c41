// The fake Kubernetes API server on the wire: the REST paths, verbs, query
// parameters and streaming watches that kubectl, helm, @kubernetes/client-node
// and Prometheus' Kubernetes service discovery use, over one Store. Fault knobs
// (dropped watches, 410 Gone, delays, 500s) let scenarios hurt its clients.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest } from './errors.js';
import { coreVersions, group, groupList, KUBE_VERSION, resourceList } from './discovery.js';
import { isObj, type Obj } from './json.js';
import { openApiGroupVersion, openApiRoot } from './openapi.js';
import { APPLY_PATCH } from './patch.js';
import { decodeProtobuf, PROTOBUF } from './protobuf.js';
import { groupResource, type ResourceType } from './resource-types.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';
import type { DeleteOptions, Store, Subresource, WatchEvent } from './store.js';
import { toTable } from './table.js';

export interface ApiServerOptions {
  readonly host: string;
  readonly port?: number;
  /** Server-side end of a watch without timeoutSeconds: random in [min, 2·min) ms, so clients reconnect. */
  readonly watchTimeoutMs?: number;
  readonly bookmarkEveryMs?: number;
}

export interface RequestLogEntry {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly userAgent: string;
}

interface Target {
  readonly type: ResourceType;
  readonly namespace: string | null;
  readonly name: string | null;
  readonly sub: Subresource | 'eviction';
}

export class FakeApiServer {
  private server: Server | null = null;
  private readonly watches = new Set<() => void>();
  private failures: { count: number; status: number } = { count: 0, status: 500 };
  /** Watches answered with 410 Gone (their resourceVersion had left the window). */
  goneAnswers = 0;
  /** Fault knob: added to every non-watch answer. */
  delayMs = 0;
  readonly log: RequestLogEntry[] = [];
  private address = '';

  constructor(
    readonly store: Store,
    private readonly opts: ApiServerOptions,
  ) {}

  get url(): string {
    return `http://${this.address}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, this.opts.host, () => resolve());
    });
    const a = server.address() as AddressInfo;
    this.address = `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
    this.server = server;
  }

  async stop(): Promise<void> {
    this.dropWatches();
    const server = this.server;
    this.server = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Fault knob: ends every open watch now (clients see a clean end of stream). */
  dropWatches(): number {
    const n = this.watches.size;
    for (const end of [...this.watches]) end();
    return n;
  }

  /** Fault knob: forgets the change history and drops the watches, so every resume gets 410 Gone. */
  expireWatches(): void {
    this.store.compactHistory();
    this.dropWatches();
  }

  /** Fault knob: the next `count` non-watch requests answer `status`. */
  failNext(count: number, status = 500): void {
    this.failures = { count, status };
  }

  private record(req: IncomingMessage, status: number): void {
    this.log.push({ at: Date.now(), method: req.method ?? '', path: req.url ?? '', status, userAgent: String(req.headers['user-agent'] ?? '') });
    if (this.log.length > 2000) this.log.splice(0, this.log.length - 2000);
  }

  private send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
    this.record(req, status);
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-cache, private' });
    res.end(text);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    try {
      const body = await readBody(req);
      const isWatch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
      if (!isWatch) {
        if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
        if (this.failures.count > 0 && !isDiscovery(url.pathname)) {
          this.failures.count--;
          throw new ApiError(this.failures.status, 'InternalError', 'injected failure');
        }
      }
      const answer = this.route(req, url, body, res, isWatch);
      if (answer !== undefined) this.send(req, res, answer.status, answer.body);
    } catch (error) {
      const e = error instanceof ApiError ? error : error instanceof SelectorError ? badRequest(error.message) : new ApiError(500, 'InternalError', error instanceof Error ? error.message : String(error));
      if (!res.headersSent) this.send(req, res, e.status, e.toStatus());
      else res.end();
    }
  }

  /** Returns the answer, or undefined when the response is streamed (watch). */
  private route(req: IncomingMessage, url: URL, rawBody: Buffer, res: ServerResponse, isWatch: boolean): { status: number; body: unknown } | undefined {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    const types = this.store.allTypes();
    if (method === 'GET') {
      if (path === '/version') return { status: 200, body: KUBE_VERSION };
      if (path === '/healthz' || path === '/livez' || path === '/readyz') return { status: 200, body: 'ok' };
      if (path === '/api') return { status: 200, body: coreVersions(this.address) };
      if (path === '/apis') return { status: 200, body: groupList(types) };
      if (path === '/api/v1') return { status: 200, body: resourceList(types, '', 'v1') };
      const g = /^\/apis\/([^/]+)$/.exec(path);
      if (g) {
        const doc = group(types, g[1]!);
        if (doc === null) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
        return { status: 200, body: doc };
      }
      if (path === '/openapi/v3') return { status: 200, body: openApiRoot(types) };
      if (path.startsWith('/openapi/v3/')) {
        const doc = openApiGroupVersion(types, path.slice('/openapi/v3/'.length));
        if (doc === null) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
        return { status: 200, body: doc };
      }
      const gv = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
      if (gv) {
        const doc = resourceList(types, gv[1]!, gv[2]!);
        if (doc === null) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
        return { status: 200, body: doc };
      }
    }
    const target = this.parseTarget(path);
    if (target === null) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const { type, namespace, name, sub } = target;
    const q = url.searchParams;
    const dryRun = q.get('dryRun') === 'All';
    const ns = namespace ?? '';

    if (name === null) {
      switch (method) {
        case 'GET': {
          const label = parseLabelSelector(q.get('labelSelector'));
          const field = parseFieldSelector(q.get('fieldSelector'));
          if (isWatch) {
            this.watch(req, res, type, namespace, q, label, field);
            return undefined;
          }
          const list = this.store.list(type, namespace, label, field);
          if (wantsTable(req)) return { status: 200, body: toTable(type, list.items, list.resourceVersion, this.crdOf(type)) };
          return { status: 200, body: { kind: `${type.kind}List`, apiVersion: type.group === '' ? type.version : `${type.group}/${type.version}`, metadata: { resourceVersion: list.resourceVersion }, items: list.items } };
        }
        case 'POST':
          return { status: 201, body: this.store.create(type, ns, parseBody(req, rawBody), dryRun) };
        case 'DELETE': {
          const label = parseLabelSelector(q.get('labelSelector'));
          const field = parseFieldSelector(q.get('fieldSelector'));
          const items = this.store.list(type, namespace, label, field).items;
          for (const o of items) this.store.delete(type, String((o['metadata'] as Obj)['namespace'] ?? ''), String((o['metadata'] as Obj)['name']), deleteOptions(q, rawBody, req), dryRun);
          return { status: 200, body: { kind: `${type.kind}List`, apiVersion: 'v1', metadata: {}, items } };
        }
        default:
          throw new ApiError(405, 'MethodNotAllowed', `${method} is not supported on a collection`);
      }
    }
    if (sub === 'eviction') {
      if (method !== 'POST') throw new ApiError(405, 'MethodNotAllowed', 'only POST on pods/eviction');
      this.store.delete(type, ns, name, deleteOptionsFrom(isObj(parseBody(req, rawBody)) ? (parseBody(req, rawBody) as Obj)['deleteOptions'] : undefined));
      return { status: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
    }
    switch (method) {
      case 'GET': {
        const o = this.store.get(type, ns, name, sub);
        if (wantsTable(req) && sub === null) return { status: 200, body: toTable(type, [o], String((o['metadata'] as Obj)['resourceVersion']), this.crdOf(type)) };
        return { status: 200, body: o };
      }
      case 'PUT':
        return { status: 200, body: this.store.update(type, ns, name, parseBody(req, rawBody), sub, dryRun) };
      case 'PATCH': {
        const contentType = String(req.headers['content-type'] ?? '').split(';')[0]!.trim();
        const existed = this.store.tryGet(type, ns, name) !== null;
        const result = this.store.patch(type, ns, name, contentType, parseBody(req, rawBody), sub, dryRun);
        return { status: contentType === APPLY_PATCH && !existed ? 201 : 200, body: result };
      }
      case 'DELETE': {
        const o = this.store.delete(type, ns, name, deleteOptions(q, rawBody, req), dryRun);
        return { status: 200, body: this.store.tryGet(type, ns, name) ?? o };
      }
      default:
        throw new ApiError(405, 'MethodNotAllowed', `${method} is not supported`);
    }
  }

  private crdOf(type: ResourceType): Obj | null {
    const crdType = this.store.typeFor('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
    return this.store.tryGet(crdType, '', groupResource(type));
  }

  private parseTarget(path: string): Target | null {
    let m = /^\/api\/v1\/(.*)$/.exec(path);
    let groupName = '';
    let version = 'v1';
    let rest: string;
    if (m) rest = m[1]!;
    else {
      m = /^\/apis\/([^/]+)\/([^/]+)\/(.*)$/.exec(path);
      if (!m) return null;
      groupName = m[1]!;
      version = m[2]!;
      rest = m[3]!;
    }
    const parts = rest.split('/').map(decodeURIComponent);
    const typeOf = (resource: string): ResourceType | undefined => this.store.typeFor(groupName, version, resource);
    let namespace: string | null = null;
    if (parts[0] === 'namespaces' && parts.length >= 3 && typeOf(parts[2]!)?.namespaced === true) {
      namespace = parts[1]!;
      parts.splice(0, 2);
    }
    const type = typeOf(parts[0]!);
    if (type === undefined || parts.length > 3) return null;
    if (namespace === null && type.namespaced && parts.length > 1) return null;
    const name = parts[1] ?? null;
    const subName = parts[2] ?? null;
    let sub: Target['sub'] = null;
    if (subName === 'status' && type.status) sub = 'status';
    else if (subName === 'scale' && type.scale !== null) sub = 'scale';
    else if (subName === 'eviction' && type.kind === 'Pod' && type.group === '') sub = 'eviction';
    else if (subName !== null) return null;
    return { type, namespace, name, sub };
  }

  private watch(req: IncomingMessage, res: ServerResponse, type: ResourceType, namespace: string | null, q: URLSearchParams, label: ReturnType<typeof parseLabelSelector>, field: ReturnType<typeof parseFieldSelector>): void {
    const rv = q.get('resourceVersion') ?? '';
    const timeoutSeconds = Number(q.get('timeoutSeconds') ?? '');
    const min = this.opts.watchTimeoutMs ?? 120_000;
    const timeoutMs = Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? timeoutSeconds * 1000 : min + Math.floor(Math.random() * min);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache, private' });
    this.record(req, 200);
    res.flushHeaders();
    const write = (ev: WatchEvent): void => {
      if (!res.writableEnded) res.write(`${JSON.stringify(ev)}\n`);
    };
    let unsubscribe: (() => void) | null = null;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      clearInterval(bookmarks);
      unsubscribe?.();
      this.watches.delete(end);
      res.end();
    };
    const timer = setTimeout(end, timeoutMs);
    const bookmarks = setInterval(() => {
      if (q.get('allowWatchBookmarks') === 'true') write({ type: 'BOOKMARK', object: { kind: type.kind, apiVersion: type.group === '' ? type.version : `${type.group}/${type.version}`, metadata: { resourceVersion: this.store.resourceVersion } } });
    }, this.opts.bookmarkEveryMs ?? 15_000);
    this.watches.add(end);
    req.socket.once('close', end);
    try {
      unsubscribe = this.store.watch(type, namespace, rv, label, field, write);
    } catch (error) {
      // As the real server: 200, then one ERROR event with the Status, then the end of the stream.
      const e = error instanceof ApiError ? error : new ApiError(500, 'InternalError', String(error));
      if (e.status === 410) this.goneAnswers++;
      write({ type: 'ERROR', object: e.toStatus() });
      end();
    }
  }
}

function isDiscovery(path: string): boolean {
  return path === '/version' || path === '/api' || path === '/apis' || /^\/apis?\/[^/]+(\/[^/]+)?$/.test(path) || path.startsWith('/openapi');
}

function wantsTable(req: IncomingMessage): boolean {
  return /as=Table/.test(String(req.headers['accept'] ?? ''));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseBody(req: IncomingMessage, raw: Buffer): unknown {
  if (raw.length === 0) return {};
  const text = raw.toString('utf8');
  const type = String(req.headers['content-type'] ?? '');
  if (type.startsWith(PROTOBUF)) return decodeProtobuf(raw);
  try {
    return type.includes('yaml') ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw badRequest(`cannot parse the body: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function deleteOptionsFrom(v: unknown): DeleteOptions {
  if (!isObj(v)) return {};
  const pre = isObj(v['preconditions']) ? v['preconditions'] : {};
  return {
    ...(typeof v['gracePeriodSeconds'] === 'number' ? { gracePeriodSeconds: v['gracePeriodSeconds'] } : {}),
    ...(typeof v['propagationPolicy'] === 'string' ? { propagationPolicy: v['propagationPolicy'] } : {}),
    preconditions: {
      ...(typeof pre['uid'] === 'string' ? { uid: pre['uid'] } : {}),
      ...(typeof pre['resourceVersion'] === 'string' ? { resourceVersion: pre['resourceVersion'] } : {}),
    },
  };
}

function deleteOptions(q: URLSearchParams, raw: Buffer, req: IncomingMessage): DeleteOptions {
  const fromBody = raw.length > 0 ? deleteOptionsFrom(parseBody(req, raw)) : {};
  const grace = q.get('gracePeriodSeconds');
  const policy = q.get('propagationPolicy');
  return {
    ...fromBody,
    ...(grace !== null && grace !== '' ? { gracePeriodSeconds: Number(grace) } : {}),
    ...(policy !== null && policy !== '' ? { propagationPolicy: policy } : {}),
  };
}
