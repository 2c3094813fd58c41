// One deterministic run: a cluster of simulated hosts, the network, clients,
// the nemesis and the operator, all on one event queue and one seed. Events
// run one at a time; when one of them woke production code that continues in
// a promise (the snapshot sender and inbox, the read batcher), the microtasks
// are drained before the next event, so the order of everything depends on the
// seed alone. Safety invariants are checked as things happen; at the end come
// the liveness checks of the fault-free quiesce window and the
// linearizability check of the client history.
import { EntryType, type CoreConfig, type Entry, type NodeId } from '../../../src/consensus/core/types.js';
import { encodeMembership } from '../../../src/consensus/core/membership.js';
import { encodeCommand } from '../../../src/domain/commands.js';
import type { HttpResult } from '../../support/linearizability/history.js';
import { Workload, type ClientRequest } from './clients.js';
import { EventQueue } from './events.js';
import { Host, type World } from './host.js';
import { Invariants } from './invariants.js';
import { SimNetwork } from './network.js';
import type { NodeTuning, SimNode } from './node.js';
import { Nemesis } from './nemesis.js';
import { Operator } from './operator.js';
import { drawParams, TICK, type RuntimeFix, type SimOptions, type SimParams } from './params.js';
import { SimRng } from './rng.js';
import { NO_LEADER, answerOf, buildCommand, isoAt, printerCommand, readLocal } from './server.js';
import { Trace } from './trace.js';
import { PRINTERS } from './clients.js';
import { convergenceGap } from './liveness.js';

/** Requests wait this long at a node before it answers 503 (raft-node's request deadline). */
const SERVER_TIMEOUT = 25 * TICK;
const QUIESCE_TICKS = 300;

export interface RunStats {
  events: number;
  ticks: number;
  traceLines: number;
  delivered: number;
  dropped: number;
  crashes: number;
  elections: number;
  committed: number;
  operations: number;
  givenUp: number;
  snapshotsTaken: number;
  duplicateProposals: number;
}

export class Simulation implements World {
  readonly queue = new EventQueue();
  readonly params: SimParams;
  readonly invariants: Invariants;
  readonly network: SimNetwork;
  readonly diskRng: SimRng;
  readonly tuning: NodeTuning;
  readonly trace: Trace;
  readonly hosts = new Map<NodeId, Host>();
  readonly workload: Workload;
  readonly nemesis: Nemesis;
  readonly operator: Operator;
  faultsOn = true;
  private touched = false;
  private readonly rng: SimRng;
  private readonly endTime: number;
  readonly quiesceAt: number;
  events = 0;
  /** When the first leader appeared after the quiesce window began (L1). */
  leaderAfterQuiesce: { time: number; id: NodeId; term: number } | null = null;
  /** L2: the leader once the window settled, and how often it changed afterwards. */
  stableLeaderSince: string | null = null;
  leaderChangesAfterStable = 0;

