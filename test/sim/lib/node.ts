// One running process of a simulated node: the production RaftCore, the
// production PrintFarmStateMachine and the production ReadBatcher,
// SnapshotSender and SnapshotInbox, driven the way src/consensus/runtime/
// raft-node.ts drives them, on virtual time. Each Ready is handled in the same
// order with the same durability rules: leaderMessages (and forwarded
// proposals and reads, once the term and vote are durable) leave at once; a
// snapshot from the leader is installed; committed entries are applied and
// read states confirmed (committed entries are already on a quorum's disks);
// entries and a new term or vote are persisted in one synced write on the
// simulated disk, completing through the event queue (a commit-only hard state
// rides along with the next write); only then the other messages leave; advance.
// While a write is in flight, new input piles up in the core for the next
// Ready (group commit); meanwhile a leader's replication and a follower's
// forwards may leave and newly committed entries are applied (the early flush:
// takeLeaderMessages, takeForwards, takeCommitted), as in raft-node.
import { RaftCore } from '../../../src/consensus/core/raft-core.js';
import {
  EntryType,
  MessageType,
  type ConfChange,
  type CoreConfig,
  type CoreStartState,
  type Entry,
  type HardState,
  type Membership,
  type Message,
  type NodeId,
  type Outcome,
  type Ready,
  type SnapshotMeta,
} from '../../../src/consensus/core/types.js';
import { decodeMembership } from '../../../src/consensus/core/membership.js';
import { ReadBatcher } from '../../../src/consensus/runtime/read-batcher.js';
import { SnapshotSender } from '../../../src/consensus/runtime/snapshot-sender.js';
import { SnapshotInbox } from '../../../src/consensus/runtime/snapshot-inbox.js';
import { unwrapCommand, wrapCommand } from '../../../src/consensus/runtime/request-envelope.js';
import type { PeerFrame } from '../../../src/consensus/transport/frames.js';
import type { NodeIdentity } from '../../../src/persistence/types.js';
import type { CommandResult } from '../../../src/domain/command-result.js';
import { PrintFarmStateMachine } from '../../../src/domain/print-farm.state-machine.js';
import { applySave, applySnapshot, type SimDisk } from './disk.js';
import { SimSnapshotStore, type SnapshotFiles } from './snapshot-store.js';

/** raft-node.ts RETRY_MS and LEADER_LOST_STAGGER_MS, in virtual milliseconds. */
const RETRY = 20;
const LEADER_LOST_STAGGER = 40;
/** Real-time deadline handed to ReadBatcher's waiters: never reached, the simulator keeps its own deadlines. */
const NEVER_MS = 2_000_000_000;

export interface NodeTuning {
  /**
   * Proposed fix (not in raft-node.ts yet): a frame from a peer makes its address
   * known, so a node can always answer whoever contacted it. Without it a learner
   * whose membership does not list the leader — empty after a restart before its
   * first entry, or older than the leader in a snapshot — can never answer it.
   */
  readonly learnSenderAddress: boolean;
  /**
   * Proposed fix (not in boot.ts yet): when the newest snapshot file is newer than the
   * snapshot the log store recorded (a crash between the two writes, B29), boot records
   * it in the log store before starting.
   */
  readonly recordReconciledSnapshot: boolean;
  readonly tick: number;
  readonly electionTicks: number;
  readonly snapshotThreshold: number;
  readonly snapshotTrailing: number;
  readonly chunkBytes: number;
  readonly chunkTimeout: number;
}

/** Invariant hooks (see invariants.ts); every call is synchronous. */
export interface NodeObserver {
  readyTaken(node: SimNode, rd: Ready): void;
  messageSent(node: SimNode, m: Message): void;
  applied(node: SimNode, e: Entry, result: CommandResult | undefined): void;
  snapshotInstalled(node: SimNode, meta: SnapshotMeta): void;
  snapshotTaken(node: SimNode, meta: SnapshotMeta, data: Uint8Array): void;
  failStopped(node: SimNode, error: unknown): void;
}

