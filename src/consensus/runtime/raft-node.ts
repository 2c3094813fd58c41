// The runtime around the pure Raft core: owns the tick timer, the disk and the
// network. It feeds ticks, peer messages and proposals into the core, and
// handles each Ready in the order the core's contract demands: persist (one
// synced batch), then send, then apply, then advance. While one Ready is being
// persisted, new proposals pile up in the core and go out together in the next
// one: that is the group commit.
import type { Logger } from 'pino';
import {
  EntryType,
  MessageType,
  type ConfChange,
  type CoreStatus,
  type Entry,
  type HardState,
  type Membership,
  type Message,
  type NodeId,
  type Outcome,
  type Ready,
  type SnapshotMeta,
} from '../core/types.js';
import type { LogStore, NodeIdentity, SnapshotStore } from '../../persistence/types.js';
import type { PeerFrame } from '../transport/frames.js';
import type { StateMachine } from './state-machine.js';
import { NoLeaderError, type Replicator } from './replicator.js';
import type { RaftNodeOptions } from './node-options.js';
import { ReadBatcher } from './read-batcher.js';
import { SnapshotSender } from './snapshot-sender.js';
import { SnapshotInbox } from './snapshot-inbox.js';
import { newRequestId, unwrapCommand, wrapCommand } from './request-envelope.js';
import { waiter, type Waiter } from './waiters.js';
import { decodeMembership } from '../core/membership.js';

/** The surface of RaftCore the runtime drives (see core/raft-core.ts). */
export interface ConsensusCore {
  tick(): void;
  step(m: Message): void;
  propose(data: Uint8Array): Outcome;
  proposeConfChange(cc: ConfChange): Outcome;
  readIndex(context: string): void;
  transferLeadership(to: NodeId): Outcome;
  reportUnreachable(peer: NodeId): void;
  reportSnapshot(peer: NodeId, ok: boolean): void;
  reportLeaderUnreachable(campaignNow?: boolean): void;
  campaignIfLeaderLost(): void;
  takeLeaderMessages(): Message[];
  takeForwards(): Message[];
  takeCommitted(): Entry[];
  snapshotTaken(meta: SnapshotMeta, compactTo: number): void;
  hasReady(): boolean;
  ready(): Ready;
  advance(rd: Ready): void;
  status(): CoreStatus;
}

/** The surface of the peer transport the runtime uses (see transport/tcp-transport.ts). */
export interface PeerTransport {
  send(to: NodeId, address: string, frame: PeerFrame): boolean;
  onFrame(handler: (from: { id: string; incarnation: string; clusterId: string }, frame: PeerFrame) => void): void;
  onPeerDown(handler: (peer: string) => void): void;
  onPeerRefused(handler: (peer: string, reason: string) => void): void;
  dropPeer(id: string): void;
  stop(): Promise<void>;
}

/** Hooks for metrics; every call is cheap and synchronous. */
export interface RaftObserver {
  walSync(seconds: number): void;
  snapshotTaken(seconds: number): void;
  leaderChanged(): void;
  proposalsCommitted(count: number): void;
  proposalFailed(): void;
}

export interface RaftNodeDeps<R> {
  readonly identity: NodeIdentity;
  readonly core: ConsensusCore;
  readonly logStore: LogStore;
  readonly snapshotStore: SnapshotStore;
  readonly transport: PeerTransport;
  readonly stateMachine: StateMachine<R>;
  readonly options: RaftNodeOptions;
  readonly logger: Logger;
  readonly observer: RaftObserver;
  /** The snapshot the state machine was restored from at start, if any. */
  readonly startSnapshot: SnapshotMeta | null;
  /** Called on a storage failure: the node must stop at once (fail-stop, B34). */
  readonly fatal: (error: unknown) => void;
}

interface PendingProposal<R> {
  readonly w: Waiter<R>;
  /** The entry data: request id + command. */
  readonly data: Uint8Array;
  /** Term in which it was last appended or forwarded; 0 while not in flight. */
  term: number;
  readonly deadline: number;
}

