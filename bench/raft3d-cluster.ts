// A local 3-node Raft3D cluster of release-build processes (`node dist/main.js`)
// with default settings: node1 bootstraps, node2 and node3 join it, as
// `npm run cluster` does, but on free ports and in a temporary data directory.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchCluster, Member, Progress } from './cluster.js';
import { call, intField, isRecord, jsonOf } from './http.js';
import { ManagedProcess, freePorts, sleep } from './processes.js';

interface Raft3dMember extends Member {
  readonly http: string;
  readonly raft: string;
  readonly dataDir: string;
  readonly proc: ManagedProcess;
}

interface StatusView {
  readonly id: string;
  readonly role: string;
  readonly leader: string;
  readonly voters: number;
  readonly applied: number;
  readonly commit: number;
}

export class Raft3dCluster implements BenchCluster {
  readonly label = 'Raft3D';
  private nodes: Raft3dMember[] = [];
  private root = '';

  constructor(
    private readonly mainJs: string,
    private readonly dataParent: string,
    private readonly keepData: boolean,
    private readonly nodeArgs: readonly string[] = [],
    /** Settings for experiments (RAFT3D_*=...); the benchmark itself runs defaults. */
    private readonly extraEnv: Readonly<Record<string, string>> = {},
  ) {
    if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: run \`npm run build\` first`);
  }

  get members(): readonly Member[] {
    return this.nodes;
  }

  get dataRoot(): string {
    return this.root;
  }

  async start(): Promise<void> {
    this.root = mkdtempSync(join(this.dataParent, 'raft3d-bench-'));
    const ports = await freePorts(6);
    this.nodes = [0, 1, 2].map((i) => {
      const name = `node${i + 1}`;
      const http = `127.0.0.1:${ports[2 * i]!}`;
      return {
        name,
        url: `http://${http}`,
        http,
        raft: `127.0.0.1:${ports[2 * i + 1]!}`,
        dataDir: join(this.root, name),
        proc: new ManagedProcess(name, process.execPath, join(this.root, `${name}.log`)),
      };
    });
    const [first, ...rest] = this.nodes;
    this.spawn(first!, ['-bootstrap']);
    await this.until('node1 to lead the new cluster', 30_000, async () => (await this.status(first!))?.role === 'leader');
    for (const n of rest) this.spawn(n, [`-join=${first!.http}`]);
    await this.until('3 voters', 60_000, async () => (await this.status(first!))?.voters === 3);
    await this.waitHealthy(30_000);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.proc.stop(10_000)));
    if (!this.keepData && this.root !== '') rmSync(this.root, { recursive: true, force: true });
  }

  async waitHealthy(timeoutMs: number): Promise<string> {
    let leader = '';
    await this.until('a leader known by every running node', timeoutMs, async () => {
      const running = this.nodes.filter((n) => n.proc.running);
      const views = await Promise.all(running.map((n) => this.status(n)));
      const l = views[0]?.leader ?? '';
      if (l === '' || !running.some((n) => n.name === l)) return false;
      if (!views.every((v) => v !== undefined && v.leader === l)) return false;
      if (views.find((v) => v?.id === l)?.role !== 'leader') return false;
      leader = l;
      return true;
    });
    return leader;
  }

  signal(name: string, signal: NodeJS.Signals): void {
    this.node(name).proc.signal(signal);
  }

  waitExit(name: string, timeoutMs: number): Promise<void> {
    return this.node(name).proc.waitExit(timeoutMs);
  }

  restart(name: string): number {
    const n = this.node(name);
    this.spawn(n, []);
    return n.proc.startedAt;
  }

  async progress(name: string): Promise<Progress | undefined> {
    const s = await this.status(this.node(name));
    return s === undefined ? undefined : { applied: s.applied, commit: s.commit, isLeader: s.role === 'leader' };
  }

  async isReady(name: string): Promise<boolean> {
    try {
      return (await call(`${this.node(name).url}/health/ready`, 'GET', undefined, 1000)).status === 200;
    } catch {
      return false;
    }
  }

  rssBytes(name: string): number | undefined {
    return this.node(name).proc.rssBytes();
  }

  private spawn(n: Raft3dMember, extra: readonly string[]): void {
    // Default settings: nothing of the caller's RAFT3D_* or NODE_OPTIONS reaches the nodes.
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (!k.startsWith('RAFT3D_') && k !== 'NODE_OPTIONS') env[k] = v;
    }
    Object.assign(env, this.extraEnv);
    n.proc.start([...this.nodeArgs, this.mainJs, `-id=${n.name}`, `-http=${n.http}`, `-raft=${n.raft}`, `-data=${n.dataDir}`, ...extra], env);
  }

  private node(name: string): Raft3dMember {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  private async status(n: Raft3dMember): Promise<StatusView | undefined> {
    const body = await jsonOf(`${n.url}/cluster/status`, 'GET', undefined, 1000);
    if (!isRecord(body)) return undefined;
    const members = Array.isArray(body['members']) ? body['members'] : [];
    return {
      id: String(body['id']),
      role: String(body['role']),
      leader: typeof body['leader_id'] === 'string' ? body['leader_id'] : '',
      voters: members.filter((m) => isRecord(m) && m['role'] === 'voter').length,
      applied: intField(body, 'applied_index') ?? 0,
      commit: intField(body, 'commit_index') ?? 0,
    };
  }

  private async until(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (await probe()) return;
      await sleep(20);
    }
    throw new Error(`Raft3D: timed out after ${timeoutMs} ms waiting for ${what} (logs in ${this.root})`);
  }
}