  constructor(readonly options: SimOptions) {
    this.params = drawParams(options.seed, options.overrides);
    const p = this.params;
    this.rng = new SimRng(options.seed, 'sim');
    this.diskRng = this.rng.fork('disk');
    this.trace = new Trace(options.keepTrace ?? true);
    this.endTime = options.ticks * TICK;
    this.quiesceAt = Math.max(0, options.ticks - (options.quiesceTicks ?? QUIESCE_TICKS)) * TICK;
    this.invariants = new Invariants({
      maxInflight: p.maxInflight,
      maxUncommittedBytes: p.maxUncommittedBytes,
      stateHashEvery: 64,
      domainEvery: 64,
      ruleChecks: options.consequencesOnly !== true,
    });
    const fix = (f: RuntimeFix): boolean => options.faithfulRuntime !== true && !(options.withoutFixes ?? []).includes(f);
    this.tuning = {
      learnSenderAddress: fix('learn-sender-address'),
      recordReconciledSnapshot: fix('record-reconciled-snapshot'),
      tick: TICK,
      electionTicks: p.electionTicks,
      snapshotThreshold: p.snapshotThreshold,
      snapshotTrailing: p.snapshotTrailing,
      chunkBytes: p.chunkBytes,
      chunkTimeout: 5 * p.electionTicks * TICK,
    };
    this.network = new SimNetwork(
      {
        now: () => this.queue.now,
        at: (time, fn) => this.queue.at(time, fn),
        trace: (text) => this.trace.add(this.queue.now, text),
        epochOf: (id) => {
          const h = this.hosts.get(id);
          return h !== undefined && h.proc !== null ? h.epoch : -1;
        },
        deliver: (to, epoch, from, frame) => {
          const h = this.hosts.get(to);
          if (h === undefined || h.proc === null || h.epoch !== epoch) return false;
          if (this.queue.now < h.pausedUntil) h.schedule(0, () => h.proc!.receive(from, frame));
          else h.proc.receive(from, frame);
          return true;
        },
      },
      p.network,
      this.rng.fork('network'),
    );
    const workloadRng = this.rng.fork('clients');
    for (let i = 1; i <= p.voters + p.spares; i++) {
      const drift = p.clockDrift ? 0.9 + this.rng.float() * 0.2 : 1;
      const id = `n${i}`;
      this.hosts.set(id, new Host(this, id, drift));
    }
    this.workload = new Workload(
      {
        now: () => this.queue.now,
        after: (delay, fn) => this.queue.after(delay, fn),
        pickNode: (except) => this.pickNode(except, workloadRng),
        request: (node, req, reply) => this.request(node, req, reply),
        trace: (text) => this.trace.add(this.queue.now, text),
      },
      workloadRng,
      p.clients,
      p.filaments,
      p.thinkTicks,
    );
    if (!p.membershipChanges) this.invariants.durableQuorum = (index, term) => this.durableHolders(index, term);
    this.nemesis = new Nemesis(this, this.rng.fork('nemesis'));
    this.operator = new Operator(this, this.rng.fork('operator'));
  }

  // ---------------------------------------------------------------- World

  touch(): void {
    this.touched = true;
  }

  private deferred: (() => void)[] = [];

  defer(fn: () => void): void {
    this.deferred.push(fn);
  }

  note(text: string): void {
    this.trace.add(this.queue.now, text);
  }

  coreConfig(id: NodeId, epoch: number): CoreConfig {
    const p = this.params;
    const rng = new SimRng(this.options.seed, `core/${id}/${epoch}`);
    return {
      id,
      electionTicks: p.electionTicks,
      heartbeatTicks: p.heartbeatTicks,
      preVote: p.preVote,
      checkQuorum: p.checkQuorum,
      maxMsgBytes: p.maxMsgBytes,
      maxInflight: p.maxInflight,
      maxUncommittedBytes: p.maxUncommittedBytes,
      learnerCatchUpEntries: p.learnerCatchUpEntries,
      rng: { int: (n: number) => rng.int(n) },
      ...(this.options.canaries !== undefined && this.options.canaries.size > 0 ? { unsafeTestBugs: this.options.canaries } : {}),
    };
  }

  processDied(host: Host, reason: string): void {
    // Peers see the connection reset at once (a crashed process's sockets are closed by the OS).
    for (const other of this.hosts.values()) {
      if (other === host || other.proc === null || this.network.isCut(host.id, other.id)) continue;
      other.schedule(this.rng.between(1, 5), () => other.proc!.peerDown(host.id));
    }
    if (!host.retired) this.nemesis.scheduleRestart(host, reason.startsWith('fail-stop'));
  }

  private durableHolders(index: number, term: number): { holders: number; voters: number } {
    let holders = 0;
    for (const h of this.hosts.values()) {
      const d = h.disk.durable;
      if (d.snapshot !== null && d.snapshot.index >= index) {
        holders++;
        continue;
      }
      const first = d.entries[0];
      const e = first === undefined ? undefined : d.entries[index - first.index];
      if (e !== undefined && e.index === index && e.term === term) holders++;
    }
    return { holders, voters: this.params.voters };
  }