const RETRY_MS = 20;

function isLeaderFrame(frame: PeerFrame): boolean {
  if (frame.kind === 'snap-chunk') return true;
  if (frame.kind !== 'raft') return false;
  const t = frame.message.type;
  return t === MessageType.App || t === MessageType.Heartbeat || t === MessageType.Snap || t === MessageType.TimeoutNow;
}
const NOT_A_MEMBER = 'this node is not a member of the cluster (not joined yet, or removed)';
/** Delay between survivors' campaigns after a leader crash: a few loopback/LAN round trips plus an fsync. */
const LEADER_LOST_STAGGER_MS = 40;

export class RaftNode<R> implements Replicator<R> {
  private readonly core: ConsensusCore;
  private readonly log: Logger;
  private identity: NodeIdentity;
  private readonly pending = new Map<string, PendingProposal<R>>();
  /** Applied term at the last scan for lost proposals. */
  private retryScanTerm = 0;
  private readonly reads: ReadBatcher;
  private readonly sender: SnapshotSender;
  private readonly inbox: SnapshotInbox;
  private readonly addresses = new Map<NodeId, string>();
  /** Incarnation of every member of the latest membership, to refuse wiped peers (B33). */
  private readonly incarnations = new Map<NodeId, string>();
  private readonly refusedLogged = new Set<string>();
  private readonly applyWaiters: { index: number; w: Waiter<void> }[] = [];
  private receivedSnapshot: { meta: SnapshotMeta; data: Uint8Array } | null = null;

  private applied = 0;
  private appliedTerm = 0;
  private appliedMembership: Membership = { members: [] };
  private lastSnapshot: SnapshotMeta | null;
  private snapshotting: Promise<SnapshotMeta> | null = null;

  private role = 'follower';
  private leader: NodeId = '';
  private term = 0;
  private driving = false;
  private driveScheduled = false;
  private earlyFlushScheduled = false;
  private storeChain: Promise<unknown> = Promise.resolve();
  /** Term and vote of the last hard state written (null: not known since start, so the next one is written). */
  private savedTermVote: { term: number; vote: NodeId } | null = null;
  /** The newest hard state that only moved the commit index and is not written yet. */
  private unsavedCommit: HardState | undefined;
  private ticker: NodeJS.Timeout | null = null;
  /** Pending campaign after the leader's connection reset (leaderUnreachable). */
  private staggeredCampaign: NodeJS.Timeout | null = null;
  private stopped = false;
  private draining = false;
  private lastLeaderContact = 0;
  /** Commit index known at start: entries up to it are replayed, not new. */
  private readonly bootCommit: number;
  private failed = false;
  private readonly leaderListeners = new Set<() => void>();

  constructor(private readonly deps: RaftNodeDeps<R>) {
    this.core = deps.core;
    this.identity = deps.identity;
    this.log = deps.logger;
    this.lastSnapshot = deps.startSnapshot;
    this.bootCommit = deps.core.status().commit;
    if (deps.startSnapshot) {
      this.applied = deps.startSnapshot.index;
      this.appliedTerm = deps.startSnapshot.term;
      this.appliedMembership = deps.startSnapshot.membership;
    }
    const electionMs = deps.options.timing.tickMs * deps.options.timing.electionTicks;
    this.reads = new ReadBatcher(
      { readIndex: (ctx) => this.core.readIndex(ctx), appliedIndex: () => this.applied },
      electionMs,
    );
    const send = (peer: NodeId, frame: PeerFrame): boolean => this.sendFrame(peer, frame);
    this.sender = new SnapshotSender({
      self: this.id,
      store: deps.snapshotStore,
      term: () => this.term,
      send,
      report: (peer, ok) => {
        this.core.reportSnapshot(peer, ok);
        this.kick();
      },
      chunkBytes: deps.options.snapshot.chunkBytes,
      chunkTimeoutMs: deps.options.snapshot.chunkTimeoutMs,
      onError: (peer, error) => this.log.warn({ peer, err: error }, 'snapshot transfer failed'),
    });
    this.inbox = new SnapshotInbox({
      self: this.id,
      store: deps.snapshotStore,
      term: () => this.term,
      send,
      complete: (leader, term, meta, data) => this.snapshotReceived(leader, term, meta, data),
      onError: (error) => this.log.warn({ err: error }, 'receiving a snapshot failed'),
    });
  }