/** What a node needs from the simulator. */
export interface NodeHost {
  /** Virtual time. */
  now(): number;
  /** Runs fn after delay, unless this process died meanwhile. */
  schedule(delay: number, fn: () => void): void;
  /** Runs fn right after the current event (what setImmediate is to raft-node), unless this process died. */
  soon(fn: () => void): void;
  /** Puts a frame on the network; false when the peer cannot be reached at all. */
  send(from: SimNode, to: NodeId, frame: PeerFrame): boolean;
  /** Latency and failure of a snapshot file's fsync (log-store writes draw theirs in the disk). */
  fileLatency(): number;
  fileFsyncFails(): boolean;
  /** The process must stop at once (fail-stop). */
  exit(node: SimNode, error: unknown): void;
  /** Some production code will continue in a microtask: the simulator must let it run. */
  touch(): void;
  trace(text: string): void;
  readonly observer: NodeObserver;
}

export interface StartState {
  readonly core: CoreConfig;
  readonly start: CoreStartState;
  readonly snapshot: { meta: SnapshotMeta; data: Uint8Array } | null;
}

interface PendingProposal {
  readonly data: Uint8Array;
  readonly reply: (result: CommandResult | 'timeout' | 'overloaded') => void;
  settled: boolean;
  /** Term in which it was last appended or forwarded; 0 while not in flight (raft-node's retry of lost proposals). */
  term: number;
  readonly deadline: number;
}

/** raft-node.isLeaderFrame: what a leader sends is accepted from any incarnation. */
function isLeaderFrame(frame: PeerFrame): boolean {
  if (frame.kind === 'snap-chunk') return true;
  if (frame.kind !== 'raft') return false;
  const t = frame.message.type;
  return t === MessageType.App || t === MessageType.Heartbeat || t === MessageType.Snap || t === MessageType.TimeoutNow;
}

export class SimNode {
  readonly core: RaftCore;
  readonly sm = new PrintFarmStateMachine();
  readonly store: SimSnapshotStore;
  private readonly reads: ReadBatcher;
  private readonly sender: SnapshotSender;
  private readonly inbox: SnapshotInbox;
  private readonly pending = new Map<string, PendingProposal>();
  private retryScanTerm = 0;
  private readsWaiting = 0;
  /** raft-node.staggeredCampaign: generation of the pending campaign after the leader's connection reset (0: none). */
  private staggeredCampaign = 0;
  private campaignGeneration = 0;
  /** Term and vote of the last hard state written (null: none written since start). */
  private savedTermVote: { term: number; vote: NodeId } | null = null;
  /** The newest hard state that only moved the commit index and is not written yet. */
  private unsavedCommit: HardState | undefined;
  private readonly addresses = new Set<NodeId>();
  private readonly incarnations = new Map<NodeId, string>();
  private receivedSnapshot: { meta: SnapshotMeta; data: Uint8Array } | null = null;

  applied = 0;
  appliedTerm = 0;
  appliedMembership: Membership = { members: [] };
  lastSnapshot: SnapshotMeta | null;
  private snapshotting = false;

  role = 'follower';
  leader: NodeId = '';
  term = 0;
  private driving = false;
  private driveScheduled = false;
  private earlyFlushScheduled = false;
  stopped = false;
  failed = false;

  constructor(
    readonly identity: NodeIdentity,
    /** Process instance number: events of an earlier instance are void. */
    readonly epoch: number,
    readonly disk: SimDisk,
    readonly files: SnapshotFiles,
    private readonly tuning: NodeTuning,
    /** Ticks of this node's clock per tick of virtual time (clock drift). */
    readonly clockRate: number,
    private readonly host: NodeHost,
    start: StartState,
  ) {
    this.core = new RaftCore(start.core, start.start);
    this.term = start.start.hardState.term;
    this.lastSnapshot = start.snapshot?.meta ?? null;
    if (start.snapshot !== null) {
      this.sm.restore(start.snapshot.data);
      this.applied = start.snapshot.meta.index;
      this.appliedTerm = start.snapshot.meta.term;
      this.appliedMembership = start.snapshot.meta.membership;
    }
    this.store = new SimSnapshotStore(files, {
      schedule: (delay, fn) => this.host.schedule(delay, fn),
      latency: () => this.host.fileLatency(),
      fsyncFails: () => this.host.fileFsyncFails(),
      touch: () => this.host.touch(),
    });
    const now = (): number => this.localNow();
    this.reads = new ReadBatcher(
      { readIndex: (ctx) => this.core.readIndex(ctx), appliedIndex: () => this.applied },
      tuning.tick * tuning.electionTicks,
      now,
    );
    const send = (peer: NodeId, frame: PeerFrame): boolean => this.sendFrame(peer, frame);
    this.sender = new SnapshotSender({
      self: this.id,
      store: this.store,
      term: () => this.term,
      send,
      report: (peer, ok) => {
        this.core.reportSnapshot(peer, ok);
        this.kick();
      },
      chunkBytes: tuning.chunkBytes,
      chunkTimeoutMs: tuning.chunkTimeout,
      onError: (peer, error) => this.host.trace(`${this.id} snapshot to ${peer} failed: ${String(error)}`),
      now,
    });
    this.inbox = new SnapshotInbox({
      self: this.id,
      store: this.store,
      term: () => this.term,
      send,
      complete: (leader, term, meta, data) => this.snapshotReceived(leader, term, meta, data),
      onError: (error) => this.host.trace(`${this.id} receiving a snapshot failed: ${String(error)}`),
    });
    this.refreshAddresses();
  }