  // -------------------------------------------------------------- clients

  private pickNode(except: NodeId | null, rng: SimRng): NodeId | null {
    const members = this.memberIds().filter((id) => id !== except);
    if (members.length === 0) return null;
    const leader = this.currentLeader();
    if (leader !== null && leader.id !== except && rng.chance(0.8)) return leader.id;
    return rng.pick(members);
  }

  /** Ids in the newest membership known to any running process, in id order. */
  memberIds(): NodeId[] {
    let best: { term: number; ids: NodeId[] } | null = null;
    for (const h of this.hosts.values()) {
      const p = h.proc;
      if (p === null) continue;
      if (best === null || p.term > best.term || (p.role === 'leader' && p.term === best.term)) {
        best = { term: p.term, ids: p.appliedMembership.members.map((m) => m.id) };
      }
    }
    return best?.ids ?? [];
  }

  /** The leader of the highest term among running processes. */
  currentLeader(): SimNode | null {
    let best: SimNode | null = null;
    for (const h of this.hosts.values()) {
      const p = h.proc;
      if (p !== null && p.role === 'leader' && (best === null || p.term > best.term)) best = p;
    }
    return best;
  }

  private request(nodeId: NodeId, req: ClientRequest, reply: (r: HttpResult) => void): void {
    const host = this.hosts.get(nodeId);
    if (host === undefined || host.proc === null) {
      this.queue.after(0, () => reply({ kind: 'error', error: 'refused' }));
      return;
    }
    let open = 0;
    const respond = (r: HttpResult): void => {
      if (!host.closeRequest(open)) return;
      this.queue.after(this.rng.between(1, 20), () => reply(r));
    };
    open = host.openRequest(() => this.queue.after(this.rng.between(1, 5), () => reply({ kind: 'error', error: 'reset' })));
    host.schedule(this.rng.between(1, 20), () => {
      const node = host.proc!;
      if (req.access === 'write') {
        const command = encodeCommand(buildCommand(req.input, req.key, isoAt(node.localNow())));
        node.propose(this.nextRequestId(), command, SERVER_TIMEOUT, (r) => {
          respond(r === 'timeout' || r === 'overloaded' ? NO_LEADER : answerOf(r));
        });
        return;
      }
      host.schedule(SERVER_TIMEOUT, () => respond(NO_LEADER));
      node.readBarrier().then(
        () => {
          if (host.proc === node) respond(readLocal(node, req.input));
        },
        () => undefined,
      );
    });
  }

  private requestIds = 0;

  /** Runtime request ids (raft-node draws them at random; here they must follow from the seed). */
  nextRequestId(): string {
    return (++this.requestIds).toString(16).padStart(32, '0');
  }

  /** Creates the printers before any job is created (raft.md §5.10), outside the checked history. */
  private setup(done: () => void): void {
    let remaining = PRINTERS.length;
    for (const id of PRINTERS) {
      const attempt = (): void => {
        const target = this.currentLeader() ?? null;
        if (target === null) {
          this.queue.after(TICK, attempt);
          return;
        }
        const host = this.hosts.get(target.id)!;
        // A crash of the target loses the request: try again later.
        const open = host.openRequest(() => this.queue.after(TICK, attempt));
        target.propose(this.nextRequestId(), printerCommand(id, isoAt(target.localNow())), SERVER_TIMEOUT, (r) => {
          if (!host.closeRequest(open)) return;
          if (r !== 'timeout' && r !== 'overloaded' && (r.status === 201 || r.status === 409)) {
            if (--remaining === 0) done();
          } else this.queue.after(TICK, attempt);
        });
      };
      this.queue.after(TICK, attempt);
    }
  }

  // ------------------------------------------------------------------ run

