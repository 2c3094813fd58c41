// Three real Raft3D processes whose peer links all pass through a ProxyMesh:
// each node listens for peers on its own loopback IP, dials from it, and
// advertises the mesh listener in front of it, so every directed link can be
// cut, slowed or made lossy on its own.
import { ProxyMesh, nodeLoopbackIp } from '../proxy-mesh.js';
import { eventually, freePort, ProcessCluster, type ClusterOptions, type ClusterStatus } from '../process-cluster.js';

export interface ChaosClusterOptions extends ClusterOptions {
  /** Seed of the mesh's drop and jitter decisions. */
  readonly seed: number;
  readonly ids?: readonly string[];
}

export class ChaosCluster {
  readonly ids: readonly string[];
  private readonly listenOf = new Map<string, string>();
  private readonly paused = new Set<string>();
  /** Nodes being ended on purpose: their exit is expected. */
  private readonly killing = new Set<string>();
  /** Processes that ended although nobody killed them (a crash or a fail-stop): the healer restarts them, the test must not forget them. */
  readonly unexpectedExits: { id: string; at: number; code: number | null; signal: NodeJS.Signals | null }[] = [];

  private constructor(
    readonly processes: ProcessCluster,
    readonly mesh: ProxyMesh,
    ids: readonly string[],
    listen: ReadonlyMap<string, string>,
  ) {
    this.ids = ids;
    for (const [id, address] of listen) this.listenOf.set(id, address);
  }

  /** Starts the mesh and the processes: the first node bootstraps, the others join; resolves once all are voters. */
  static async start(opts: ChaosClusterOptions): Promise<ChaosCluster> {
    const ids = opts.ids ?? ['node1', 'node2', 'node3'];
    const processes = new ProcessCluster(opts);
    const listen = new Map<string, string>();
    for (const [i, id] of ids.entries()) {
      await processes.addNode(id);
      const ip = nodeLoopbackIp(i + 1);
      listen.set(id, `${ip}:${await freePort(ip)}`);
    }
    const mesh = await ProxyMesh.start({
      nodes: ids.map((id, i) => ({ id, listen: listen.get(id)!, sourceIp: nodeLoopbackIp(i + 1) })),
      seed: opts.seed,
      // A connection from an unexpected IP must show up as unattributed, not be rescued by its Hello.
      helloFallback: false,
    });
    const cluster = new ChaosCluster(processes, mesh, ids, listen);
    try {
      await cluster.form();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** (Re)starts a node from its data directory with its mesh flags. */
  start(id: string, extra: readonly string[] = []): void {
    const index = this.ids.indexOf(id);
    if (index < 0) throw new Error(`unknown node ${id}`);
    const ip = nodeLoopbackIp(index + 1);
    const proc = this.processes.start(id, [`-raft=${this.mesh.advertised(id)}`, `-raft-listen=${this.listenOf.get(id)!}`, `-raft-bind-outbound=${ip}`, ...extra]).proc;
    proc?.once('exit', (code, signal) => {
      if (this.killing.has(id)) return;
      this.unexpectedExits.push({ id, at: performance.now(), code, signal });
    });
    this.killing.delete(id);
  }

  async kill(id: string): Promise<void> {
    this.paused.delete(id);
    this.killing.add(id);
    await this.processes.kill(id, 'SIGKILL');
  }

  /** Freezes a node (SIGSTOP) while time goes on for the others, like a long GC pause or a stalled VM. */
  pause(id: string): void {
    const pid = this.processes.node(id).proc?.pid;
    if (pid === undefined) return;
    process.kill(pid, 'SIGSTOP');
    this.paused.add(id);
  }

  /** Resumes every paused node. */
  resumeAll(): string[] {
    const resumed: string[] = [];
    for (const id of this.paused) {
      const pid = this.processes.node(id).proc?.pid;
      if (pid !== undefined) {
        process.kill(pid, 'SIGCONT');
        resumed.push(id);
      }
    }
    this.paused.clear();
    return resumed;
  }

  running(): string[] {
    return this.processes.running();
  }

  http(id: string): string {
    return this.processes.node(id).http;
  }

  /** The leader every running node that answers agrees on, if any (bounded by the status timeout). */
  async leader(): Promise<string | undefined> {
    const views = await Promise.all(this.running().map((id) => this.processes.status(id).catch(() => undefined)));
    const leaders = views.filter((v): v is ClusterStatus => v !== undefined && v.role === 'leader');
    if (leaders.length === 0) return undefined;
    // Right after a partition two nodes may both believe they lead: the higher term is the real one.
    return leaders.reduce((a, b) => (b.term > a.term ? b : a)).id;
  }

  /** Ends every process by its PID, then the mesh; each part bounded, so a stuck one names itself. */
  async stop(): Promise<void> {
    this.resumeAll();
    for (const id of this.ids) this.killing.add(id);
    await bounded('stopping the node processes', 30_000, this.processes.stop());
    await bounded('closing the proxy mesh', 15_000, this.mesh.close());
  }

  private async form(): Promise<void> {
    const [first, ...rest] = this.ids;
    this.start(first!, ['-bootstrap']);
    await this.processes.waitForLeader(20_000, [first!]);
    for (const id of rest) this.start(id, [`-join=${this.http(first!)}`]);
    await eventually(`${this.ids.length} voters seen by every node`, 30_000, async () => {
      const views = await Promise.all(this.ids.map((id) => this.processes.status(id)));
      const ok = views.every((v) => v.members.length === this.ids.length && v.members.every((m) => m.role === 'voter') && v.leader_id !== null);
      return ok ? true : undefined;
    });
  }
}

async function bounded<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