  get id(): NodeId {
    return this.identity.nodeId;
  }

  /** This node's clock (drifts from virtual time by clockRate). */
  localNow(): number {
    return Math.floor(this.host.now() * this.clockRate);
  }


  // ------------------------------------------------------------ requests

  /** raft-node.isMember: in the latest configuration this node knows. */
  isMember(): boolean {
    return this.incarnations.has(this.id);
  }

  /**
   * raft-node.propose: `reply` gets the state machine's result, 'timeout' at the deadline, or
   * 'overloaded' (also at once on a node that is not a member).
   */
  propose(requestId: string, command: Uint8Array, timeout: number, reply: PendingProposal['reply']): void {
    if (!this.isMember()) {
      reply('overloaded');
      return;
    }
    const p: PendingProposal = { data: wrapCommand(requestId, command), reply, settled: false, term: 0, deadline: this.host.now() + timeout };
    this.pending.set(requestId, p);
    this.host.schedule(timeout, () => this.settle(requestId, p, 'timeout'));
    this.attemptProposal(p, requestId);
  }

  private settle(requestId: string, p: PendingProposal, result: CommandResult | 'timeout' | 'overloaded'): void {
    if (p.settled) return;
    p.settled = true;
    this.pending.delete(requestId);
    p.reply(result);
  }

  private attemptProposal(p: PendingProposal, requestId: string): void {
    if (p.settled || this.stopped) return;
    const out: Outcome = this.core.propose(p.data);
    this.kick();
    if (out.ok) {
      p.term = out.term ?? 0;
      return;
    }
    if (out.reason === 'uncommitted-cap') this.settle(requestId, p, 'overloaded');
    else if (this.host.now() + RETRY < p.deadline) this.host.schedule(RETRY, () => this.attemptProposal(p, requestId));
  }

  /** raft-node.retryLostProposals. */
  private retryLostProposals(): void {
    if (this.appliedTerm <= this.retryScanTerm) return;
    this.retryScanTerm = this.appliedTerm;
    for (const [requestId, p] of this.pending) {
      if (!p.settled && p.term > 0 && p.term < this.appliedTerm) {
        p.term = 0;
        this.attemptProposal(p, requestId);
      }
    }
  }

  /** raft-node.readBarrier: resolves once a read index confirmed by a quorum is applied here. */
  readBarrier(): Promise<void> {
    if (!this.isMember()) return Promise.reject(new Error('not a member'));
    const p = this.reads.read(NEVER_MS);
    this.readsWaiting++;
    this.kick();
    return p.then(
      () => {
        this.readsWaiting--;
      },
      (err: unknown) => {
        this.readsWaiting--;
        throw err;
      },
    );
  }

  /** Read promises may settle now: the simulator must run their continuations before the next event. */
  private readsMaySettle(): void {
    if (this.readsWaiting > 0) this.host.touch();
  }

  /** A configuration change at this node's core (the operator's changeMembership, one attempt). */
  changeMembership(cc: ConfChange): Outcome {
    const out = this.core.proposeConfChange(cc);
    this.kick();
    return out;
  }

  transferLeadership(to: NodeId): Outcome {
    const out = this.core.transferLeadership(to);
    this.kick();
    return out;
  }

  // -------------------------------------------------------------- events

  tick(): void {
    if (this.stopped) return;
    this.core.tick();
    // Neither settles a promise: a failed round is only queued again, a timed-out transfer reported.
    this.reads.tick();
    this.sender.tick(this.localNow());
    this.kick();
  }

