// Real Raft3D node processes (`node dist/main.js`) on loopback, for
// integration tests. Every process started here is ended by its PID in stop();
// every wait is bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, createWriteStream, type WriteStream, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const mainJs = join(repoRoot, 'dist', 'main.js');

export interface NodeHandle {
  readonly id: string;
  readonly http: string;
  readonly raft: string;
  readonly dataDir: string;
  readonly logPath: string;
  proc: ChildProcess | null;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Headers;
}

export interface ClusterOptions {
  /** Raft tick in ms (short in tests). */
  readonly tickMs?: number;
  readonly electionTicks?: number;
  readonly snapshotThreshold?: number;
  readonly snapshotTrailing?: number;
  readonly requestTimeoutMs?: number;
  readonly extraEnv?: Record<string, string>;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') return reject(new Error('no port'));
      srv.close(() => resolvePort(addr.port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns a non-undefined value, or throws after timeoutMs. */
export async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (error) {
      last = error;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

export class ProcessCluster {
  readonly nodes = new Map<string, NodeHandle>();
  private readonly root: string;
  private readonly logs = new Map<string, WriteStream>();

  constructor(private readonly opts: ClusterOptions = {}) {
    if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: run \`npm run build\` first (npm test does)`);
    this.root = mkdtempSync(join(tmpdir(), 'raft3d-it-'));
  }

  get dataRoot(): string {
    return this.root;
  }

  async addNode(id: string): Promise<NodeHandle> {
    const handle: NodeHandle = {
      id,
      http: `127.0.0.1:${await freePort()}`,
      raft: `127.0.0.1:${await freePort()}`,
      dataDir: join(this.root, id),
      logPath: join(this.root, `${id}.log`),
      proc: null,
    };
    this.nodes.set(id, handle);
    return handle;
  }

  /** Starts (or restarts) a node process with the original's flags. */
  start(id: string, flags: readonly string[] = []): NodeHandle {
    const n = this.node(id);
    if (n.proc) throw new Error(`${id} is already running`);
    const o = this.opts;
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      RAFT3D_TICK_MS: String(o.tickMs ?? 25),
      RAFT3D_ELECTION_TICKS: String(o.electionTicks ?? 10),
      RAFT3D_SNAPSHOT_THRESHOLD: String(o.snapshotThreshold ?? 10_000),
      RAFT3D_SNAPSHOT_TRAILING: String(o.snapshotTrailing ?? 5_000),
      RAFT3D_REQUEST_TIMEOUT_MS: String(o.requestTimeoutMs ?? 3000),
      RAFT3D_LOG_LEVEL: 'info',
      ...(o.extraEnv ?? {}),
    };
    delete env['NODE_OPTIONS'];
    const proc = spawn(process.execPath, [mainJs, `-id=${id}`, `-http=${n.http}`, `-raft=${n.raft}`, `-data=${n.dataDir}`, ...flags], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = this.logs.get(id);
    if (!log) {
      log = createWriteStream(n.logPath, { flags: 'a' });
      this.logs.set(id, log);
    }
    proc.stdout?.pipe(log, { end: false });
    proc.stderr?.pipe(log, { end: false });
    proc.on('exit', () => {
      if (n.proc === proc) n.proc = null;
    });
    n.proc = proc;
    return n;
  }

  /** Sends a signal to the node's PID and waits (bounded) for it to exit. */
  async kill(id: string, signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 10_000): Promise<void> {
    const n = this.node(id);
    const proc = n.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) {
      n.proc = null;
      return;
    }
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    process.kill(proc.pid!, signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      process.kill(proc.pid!, 'SIGKILL');
      await exited;
    }
    n.proc = null;
  }

  isRunning(id: string): boolean {
    return this.node(id).proc !== null;
  }

  node(id: string): NodeHandle {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`unknown node ${id}`);
    return n;
  }

  async request(id: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<HttpAnswer> {
    const n = this.node(id);
    const init: RequestInit = { method, headers: { ...headers }, signal: AbortSignal.timeout(timeoutMs) };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const res = await fetch(`http://${n.http}${path}`, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  async status(id: string): Promise<ClusterStatus> {
    const r = await this.request(id, 'GET', '/cluster/status', undefined, {}, 2000);
    if (r.status !== 200) throw new Error(`status of ${id}: ${r.status}`);
    return r.body as ClusterStatus;
  }

  /** Waits until every running node agrees on one leader; returns its id. */
  async waitForLeader(timeoutMs = 15_000, among: readonly string[] = this.running()): Promise<string> {
    return eventually('a leader known by every running node', timeoutMs, async () => {
      const views = await Promise.all(among.map((id) => this.status(id)));
      const leader = views[0]?.leader_id;
      if (!leader || !among.includes(leader)) return undefined;
      if (!views.every((v) => v.leader_id === leader)) return undefined;
      const leaderView = views.find((v) => v.id === leader);
      return leaderView?.role === 'leader' ? leader : undefined;
    });
  }

  /** Waits until every listed node applied at least the leader's commit index. */
  async waitConverged(ids: readonly string[] = this.running(), timeoutMs = 20_000): Promise<number> {
    return eventually(`nodes ${ids.join(',')} to apply the same index`, timeoutMs, async () => {
      const views = await Promise.all(ids.map((id) => this.status(id)));
      const leader = views.find((v) => v.role === 'leader');
      if (!leader) return undefined;
      const target = leader.commit_index;
      return views.every((v) => v.applied_index >= target && v.commit_index >= target) ? target : undefined;
    });
  }

  running(): string[] {
    return [...this.nodes.values()].filter((n) => n.proc !== null).map((n) => n.id);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.nodes.keys()].map((id) => this.kill(id, 'SIGKILL', 5000)));
    for (const log of this.logs.values()) log.end();
  }

  /** Removes the data unless the test failed (then the logs are kept for a human). */
  cleanup(keep: boolean): void {
    if (keep) process.stderr.write(`keeping node data and logs in ${this.root}\n`);
    else rmSync(this.root, { recursive: true, force: true });
  }
}

export interface ClusterStatus {
  id: string;
  cluster_id: string;
  role: string;
  term: number;
  leader_id: string | null;
  leader_http_address: string | null;
  commit_index: number;
  applied_index: number;
  snapshot_index: number;
  last_log_index: number;
  members: { id: string; role: string; http_address: string; raft_address: string }[];
}