  get id(): NodeId {
    return this.identity.nodeId;
  }

  get clusterId(): string {
    return this.identity.clusterId;
  }

  get incarnation(): string {
    return this.identity.incarnation;
  }

  get appliedIndex(): number {
    return this.applied;
  }

  get snapshotMeta(): SnapshotMeta | null {
    return this.lastSnapshot;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** True once a planned stop has begun: readiness reports not ready. */
  get isDraining(): boolean {
    return this.draining || this.stopped;
  }

  beginDraining(): void {
    this.draining = true;
  }

  /** Milliseconds since the current leader was last heard from (0 on the leader, Infinity without one). */
  leaderContactAgeMs(): number {
    if (this.role === 'leader') return 0;
    if (this.leader === '') return Infinity;
    return performance.now() - this.lastLeaderContact;
  }

  /** Two election timeouts: longer than any healthy gap between a leader's heartbeats. */
  get leaderContactTimeoutMs(): number {
    const t = this.deps.options.timing;
    return 2 * 2 * t.electionTicks * t.tickMs;
  }

  /** A member of the latest configuration this node knows (a joining node is not, yet). */
  isMember(): boolean {
    return this.incarnations.has(this.id);
  }

  get currentTerm(): number {
    return this.term;
  }

  get currentRole(): string {
    return this.role;
  }

  get currentLeader(): NodeId {
    return this.leader;
  }

  status(): CoreStatus {
    return this.core.status();
  }

  /** Starts ticking and listening to peers. */
  start(): void {
    const t = this.deps.transport;
    t.onFrame((from, frame) => this.onFrame(from, frame));
    t.onPeerDown((peer) => {
      if (peer === this.leader && this.role === 'follower') this.leaderUnreachable(peer);
    });
    t.onPeerRefused((peer, reason) => {
      const key = `${peer}:${reason}`;
      if (this.refusedLogged.has(key)) return;
      this.refusedLogged.add(key);
      this.log.info({ peer, reason }, 'refused a peer connection');
    });
    this.refreshAddresses();
    this.ticker = setInterval(() => this.onTick(), this.deps.options.timing.tickMs);
    this.kick();
  }

  /**
   * Every survivor of a crashed leader sees its connections reset at about the
   * same moment. They campaign staggered by rank (voters sorted by id, the lost
   * leader left out) so that the first one's pre-vote reaches the others before
   * they start their own, instead of splitting the vote and waiting out a full
   * election timeout.
   */
  private leaderUnreachable(leader: NodeId): void {
    const voters = this.core
      .status()
      .membership.members.filter((m) => m.role === 'voter' && m.id !== leader)
      .map((m) => m.id)
      .sort();
    const rank = Math.max(0, voters.indexOf(this.id));
    this.log.info({ leader, rank }, 'connection to the leader reset: campaigning without waiting for the election timeout');
    this.core.reportLeaderUnreachable(false);
    this.kick();
    if (this.staggeredCampaign) clearTimeout(this.staggeredCampaign);
    this.staggeredCampaign = setTimeout(() => {
      this.staggeredCampaign = null;
      if (this.stopped) return;
      this.core.campaignIfLeaderLost();
      this.kick();
    }, rank * LEADER_LOST_STAGGER_MS);
    this.staggeredCampaign.unref();
  }

  /**
   * Once this node granted a (pre-)vote to a survivor that campaigns first, its
   * own staggered campaign would only split the vote (seen on a loaded machine,
   * where a campaign takes longer than the stagger): it stands down and falls
   * back to the election timeout in case that campaign fails.
   */
  private standDownIfVoteGranted(m: Message): void {
    if (this.staggeredCampaign === null || m.reject) return;
    if (m.type !== MessageType.PreVoteResp && m.type !== MessageType.VoteResp) return;
    clearTimeout(this.staggeredCampaign);
    this.staggeredCampaign = null;
    this.log.info({ candidate: m.to }, 'granted a vote to a survivor that campaigns first: not campaigning');
  }

  /** Records the cluster id learned when joining (a fresh joining node starts without one). */
  async adoptClusterId(clusterId: string): Promise<void> {
    if (this.identity.clusterId === clusterId) return;
    if (this.identity.clusterId !== '') throw new Error(`node belongs to cluster ${this.identity.clusterId}, not ${clusterId}`);
    const identity = { ...this.identity, clusterId };
    await this.serialStore(() => this.deps.logStore.saveIdentity(identity));
    this.identity = identity;
  }

  // ---- Replicator ----

  propose(command: Uint8Array, timeoutMs: number): Promise<R> {
    if (this.stopped) return Promise.reject(new NoLeaderError('node is shutting down'));
    if (!this.isMember()) return Promise.reject(new NoLeaderError(NOT_A_MEMBER));
    const requestId = newRequestId();
    const w = waiter<R>(timeoutMs, () => {
      this.deps.observer.proposalFailed();
      return new NoLeaderError(`no leader committed the request within ${timeoutMs} ms`);
    });
    const p: PendingProposal<R> = { w, data: wrapCommand(requestId, command), term: 0, deadline: performance.now() + timeoutMs };
    this.pending.set(requestId, p);
    this.attemptProposal(p);
    return w.promise.finally(() => this.pending.delete(requestId));
  }

  private attemptProposal(p: PendingProposal<R>): void {
    if (p.w.settled || this.stopped) return;
    const out = this.core.propose(p.data);
    this.kick();
    if (out.ok) {
      p.term = out.term ?? 0;
      return;
    }
    if (out.reason === 'uncommitted-cap') {
      this.deps.observer.proposalFailed();
      p.w.reject(new NoLeaderError('too many uncommitted proposals', 1));
    } else if (performance.now() + RETRY_MS < p.deadline) {
      // No leader yet, or a transfer in progress: nothing was appended, so retrying is safe.
      setTimeout(() => this.attemptProposal(p), RETRY_MS).unref();
    }
  }

  /**
   * A proposal appended or forwarded in term T that is still unapplied once an
   * entry of a later term was applied can never be committed any more (a log's
   * terms only grow, and the later entry is committed): it was lost with its
   * leader, so it is proposed again instead of waiting out the client's deadline.
   */
  private retryLostProposals(): void {
    if (this.appliedTerm <= this.retryScanTerm) return;
    this.retryScanTerm = this.appliedTerm;
    for (const p of this.pending.values()) {
      if (!p.w.settled && p.term > 0 && p.term < this.appliedTerm) {
        p.term = 0;
        this.attemptProposal(p);
      }
    }
  }


  readBarrier(timeoutMs: number): Promise<void> {
    if (this.stopped) return Promise.reject(new NoLeaderError('node is shutting down'));
    if (!this.isMember()) return Promise.reject(new NoLeaderError(NOT_A_MEMBER));
    const p = this.reads.read(timeoutMs);
    this.kick();
    return p;
  }

  // ---- cluster operations ----

  /** Proposes a configuration change (leader only) and waits until it is applied here. */
  async changeMembership(cc: ConfChange, timeoutMs: number): Promise<Outcome> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const out = this.core.proposeConfChange(cc);
      this.kick();
      if (out.ok) {
        if (out.index !== undefined) await this.waitApplied(out.index, Math.max(0, deadline - performance.now()));
        return out;
      }
      // The leader's first entry of its term or a previous change is still committing: wait a bit.
      const transient = out.reason === 'term-not-committed' || out.reason === 'pending-config';
      if (!transient || performance.now() + RETRY_MS >= deadline) return out;
      await sleep(RETRY_MS);
    }
  }

  transferLeadership(to: NodeId): Outcome {
    const out = this.core.transferLeadership(to);
    this.kick();
    return out;
  }

  /** Resolves when a leader is known (or rejects after timeoutMs). */
  waitForLeader(timeoutMs: number): Promise<NodeId> {
    if (this.leader !== '') return Promise.resolve(this.leader);
    const w = waiter<NodeId>(timeoutMs, () => new NoLeaderError(`no leader within ${timeoutMs} ms`));
    const listener = (): void => {
      if (this.leader !== '') w.resolve(this.leader);
    };
    this.leaderListeners.add(listener);
    return w.promise.finally(() => this.leaderListeners.delete(listener));
  }

  waitApplied(index: number, timeoutMs: number): Promise<void> {
    if (this.applied >= index) return Promise.resolve();
    const w = waiter<void>(timeoutMs, () => new NoLeaderError(`index ${index} not applied within ${timeoutMs} ms`));
    this.applyWaiters.push({ index, w });
    return w.promise;
  }

  /** Takes a snapshot of the state at the applied index now (POST /debug/snapshot), or joins one in progress. */
  takeSnapshot(): Promise<SnapshotMeta> {
    if (this.snapshotting) return this.snapshotting;
    if (this.lastSnapshot && this.lastSnapshot.index === this.applied) return Promise.resolve(this.lastSnapshot);
    const meta: SnapshotMeta = { index: this.applied, term: this.appliedTerm, membership: this.appliedMembership };
    // Serialised synchronously, between two applies: the copy is exactly the state at meta.index (B30).
    const data = this.deps.stateMachine.snapshot();
    const started = performance.now();
    const run = async (): Promise<SnapshotMeta> => {
      await this.deps.snapshotStore.save(meta, data);
      const compactTo = Math.max(0, meta.index - this.deps.options.snapshot.trailing);
      const recorded = await this.serialStore(async () => {
        // A snapshot installed from the leader while this one was being written supersedes it.
        if (this.lastSnapshot && this.lastSnapshot.index >= meta.index) return false;
        await this.deps.logStore.saveSnapshot(meta, compactTo, false);
        this.lastSnapshot = meta;
        return true;
      });
      if (!recorded) return this.lastSnapshot ?? meta;
      this.core.snapshotTaken(meta, compactTo);
      const seconds = (performance.now() - started) / 1000;
      this.deps.observer.snapshotTaken(seconds);
      this.log.info({ index: meta.index, term: meta.term, bytes: data.length, compactTo, ms: Math.round(seconds * 1000) }, 'snapshot taken');
      return meta;
    };
    this.snapshotting = run()
      .catch((error: unknown) => {
        this.failStop(error);
        throw error;
      })
      .finally(() => {
        this.snapshotting = null;
      });
    return this.snapshotting;
  }

  /** Closes timers, peer connections and storage; pending requests get NoLeaderError. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    const err = new NoLeaderError('node is shutting down');
    this.reads.rejectAll(err);
    for (const p of this.pending.values()) p.w.reject(err);
    for (const { w } of this.applyWaiters) w.reject(err);
    this.sender.cancelAll();
    await this.deps.transport.stop();
    await this.inbox.close();
    // Let a Ready being persisted finish before closing the store.
    await this.storeChain.catch(() => undefined);
    await this.snapshotting?.catch(() => undefined);
    // A clean stop leaves the latest commit index on disk: the node restarts applying all of it.
    const commit = this.unsavedCommit;
    this.unsavedCommit = undefined;
    if (commit && !this.failed) await this.deps.logStore.save(commit, []).catch(() => undefined);
    await this.deps.logStore.close();
  }

  /**
   * Before a planned stop: a leader hands leadership to the most up-to-date
   * voter that is alive and waits (bounded) until it has let go.
   */
  async handOffLeadership(timeoutMs: number): Promise<void> {
    if (this.role !== 'leader') return;
    const st = this.core.status();
    const candidates = st.progress
      .filter((p) => p.role === 'voter' && p.recentActive)
      .sort((a, b) => b.match - a.match || a.id.localeCompare(b.id));
    const target = candidates[0];
    if (!target) return;
    const out = this.transferLeadership(target.id);
    if (!out.ok) return;
    this.log.info({ to: target.id }, 'shutting down: transferring leadership');
    const deadline = performance.now() + timeoutMs;
    while (this.role === 'leader' && performance.now() < deadline) await sleep(10);
  }

  // ---- event handling ----

  private onTick(): void {
    if (this.stopped) return;
    this.core.tick();
    const now = performance.now();
    this.reads.tick();
    this.sender.tick(now);
    this.kick();
  }

  private onFrame(from: { id: string; incarnation: string; clusterId: string }, frame: PeerFrame): void {
    if (this.stopped) return;
    const expected = this.incarnations.get(from.id);
    // '' = joined without naming its data directory (the original's join): not checked.
    // What a leader sends is accepted from any incarnation: a term has one leader, and a
    // node restored from an older snapshot learns a replaced leader's new incarnation
    // only from that leader's entries. Votes and acknowledgements are what B33 guards.
    if (expected !== undefined && expected !== '' && expected !== from.incarnation && !isLeaderFrame(frame)) {
      const key = `${from.id}:${from.incarnation}`;
      if (!this.refusedLogged.has(key)) {
        this.refusedLogged.add(key);
        this.log.info({ peer: from.id, incarnation: from.incarnation, expected }, 'refused a peer: its data directory is not the member we know (wiped or replaced)');
      }
      return;
    }
    switch (frame.kind) {
      case 'raft':
        if (frame.message.to !== this.id) return;
        if (frame.message.from === this.leader) this.lastLeaderContact = performance.now();
        this.core.step(frame.message);
        this.kick();
        return;
      case 'snap-chunk':
        this.inbox.onChunk(frame);
        return;
      case 'snap-ack':
        this.sender.onAck(frame);
        return;
    }
  }

  private snapshotReceived(leader: NodeId, term: number, meta: SnapshotMeta, data: Uint8Array): void {
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

  /** Schedules a pass over the core's Ready on the next turn of the event loop. */
  private kick(): void {
    if (this.stopped) return;
    if (this.driving) {
      this.scheduleEarlyFlush();
      return;
    }
    if (this.driveScheduled) return;
    this.driveScheduled = true;
    setImmediate(() => {
      this.driveScheduled = false;
      void this.drive();
    });
  }

  /**
   * While a Ready is being persisted, a leader's replication and heartbeats may
   * still leave (the leader counts itself only once its own write is durable):
   * followers start writing in parallel, and heartbeats never wait behind a slow
   * fsync (B13). So may a follower's forwarded proposals and reads, and entries
   * committed meanwhile are applied (they are on a quorum's disks): under load
   * a node is nearly always writing, and none of these should wait for it.
   */
  private scheduleEarlyFlush(): void {
    if (this.earlyFlushScheduled) return;
    this.earlyFlushScheduled = true;
    setImmediate(() => {
      this.earlyFlushScheduled = false;
      if (!this.driving || this.stopped || this.failed) return;
      this.sendMessages(this.core.takeLeaderMessages());
      this.sendMessages(this.core.takeForwards());
      this.applyEntries(this.core.takeCommitted());
    });
  }

  private async drive(): Promise<void> {
    if (this.driving || this.stopped || this.failed) return;
    this.driving = true;
    try {
      while (this.core.hasReady() && !this.failed) {
        const rd = this.core.ready();
        this.onSoftState(rd);
        const [early, afterPersist] = this.splitForwards(rd);
        this.sendMessages(rd.leaderMessages);
        this.sendMessages(early);
        if (rd.snapshot) await this.installSnapshot(rd.snapshot);
        // Committed entries are on a quorum's disks already: applying them does not
        // wait for this Ready's own write (etcd applies alongside its WAL write too).
        this.applyEntries(rd.committed);
        for (const rs of rd.readStates) this.reads.confirmed(rs.index, rs.context);
        for (const ctx of rd.failedReads) this.reads.failed(ctx);
        if (this.mustPersist(rd)) {
          const hardState = rd.hardState ?? this.unsavedCommit;
          this.unsavedCommit = undefined;
          const started = performance.now();
          await this.serialStore(() => this.deps.logStore.save(hardState, rd.entries));
          this.deps.observer.walSync((performance.now() - started) / 1000);
          if (hardState) this.savedTermVote = { term: hardState.term, vote: hardState.vote };
        } else if (rd.hardState) {
          this.unsavedCommit = rd.hardState;
        }
        this.sendMessages(afterPersist);
        this.core.advance(rd);
        if (rd.entries.some((e) => e.type === EntryType.Config) || rd.snapshot) this.refreshAddresses();
        this.maybeSnapshot();
      }
    } catch (error) {
      this.failStop(error);
    } finally {
      this.driving = false;
    }
    if (!this.failed && this.core.hasReady()) this.kick();
  }

  /**
   * A follower's forwarded proposals and read requests grant and acknowledge
   * nothing, so they leave before this Ready's write (which is often a batch of
   * the leader's entries) instead of waiting for its fsync; only a new term or
   * vote must be durable first.
   */
  private splitForwards(rd: Ready): [Message[], readonly Message[]] {
    if (rd.messages.length === 0) return [[], rd.messages];
    const hs = rd.hardState;
    const saved = this.savedTermVote;
    if (hs !== undefined && (saved === null || hs.term !== saved.term || hs.vote !== saved.vote)) return [[], rd.messages];
    const early: Message[] = [];
    const rest: Message[] = [];
    for (const m of rd.messages) (m.type === MessageType.Prop || m.type === MessageType.ReadIndex ? early : rest).push(m);
    return [early, rest];
  }

  /**
   * A Ready that only moves the commit index is not written on its own: the
   * commit index is volatile in Raft (a restarted node learns it again from the
   * leader), so it rides along with the next synced batch instead of costing an
   * fsync between a quorum's acks and the apply. New entries, term and vote are
   * always synced before anything that depends on them leaves.
   */
  private mustPersist(rd: Ready): boolean {
    if (rd.entries.length > 0) return true;
    const hs = rd.hardState;
    if (hs === undefined) return false;
    const saved = this.savedTermVote;
    return saved === null || hs.term !== saved.term || hs.vote !== saved.vote;
  }

  private onSoftState(rd: Ready): void {
    const { role, leader } = rd.softState;
    if (rd.hardState) this.term = rd.hardState.term;
    if (leader !== this.leader) {
      this.lastLeaderContact = performance.now();
      this.deps.observer.leaderChanged();
      if (leader === '') this.log.info({ term: this.term, role }, 'leader lost');
      else if (leader === this.id) this.log.info({ term: this.term }, 'elected leader');
      else this.log.info({ term: this.term, leader }, `following leader ${leader}`);
      this.leader = leader;
      for (const l of this.leaderListeners) l();
    }
    if (role !== this.role) {
      if (this.role === 'leader') this.sender.cancelAll();
      this.role = role;
      this.log.info({ term: this.term, role }, `became ${role}`);
    }
  }

  private sendMessages(messages: readonly Message[]): void {
    for (const m of messages) {
      this.standDownIfVoteGranted(m);
      if (m.type === MessageType.Snap && m.snapshot) {
        // The core only names the snapshot; the bytes are streamed in chunks.
        this.sender.start(m.to, m.snapshot);
        continue;
      }
      this.sendFrame(m.to, { kind: 'raft', message: m });
    }
  }

  private sendFrame(peer: NodeId, frame: PeerFrame): boolean {
    const address = this.addresses.get(peer);
    if (address === undefined) return false;
    const sent = this.deps.transport.send(peer, address, frame);
    if (!sent && frame.kind === 'raft' && frame.message.type === MessageType.App) this.core.reportUnreachable(peer);
    return sent;
  }

  /**
   * Peers are the members of the latest configuration plus those of the applied
   * one: a member that an uncommitted change removes must still be reachable — a
   * removed leader needs the acknowledgements that commit its own removal, and a
   * removed follower the commit that tells it.
   */
  private refreshAddresses(): void {
    const active = this.core.status().membership.members;
    const activeIds = new Set(active.map((m) => m.id));
    const members = [...this.appliedMembership.members.filter((m) => !activeIds.has(m.id)), ...active];
    const current = new Set<string>();
    this.incarnations.clear();
    for (const m of members) {
      current.add(m.id);
      this.incarnations.set(m.id, m.incarnation);
      if (m.id !== this.id) this.addresses.set(m.id, m.raftAddress);
    }
    for (const id of [...this.addresses.keys()]) {
      if (!current.has(id)) {
        this.addresses.delete(id);
        this.deps.transport.dropPeer(id);
      }
    }
  }

  /** Learns the address of a peer that is not (yet) in our membership, e.g. the leader contacting a joining node. */
  learnAddress(peer: NodeId, raftAddress: string): void {
    if (peer !== this.id && !this.addresses.has(peer)) this.addresses.set(peer, raftAddress);
  }

  private async installSnapshot(meta: SnapshotMeta): Promise<void> {
    const received = this.receivedSnapshot;
    if (!received || received.meta.index !== meta.index || received.meta.term !== meta.term) {
      throw new Error(`core asked to install snapshot ${meta.index}/${meta.term} that was not received`);
    }
    this.receivedSnapshot = null;
    await this.serialStore(async () => {
      await this.deps.logStore.saveSnapshot(meta, meta.index, true);
      this.lastSnapshot = meta;
    });
    this.deps.stateMachine.restore(received.data);
    this.applied = meta.index;
    this.appliedTerm = meta.term;
    this.appliedMembership = meta.membership;
    this.log.info({ index: meta.index, term: meta.term, bytes: received.data.length }, 'installed a snapshot from the leader');
    this.afterApply(0);
  }

  private applyEntries(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    let commands = 0;
    let membershipApplied = false;
    for (const e of entries) {
      if (e.index <= this.applied) continue;
      if (e.type === EntryType.Config) {
        this.appliedMembership = decodeMembership(e.data);
        membershipApplied = true;
        // Replaying the log at start re-applies old changes: only new ones are news.
        const level = e.index > this.bootCommit ? 'info' : 'debug';
        this.log[level]({ index: e.index, members: this.appliedMembership.members.map((m) => `${m.id}:${m.role}`) }, 'membership change committed');
      } else if (e.data.length > 0) {
        const { requestId, payload } = unwrapCommand(e.data);
        const result = this.deps.stateMachine.apply(e.index, payload);
        commands++;
        this.pending.get(requestId)?.w.resolve(result);
      }
      this.applied = e.index;
      this.appliedTerm = e.term;
    }
    if (membershipApplied) this.refreshAddresses();
    this.afterApply(commands);
  }

  private afterApply(commands: number): void {
    if (commands > 0) this.deps.observer.proposalsCommitted(commands);
    this.retryLostProposals();
    this.reads.applied(this.applied);
    for (let i = this.applyWaiters.length - 1; i >= 0; i--) {
      const aw = this.applyWaiters[i]!;
      if (aw.index <= this.applied || aw.w.settled) {
        aw.w.resolve();
        this.applyWaiters.splice(i, 1);
      }
    }
  }

  private maybeSnapshot(): void {
    const since = this.applied - (this.lastSnapshot?.index ?? 0);
    if (since >= this.deps.options.snapshot.threshold && !this.snapshotting) {
      this.takeSnapshot().catch(() => undefined);
    }
  }

  /** Storage writes are serialised: each is one synced batch, in order. */
  private serialStore<T>(op: () => Promise<T>): Promise<T> {
    const next = this.storeChain.then(op, op);
    this.storeChain = next.catch(() => undefined);
    return next;
  }

  private failStop(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.log.fatal({ err: error }, 'storage failure: stopping this node (fail-stop)');
    this.deps.fatal(error);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