  /** transport.onFrame. */
  receive(from: { id: NodeId; incarnation: string }, frame: PeerFrame): void {
    if (this.stopped) return;
    const expected = this.incarnations.get(from.id);
    if (expected !== undefined && expected !== '' && expected !== from.incarnation && !isLeaderFrame(frame)) return;
    if (this.tuning.learnSenderAddress) this.learnAddress(from.id);
    switch (frame.kind) {
      case 'raft':
        if (frame.message.to !== this.id) return;
        this.core.step(frame.message);
        this.kick();
        return;
      case 'snap-chunk':
        this.host.touch();
        this.inbox.onChunk(frame);
        return;
      case 'snap-ack':
        this.host.touch();
        this.sender.onAck(frame);
        return;
    }
  }

  /** transport.onPeerDown: the connection to `peer` was reset. */
  peerDown(peer: NodeId): void {
    if (this.stopped || peer !== this.leader || this.role !== 'follower') return;
    const voters = this.core
      .status()
      .membership.members.filter((m) => m.role === 'voter' && m.id !== peer)
      .map((m) => m.id)
      .sort();
    const rank = Math.max(0, voters.indexOf(this.id));
    this.core.reportLeaderUnreachable(false);
    this.kick();
    const generation = ++this.campaignGeneration;
    this.staggeredCampaign = generation;
    this.host.schedule(rank * LEADER_LOST_STAGGER, () => {
      if (this.staggeredCampaign !== generation) return;
      this.staggeredCampaign = 0;
      if (this.stopped) return;
      this.core.campaignIfLeaderLost();
      this.kick();
    });
  }

  /** Learns the address of a peer outside our membership (a joining node is told the members). */
  learnAddress(peer: NodeId): void {
    if (peer !== this.id) this.addresses.add(peer);
  }

  /** The process dies now: nothing more leaves it. */
  kill(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.sender.cancelAll();
    this.reads.rejectAll(new Error('process died'));
    this.readsMaySettle();
    for (const [requestId, p] of this.pending) {
      p.settled = true;
      this.pending.delete(requestId);
    }
  }

  /** Requests waiting for an answer here (the simulator resets their connections on a crash). */
  pendingRequestIds(): string[] {
    return [...this.pending.keys()];
  }

  // -------------------------------------------------------------- driving

  private snapshotReceived(leader: NodeId, term: number, meta: SnapshotMeta, data: Uint8Array): void {
    if (this.stopped) return;
    this.receivedSnapshot = { meta, data };
    this.core.step({
      type: MessageType.Snap,
      from: leader,
      to: this.id,
      term,
      index: meta.index,
      logTerm: meta.term,
      entries: [],
      commit: 0,
      reject: false,
      rejectHint: 0,
      snapshot: meta,
      context: '',
    });
    this.kick();
  }

  kick(): void {
    if (this.stopped) return;
    if (this.driving) {
      this.scheduleEarlyFlush();
      return;
    }
    if (this.driveScheduled) return;
    this.driveScheduled = true;
    this.host.soon(() => {
      this.driveScheduled = false;
      this.drive();
    });
  }

  private scheduleEarlyFlush(): void {
    if (this.earlyFlushScheduled) return;
    this.earlyFlushScheduled = true;
    this.host.soon(() => {
      this.earlyFlushScheduled = false;
      if (!this.driving || this.stopped || this.failed) return;
      this.sendMessages(this.core.takeLeaderMessages());
      this.sendMessages(this.core.takeForwards());
      this.applyEntries(this.core.takeCommitted());
    });
  }

  private drive(): void {
    if (this.driving || this.stopped || this.failed) return;
    this.driving = true;
    this.loop();
  }

  /** raft-node.drive's loop, resumed by disk completions instead of awaits. */
  private loop(): void {
    while (!this.stopped && !this.failed && this.core.hasReady()) {
      const rd = this.core.ready();
      this.host.observer.readyTaken(this, rd);
      this.onSoftState(rd);
      const [early, afterPersist] = this.splitForwards(rd);
      this.sendMessages(rd.leaderMessages);
      this.sendMessages(early);
      if (rd.snapshot !== undefined) {
        this.installSnapshot(rd, afterPersist);
        return;
      }
      if (!this.applyAndPersist(rd, afterPersist)) return;
    }
    this.driving = false;
    if (!this.stopped && !this.failed && this.core.hasReady()) this.kick();
  }