  async run(): Promise<void> {
    const p = this.params;
    const voters = [...this.hosts.values()].slice(0, p.voters);
    const membership = { members: voters.map((h) => h.member('voter')) };
    const first: Entry = { index: 1, term: 1, type: EntryType.Config, data: encodeMembership(membership) };
    this.invariants.registerBootstrap(first);
    this.note(`seed ${this.options.seed} params ${JSON.stringify(p)}`);
    for (const h of voters) h.bootstrap(first);
    for (const h of voters) h.start();
    this.setup(() => this.workload.start());
    this.nemesis.start();
    this.operator.start();
    this.queue.at(this.quiesceAt, () => this.quiesce());
    while (this.queue.size > 0 && this.queue.peekTime() <= this.endTime) await this.step();
    await this.settleAtEnd();
  }

  /** The fault-free window: heal, restart everything, stop new client operations. */
  private quiesce(): void {
    this.note('quiesce');
    this.faultsOn = false;
    this.network.faultsOn = false;
    this.network.heal();
    this.nemesis.stop();
    this.operator.stop();
    this.workload.accepting = false;
    for (const h of this.hosts.values()) {
      h.pausedUntil = 0;
      h.crashInsideFsync = false;
      h.crashAfterSnapshotFile = false;
      h.crashAfterGrant = false;
      if (h.proc === null && !h.retired) h.start();
    }
    const settle = 2 * this.params.electionTicks * TICK;
    let stable: { id: NodeId; term: number } | null = null;
    const watch = (): void => {
      const leader = this.currentLeader();
      const now = this.queue.now;
      if (leader !== null && this.leaderAfterQuiesce === null) this.leaderAfterQuiesce = { time: now, id: leader.id, term: leader.term };
      const first = this.leaderAfterQuiesce;
      // A transfer started before the window may still finish within one election timeout: then watch.
      if (first !== null && now >= first.time + settle) {
        if (stable === null) {
          if (leader !== null) {
            stable = { id: leader.id, term: leader.term };
            this.stableLeaderSince = `${leader.id} (term ${leader.term}) at tick ${Math.floor(now / TICK)}`;
          }
        } else if (leader === null || leader.id !== stable.id || leader.term !== stable.term) {
          this.leaderChangesAfterStable++;
          this.note(`L2: leader changed from ${stable.id}/${stable.term} to ${leader?.id ?? 'none'}/${leader?.term ?? '-'}`);
          if (leader !== null) stable = { id: leader.id, term: leader.term };
        }
      }
      this.queue.after(TICK, watch);
    };
    watch();
  }

  /** Runs on past the end (bounded) until the replicas converged, so that the end state is quiescent. */
  private async settleAtEnd(): Promise<void> {
    const limit = this.endTime + 100 * TICK;
    while (convergenceGap(this) !== null && this.queue.size > 0 && this.queue.peekTime() <= limit) {
      const next = this.queue.peekTime() + TICK;
      while (this.queue.size > 0 && this.queue.peekTime() <= next) await this.step();
    }
  }

  private async step(): Promise<void> {
    const ev = this.queue.pop()!;
    this.events++;
    ev.run();
    this.runDeferred();
    while (this.touched) {
      this.touched = false;
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.runDeferred();
    }
  }

  private runDeferred(): void {
    for (let i = 0; i < this.deferred.length; i++) this.deferred[i]!();
    this.deferred.length = 0;
  }

  stats(): RunStats {
    let crashes = 0;
    for (const h of this.hosts.values()) crashes += h.crashes;
    return {
      events: this.events,
      ticks: Math.floor(this.queue.now / TICK),
      traceLines: this.trace.count,
      delivered: this.network.delivered,
      dropped: this.network.dropped,
      crashes,
      elections: this.invariants.leaders.size,
      committed: this.invariants.maxCommitted,
      operations: this.workload.issued,
      givenUp: this.workload.givenUp,
      snapshotsTaken: this.invariants.snapshots,
      duplicateProposals: this.invariants.duplicateProposals,
    };
  }
}
