// A 3-member etcd cluster on 127.0.0.1 (Debian's etcd-server 3.4), started the
// way ../shared/bench/etcd-baseline/etcd-cluster.sh does it, at etcd's default
// timing (100 ms heartbeat, 1 s election timeout) unless told otherwise.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchCluster, Member, Progress } from './cluster.js';
import { call, intField, isRecord, jsonOf } from './http.js';
import { ManagedProcess, freePorts, sleep } from './processes.js';

interface EtcdMember extends Member {
  readonly peerUrl: string;
  readonly dataDir: string;
  readonly proc: ManagedProcess;
}

interface EtcdStatus {
  readonly memberId: string;
  readonly leaderId: string;
  readonly applied: number;
  readonly commit: number;
}

/** The etcd binary and its version, or null when etcd is not installed. */
export function findEtcd(): { bin: string; version: string } | null {
  const candidates = [process.env['ETCD_BIN'], '/usr/bin/etcd', '/usr/local/bin/etcd'].filter((x): x is string => !!x);
  for (const bin of candidates) {
    if (!existsSync(bin)) continue;
    try {
      const out = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 5000 });
      const m = /etcd Version:\s*(\S+)/.exec(out);
      return { bin, version: m?.[1] ?? 'unknown' };
    } catch {
      continue;
    }
  }
  return null;
}

export class EtcdCluster implements BenchCluster {
  readonly label: string;
  private nodes: EtcdMember[] = [];
  private root = '';

  constructor(
    private readonly bin: string,
    version: string,
    private readonly dataParent: string,
    private readonly keepData: boolean,
    private readonly heartbeatMs = 100,
    private readonly electionMs = 1000,
  ) {
    this.label = `etcd ${version}`;
  }

  get members(): readonly Member[] {
    return this.nodes;
  }

  async start(): Promise<void> {
    this.root = mkdtempSync(join(this.dataParent, 'etcd-bench-'));
    const ports = await freePorts(6);
    this.nodes = [0, 1, 2].map((i) => {
      const name = `m${i + 1}`;
      return {
        name,
        url: `http://127.0.0.1:${ports[2 * i]!}`,
        peerUrl: `http://127.0.0.1:${ports[2 * i + 1]!}`,
        dataDir: join(this.root, name),
        proc: new ManagedProcess(name, this.bin, join(this.root, `${name}.stdout`)),
      };
    });
    for (const n of this.nodes) this.spawn(n, 'new');
    await this.waitHealthy(30_000);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.proc.stop(10_000)));
    if (!this.keepData && this.root !== '') rmSync(this.root, { recursive: true, force: true });
  }

  async waitHealthy(timeoutMs: number): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      const running = this.nodes.filter((n) => n.proc.running);
      const views = await Promise.all(running.map((n) => this.status(n)));
      const leaderId = views[0]?.leaderId ?? '0';
      if (leaderId !== '0' && views.every((v) => v !== undefined && v.leaderId === leaderId)) {
        const i = views.findIndex((v) => v?.memberId === leaderId);
        if (i >= 0) return running[i]!.name;
      }
      await sleep(20);
    }
    throw new Error(`etcd: no leader agreed by every running member within ${timeoutMs} ms (logs in ${this.root})`);
  }

  signal(name: string, signal: NodeJS.Signals): void {
    this.node(name).proc.signal(signal);
  }

  waitExit(name: string, timeoutMs: number): Promise<void> {
    return this.node(name).proc.waitExit(timeoutMs);
  }

  restart(name: string): number {
    const n = this.node(name);
    this.spawn(n, 'existing');
    return n.proc.startedAt;
  }

  async progress(name: string): Promise<Progress | undefined> {
    const s = await this.status(this.node(name));
    return s === undefined ? undefined : { applied: s.applied, commit: s.commit, isLeader: s.memberId === s.leaderId };
  }

  async isReady(name: string): Promise<boolean> {
    try {
      const a = await call(`${this.node(name).url}/health`, 'GET', undefined, 1000);
      return a.status === 200 && a.text.includes('"true"');
    } catch {
      return false;
    }
  }

  rssBytes(name: string): number | undefined {
    return this.node(name).proc.rssBytes();
  }

  private spawn(n: EtcdMember, state: 'new' | 'existing'): void {
    const cluster = this.nodes.map((m) => `${m.name}=${m.peerUrl}`).join(',');
    n.proc.start(
      [
        '--name', n.name,
        '--data-dir', n.dataDir,
        '--listen-client-urls', n.url,
        '--advertise-client-urls', n.url,
        '--listen-peer-urls', n.peerUrl,
        '--initial-advertise-peer-urls', n.peerUrl,
        '--initial-cluster', cluster,
        '--initial-cluster-token', `bench-${process.pid}`,
        '--initial-cluster-state', state,
        '--heartbeat-interval', String(this.heartbeatMs),
        '--election-timeout', String(this.electionMs),
        '--logger', 'zap',
        '--log-level', 'warn',
        '--log-outputs', join(this.root, `${n.name}.log`),
      ],
      { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    );
  }

  private node(name: string): EtcdMember {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no member ${name}`);
    return n;
  }

  private async status(n: EtcdMember): Promise<EtcdStatus | undefined> {
    const body = await jsonOf(`${n.url}/v3/maintenance/status`, 'POST', '{}', 1000);
    if (!isRecord(body) || !isRecord(body['header'])) return undefined;
    const memberId = body['header']['member_id'];
    if (typeof memberId !== 'string') return undefined;
    return {
      memberId,
      leaderId: typeof body['leader'] === 'string' ? body['leader'] : '0',
      applied: intField(body, 'raftAppliedIndex') ?? 0,
      commit: intField(body, 'raftIndex') ?? 0,
    };
  }
}