  /** raft-node.splitForwards: forwarded proposals and reads need only a durable term and vote. */
  private splitForwards(rd: Ready): [readonly Message[], readonly Message[]] {
    if (rd.messages.length === 0) return [[], rd.messages];
    const hs = rd.hardState;
    const saved = this.savedTermVote;
    if (hs !== undefined && (saved === null || hs.term !== saved.term || hs.vote !== saved.vote)) return [[], rd.messages];
    const early: Message[] = [];
    const rest: Message[] = [];
    for (const m of rd.messages) (m.type === MessageType.Prop || m.type === MessageType.ReadIndex ? early : rest).push(m);
    return [early, rest];
  }

  /** raft-node.mustPersist: entries, or a new term or vote. */
  private mustPersist(rd: Ready): boolean {
    if (rd.entries.length > 0) return true;
    const hs = rd.hardState;
    if (hs === undefined) return false;
    const saved = this.savedTermVote;
    return saved === null || hs.term !== saved.term || hs.vote !== saved.vote;
  }

  /** Applies, then persists (false: the loop waits for the disk and resumes itself). */
  private applyAndPersist(rd: Ready, afterPersist: readonly Message[]): boolean {
    this.applyEntries(rd.committed);
    if (rd.readStates.length > 0) this.readsMaySettle();
    for (const rs of rd.readStates) this.reads.confirmed(rs.index, rs.context);
    for (const ctx of rd.failedReads) this.reads.failed(ctx);
    if (!this.mustPersist(rd)) {
      if (rd.hardState !== undefined) this.unsavedCommit = rd.hardState;
      this.finishReady(rd, afterPersist);
      return !this.stopped;
    }
    const hardState = rd.hardState ?? this.unsavedCommit;
    this.unsavedCommit = undefined;
    this.disk.submit({
      kind: 'save',
      apply: (log) => applySave(log, hardState, rd.entries),
      done: () => {
        if (this.stopped) return;
        if (hardState !== undefined) this.savedTermVote = { term: hardState.term, vote: hardState.vote };
        this.finishReady(rd, afterPersist);
        if (this.stopped || this.failed) return;
        this.loop();
      },
      fail: (err) => this.failStop(err),
    });
    return false;
  }

  private finishReady(rd: Ready, afterPersist: readonly Message[]): void {
    this.sendMessages(afterPersist);
    this.core.advance(rd);
    if (rd.entries.some((e) => e.type === EntryType.Config) || rd.snapshot !== undefined) this.refreshAddresses();
    this.maybeSnapshot();
  }

  private installSnapshot(rd: Ready, afterPersist: readonly Message[]): void {
    const meta = rd.snapshot!;
    const received = this.receivedSnapshot;
    if (received === null || received.meta.index !== meta.index || received.meta.term !== meta.term) {
      this.failStop(new Error(`core asked to install snapshot ${meta.index}/${meta.term} that was not received`));
      return;
    }
    this.receivedSnapshot = null;
    this.disk.submit({
      kind: 'snapshot',
      apply: (log) => applySnapshot(log, meta, meta.index, true),
      done: () => {
        if (this.stopped) return;
        this.lastSnapshot = meta;
        this.sm.restore(received.data);
        this.applied = meta.index;
        this.appliedTerm = meta.term;
        this.appliedMembership = meta.membership;
        this.host.observer.snapshotInstalled(this, meta);
        this.afterApply();
        if (this.applyAndPersist(rd, afterPersist)) this.loop();
      },
      fail: (err) => this.failStop(err),
    });
  }

  private onSoftState(rd: Ready): void {
    const { role, leader } = rd.softState;
    if (rd.hardState) this.term = rd.hardState.term;
    if (leader !== this.leader) this.leader = leader;
    if (role !== this.role) {
      if (this.role === 'leader') this.sender.cancelAll();
      this.role = role;
      this.host.trace(`${this.id} role ${role} t${this.term}`);
    }
  }

  /** raft-node.standDownIfVoteGranted: a granted (pre-)vote cancels the staggered campaign. */
  private standDownIfVoteGranted(m: Message): void {
    if (this.staggeredCampaign === 0 || m.reject) return;
    if (m.type !== MessageType.PreVoteResp && m.type !== MessageType.VoteResp) return;
    this.staggeredCampaign = 0;
  }

