// Raft3D installed from the chart into a cluster in a box, with what the
// scenarios need: waits on the custom resource and the pods, each pod's view of
// the Raft cluster (/cluster/status over its pod IP), a monitor that checks the
// safety invariants all along (one cluster id, at most one leader per term,
// configurations that change one member at a time), and diagnostics for failures.
import { at, arr, isObj, num, str, type Obj } from './api/json.js';
import { Box, type BoxOptions } from './box.js';

export const NAMESPACE = 'raft3d';
export const RELEASE = 'demo';
export const HTTP_PORT = 8001;

export interface InstallOptions {
  readonly replicas: number;
  /** Extra `helm --set` values. */
  readonly set?: Readonly<Record<string, string | number | boolean>>;
  readonly box?: Partial<Omit<BoxOptions, 'repoRoot'>>;
}

export interface PodView {
  readonly pod: string;
  readonly ip: string;
  readonly status: Obj | null;
}

export interface MemberView {
  readonly id: string;
  readonly role: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== null && v !== undefined && v !== false) return v;
    } catch (error) {
      last = error;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last !== null ? ` (last error: ${String(last)})` : ''}`);
}

export class SafetyMonitor {
  readonly violations: string[] = [];
  readonly clusterIds = new Set<string>();
  /** Distinct configurations the leaders reported, in order: "a:voter,b:learner". */
  readonly configurations: string[] = [];
  readonly leadersByTerm = new Map<number, string>();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private leaderlessSince: number | null = null;
  /** Longest stretch (ms) in which no pod reported itself leader, since the last reset. */
  longestLeaderlessMs = 0;

  constructor(private readonly r3d: Raft3DBox) {}

  start(everyMs = 400): void {
    this.timer = setInterval(() => void this.sample(), everyMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const views = await this.r3d.views();
      const now = Date.now();
      if (views.some((v) => v.status?.['role'] === 'leader')) this.leaderlessSince = null;
      else {
        this.leaderlessSince ??= now;
        this.longestLeaderlessMs = Math.max(this.longestLeaderlessMs, now - this.leaderlessSince);
      }
      for (const v of views) {
        const s = v.status;
        if (s === null) continue;
        const cid = str(s['cluster_id']) ?? '';
        if (cid !== '') {
          this.clusterIds.add(cid);
          if (this.clusterIds.size > 1) this.note(`more than one cluster id: ${[...this.clusterIds].join(', ')} (${v.pod})`);
        }
        if (s['role'] !== 'leader') continue;
        const term = num(s['term']) ?? -1;
        const known = this.leadersByTerm.get(term);
        if (known !== undefined && known !== v.pod) this.note(`two leaders in term ${term}: ${known} and ${v.pod}`);
        this.leadersByTerm.set(term, v.pod);
        const config = arr(s['members'])
          .filter(isObj)
          .map((m) => `${String(m['id'])}:${String(m['role'])}`)
          .sort()
          .join(',');
        if (this.configurations[this.configurations.length - 1] !== config) {
          const prev = this.configurations[this.configurations.length - 1];
          if (prev !== undefined && !oneStepApart(prev, config)) this.note(`configuration changed by more than one step: ${prev} → ${config}`);
          this.configurations.push(config);
        }
      }
    } finally {
      this.busy = false;
    }
  }

  resetLeaderless(): void {
    this.longestLeaderlessMs = 0;
    this.leaderlessSince = null;
  }

  private note(v: string): void {
    if (!this.violations.includes(v)) this.violations.push(v);
  }
}

/** One member added (as a learner), promoted, removed or re-incarnated: never two at once. */
export function oneStepApart(a: string, b: string): boolean {
  const parse = (s: string): Map<string, string> => new Map(s.split(',').filter((x) => x !== '').map((x) => x.split(':') as [string, string]));
  const x = parse(a);
  const y = parse(b);
  let changes = 0;
  for (const [id, role] of x) if (y.get(id) !== role) changes++;
  for (const id of y.keys()) if (!x.has(id)) changes++;
  return changes <= 1;
}

export class Raft3DBox {
  readonly box: Box;
  readonly monitor: SafetyMonitor;

  constructor(repoRoot: string, boxOptions: Partial<Omit<BoxOptions, 'repoRoot'>> = {}) {
    this.box = new Box({ repoRoot, monitoringCrds: true, ...boxOptions });
    this.monitor = new SafetyMonitor(this);
  }

  /** Starts the box, `helm install`s the chart with the Ingress on, and waits for `replicas` voters. */
  static async install(repoRoot: string, opts: InstallOptions, timeoutMs = 150_000): Promise<Raft3DBox> {
    const r = new Raft3DBox(repoRoot, opts.box ?? {});
    try {
      await r.box.start();
      const sets = { 'ingress.enabled': true, 'cluster.replicas': opts.replicas, ...(opts.set ?? {}) };
      const args = ['install', RELEASE, `${repoRoot}/charts/raft3d`, '-n', NAMESPACE, '--create-namespace'];
      for (const [k, v] of Object.entries(sets)) args.push('--set', `${k}=${String(v)}`);
      const helm = await r.box.helm(args);
      if (helm.code !== 0) throw new Error(`helm install failed: ${helm.stderr}`);
      r.monitor.start();
      await r.waitConverged(opts.replicas, timeoutMs);
      return r;
    } catch (error) {
      const diag = r.diagnostics();
      await r.stop();
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${diag}`);
    }
  }

  async stop(): Promise<void> {
    this.monitor.stop();
    await this.box.stop();
  }

  cr(): Obj | null {
    return this.box.get('raft3d.io/v1alpha1', 'Raft3DCluster', NAMESPACE, RELEASE);
  }

  serverPods(): Obj[] {
    return this.box.list('v1', 'Pod', NAMESPACE, (p) => at(p, 'metadata', 'labels', 'app.kubernetes.io/component') === 'server');
  }

  pod(name: string): Obj | null {
    return this.box.get('v1', 'Pod', NAMESPACE, name);
  }

  podIp(name: string): string | null {
    return str(at(this.pod(name), 'status', 'podIP')) ?? null;
  }

  isReady(pod: Obj | null): boolean {
    return pod !== null && at(pod, 'metadata', 'deletionTimestamp') === undefined && arr(at(pod, 'status', 'conditions')).some((c) => isObj(c) && c['type'] === 'Ready' && c['status'] === 'True');
  }

  async status(ip: string, timeoutMs = 1500): Promise<Obj | null> {
    try {
      const res = await fetch(`http://${ip}:${HTTP_PORT}/cluster/status`, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) return null;
      const body: unknown = await res.json();
      return isObj(body) ? body : null;
    } catch {
      return null;
    }
  }

  /** /cluster/status of every server pod that has an IP (null where it did not answer). */
  async views(): Promise<PodView[]> {
    const pods = this.serverPods().filter((p) => typeof at(p, 'status', 'podIP') === 'string');
    return Promise.all(
      pods.map(async (p) => {
        const ip = str(at(p, 'status', 'podIP'))!;
        return { pod: str(at(p, 'metadata', 'name'))!, ip, status: await this.status(ip) };
      }),
    );
  }

  /** The leader as the pods report it: a pod whose own status says leader. */
  async leader(): Promise<{ pod: string; status: Obj } | null> {
    for (const v of await this.views()) if (v.status !== null && v.status['role'] === 'leader') return { pod: v.pod, status: v.status };
    return null;
  }

  async members(): Promise<MemberView[] | null> {
    const l = await this.leader();
    if (l === null) return null;
    return arr(l.status['members']).filter(isObj).map((m) => ({ id: String(m['id']), role: String(m['role']) }));
  }

  /** `n` ready pods <release>-0..n-1, exactly those n as voters with a leader, and no other member. */
  async converged(n: number): Promise<boolean> {
    const pods = this.serverPods();
    const names = Array.from({ length: n }, (_, i) => `${RELEASE}-${i}`);
    if (pods.length !== n || !names.every((name) => this.isReady(pods.find((p) => at(p, 'metadata', 'name') === name) ?? null))) return false;
    const members = await this.members();
    if (members === null || members.length !== n) return false;
    return names.every((name) => members.some((m) => m.id === name && m.role === 'voter'));
  }

  async waitConverged(n: number, timeoutMs: number): Promise<void> {
    await waitFor(`${n} ready voters`, timeoutMs, () => this.converged(n), 1000);
  }

  kubectl(...args: string[]): ReturnType<Box['kubectl']> {
    return this.box.kubectl(['-n', NAMESPACE, ...args]);
  }

  diagnostics(): string {
    const lines: string[] = ['--- box diagnostics'];
    const cr = this.cr();
    lines.push(`CR status: ${JSON.stringify(cr?.['status'] ?? null)}`);
    for (const p of this.box.list('v1', 'Pod', NAMESPACE)) {
      const cs = arr(at(p, 'status', 'containerStatuses')).filter(isObj)[0];
      lines.push(`pod ${String(at(p, 'metadata', 'name'))} ${String(at(p, 'status', 'phase'))} ip=${String(at(p, 'status', 'podIP'))} ready=${this.isReady(p)} restarts=${String(cs?.['restartCount'] ?? 0)} state=${JSON.stringify(cs?.['state'] ?? {})}${at(p, 'metadata', 'deletionTimestamp') !== undefined ? ' TERMINATING' : ''}`);
    }
    const events = this.box.list('v1', 'Event', NAMESPACE).slice(-25);
    for (const e of events) lines.push(`event ${String(at(e, 'involvedObject', 'name'))} ${String(e['reason'])}: ${String(e['message'])}`);
    lines.push(`monitor: ids=${[...this.monitor.clusterIds].join(',')} violations=${JSON.stringify(this.monitor.violations)}`);
    lines.push(`configurations: ${this.monitor.configurations.join(' | ')}`);
    const operator = this.box.list('v1', 'Pod', NAMESPACE).find((p) => String(at(p, 'metadata', 'name')).includes('operator'));
    if (operator !== undefined) lines.push(`operator log:\n${this.box.podLogs(NAMESPACE, String(at(operator, 'metadata', 'name')), 3000)}`);
    return lines.join('\n');
  }
}