  private sendMessages(messages: readonly Message[]): void {
    for (const m of messages) {
      if (this.stopped) return;
      this.standDownIfVoteGranted(m);
      this.host.observer.messageSent(this, m);
      if (m.type === MessageType.Snap && m.snapshot) {
        this.host.touch();
        this.sender.start(m.to, m.snapshot);
        continue;
      }
      this.sendFrame(m.to, { kind: 'raft', message: m });
    }
  }

  private sendFrame(peer: NodeId, frame: PeerFrame): boolean {
    if (this.stopped) return false;
    if (!this.addresses.has(peer)) return false;
    const sent = this.host.send(this, peer, frame);
    if (!sent && frame.kind === 'raft' && frame.message.type === MessageType.App) this.core.reportUnreachable(peer);
    return sent;
  }

  /** raft-node.refreshAddresses: members of the latest configuration plus those of the applied one. */
  private refreshAddresses(): void {
    const active = this.core.status().membership.members;
    const activeIds = new Set(active.map((m) => m.id));
    const members = [...this.appliedMembership.members.filter((m) => !activeIds.has(m.id)), ...active];
    const current = new Set<NodeId>();
    this.incarnations.clear();
    for (const m of members) {
      current.add(m.id);
      this.incarnations.set(m.id, m.incarnation);
      if (m.id !== this.id) this.addresses.add(m.id);
    }
    for (const id of [...this.addresses]) if (!current.has(id)) this.addresses.delete(id);
  }

  private applyEntries(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    let membershipApplied = false;
    for (const e of entries) {
      if (e.index <= this.applied) continue;
      let result: CommandResult | undefined;
      if (e.type === EntryType.Config) {
        this.appliedMembership = decodeMembership(e.data);
        membershipApplied = true;
      } else if (e.data.length > 0) {
        const { requestId, payload } = unwrapCommand(e.data);
        result = this.sm.apply(e.index, payload);
        const p = this.pending.get(requestId);
        if (p !== undefined) this.settle(requestId, p, result);
      }
      this.applied = e.index;
      this.appliedTerm = e.term;
      this.host.observer.applied(this, e, result);
    }
    if (membershipApplied) this.refreshAddresses();
    this.afterApply();
  }

  private afterApply(): void {
    this.retryLostProposals();
    this.readsMaySettle();
    this.reads.applied(this.applied);
  }

  private maybeSnapshot(): void {
    const since = this.applied - (this.lastSnapshot?.index ?? 0);
    if (since >= this.tuning.snapshotThreshold && !this.snapshotting) this.takeSnapshot();
  }

  /** raft-node.takeSnapshot: serialised between two applies; file first, then the log store records it. */
  private takeSnapshot(): void {
    if (this.lastSnapshot !== null && this.lastSnapshot.index === this.applied) return;
    const meta: SnapshotMeta = { index: this.applied, term: this.appliedTerm, membership: this.appliedMembership };
    const data = this.sm.snapshot();
    this.host.observer.snapshotTaken(this, meta, data);
    this.snapshotting = true;
    const compactTo = Math.max(0, meta.index - this.tuning.snapshotTrailing);
    this.store.save(meta, data).then(
      () => {
        if (this.stopped) return;
        this.disk.submit({
          kind: 'snapshot',
          // A snapshot installed from the leader while this one was being written supersedes it.
          skip: () => this.lastSnapshot !== null && this.lastSnapshot.index >= meta.index,
          apply: (log) => applySnapshot(log, meta, compactTo, false),
          done: () => {
            if (this.stopped) return;
            this.snapshotting = false;
            if (this.lastSnapshot !== null && this.lastSnapshot.index >= meta.index) return;
            this.lastSnapshot = meta;
            this.core.snapshotTaken(meta, compactTo);
            this.host.trace(`${this.id} snapshot ${meta.index}/${meta.term} compact ${compactTo}`);
          },
          fail: (err) => this.failStop(err),
        });
      },
      (err: unknown) => this.failStop(err),
    );
  }

  private failStop(error: unknown): void {
    if (this.failed || this.stopped) return;
    this.failed = true;
    this.host.observer.failStopped(this, error);
    this.host.exit(this, error);
  }
}
