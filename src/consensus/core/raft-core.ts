// The pure Raft state machine of Raft3D, in the shape of etcd raft (raft.go,
// rawnode.go): time is tick(), input is step(), output is a Ready that the
// runtime persists, sends and applies before calling advance(). No I/O, no
// clock, randomness only through the injected Rng, so the same inputs always
// give the same outputs.
import {
  EntryType,
  MessageType,
  type ConfChange,
  type CoreConfig,
  type CoreStartState,
  type CoreStatus,
  type Entry,
  type HardState,
  type Membership,
  type Message,
  type NodeId,
  type Outcome,
  type PeerProgress,
  type Ready,
  type ReadState,
  type Refusal,
  type Role,
  type SnapshotMeta,
  type SoftState,
  type UnsafeTestBug,
} from './types.js';
import { RaftLog, entryBytes } from './raft-log.js';
import { Progress } from './progress.js';
import { hasQuorum, quorumIndex, voteResult } from './quorum.js';
import { applyConfChange, encodeMembership, roleOf, voterIds } from './membership.js';
import { ConfigHistory } from './config-history.js';
import { ReadOnlyQueue } from './read-only.js';
import { isFromLeader, isTermless, isWellFormedApp, makeMessage, mayLeaveBeforePersist, type MessageFields } from './messages.js';

/** Context of a Vote sent because of TimeoutNow: voters grant it despite leader stickiness. */
export const TRANSFER_CONTEXT = 'transfer';
/** Context of a (pre-)vote sent because the connection to the leader was reset. */
export const LEADER_LOST_CONTEXT = 'leader-lost';

type CampaignKind = 'pre-vote' | 'vote';

interface PendingRead {
  readonly from: NodeId;
  readonly context: string;
}

const EMPTY = new Uint8Array(0);
const NO_TEST_BUGS: ReadonlySet<UnsafeTestBug> = new Set();

function refuse(reason: Refusal): Outcome {
  return { ok: false, reason };
}

export class RaftCore {
  private readonly cfg: CoreConfig;
  private readonly id: NodeId;
  /** Test-only canaries (always empty in production). */
  private readonly bugs: ReadonlySet<UnsafeTestBug>;

  private term: number;
  private vote: NodeId;
  private commit: number;
  private role: Role = 'follower';
  private leader: NodeId = '';

  private readonly log: RaftLog;
  private readonly configs: ConfigHistory;

  private applied: number;
  /** Last index handed out in Ready.committed; equals applied once that Ready is advanced. */
  private applying: number;
  /** A snapshot received from the leader that the runtime has not yet installed. */
  private pendingSnapshot: SnapshotMeta | null = null;
  private snapshotHandedOut: SnapshotMeta | null = null;

  private electionElapsed = 0;
  private randomizedElectionTimeout = 0;
  private heartbeatElapsed = 0;

  private votes = new Map<NodeId, boolean>();
  private campaignContext = '';
  /** Set by reportLeaderUnreachable; cleared by any word from a leader. */
  private leaderLost = false;
  /** Term in which the leader was reported lost: a later term means someone else already campaigned. */
  private leaderLostTerm = 0;

  // Leader state.
  private progress = new Map<NodeId, Progress>();
  private transferee: NodeId = '';
  private transferElapsed = 0;
  private uncommittedBytes = 0;
  private readOnly = new ReadOnlyQueue();
  /** Reads that arrived before an entry of this term was committed (B20). */
  private readsAwaitingTermCommit: PendingRead[] = [];
  /** Proposals were appended: replicate them when the Ready is built, one batch per follower. */
  private broadcastPending = false;

  // Follower state: contexts of reads forwarded to the current leader.
  private forwardedReads = new Set<string>();

  // Output accumulated for the next Ready.
  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  private failedReads: string[] = [];
  private lastHardState: HardState;
  /** Term and vote as of the last advanced Ready (known durable). */
  private durableTerm: number;
  private durableVote: NodeId;
  private lastSoftState: SoftState = { role: 'follower', leader: '' };

  constructor(config: CoreConfig, start: CoreStartState) {
    if (config.electionTicks < 1 || config.heartbeatTicks < 1) throw new RangeError('electionTicks and heartbeatTicks must be ≥ 1');
    this.cfg = config;
    this.id = config.id;
    this.bugs = config.unsafeTestBugs ?? NO_TEST_BUGS;
    this.log = new RaftLog(start.snapshot, start.entries);
    this.configs = new ConfigHistory(start.snapshot);
    this.configs.appended(start.entries);
    const hs = start.hardState;
    const snapIndex = start.snapshot?.index ?? 0;
    this.term = hs.term;
    this.vote = hs.vote;
    this.commit = Math.max(hs.commit, snapIndex);
    if (this.commit > this.log.lastIndex()) {
      throw new RangeError(`stored commit ${this.commit} is beyond the stored log (last index ${this.log.lastIndex()})`);
    }
    // The runtime restored the state machine from the snapshot; entries after it are re-applied.
    this.applied = snapIndex;
    this.applying = snapIndex;
    this.lastHardState = { term: hs.term, vote: hs.vote, commit: hs.commit };
    this.durableTerm = hs.term;
    this.durableVote = hs.vote;
    // A full randomized timeout before any campaign, even right after a restart (B13).
    this.resetElectionTimer();
  }

  // ---------------------------------------------------------------- inputs

  tick(): void {
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  step(m: Message): void {
    if (m.to !== this.id || m.from === this.id) return;
    if (!isTermless(m)) {
      if (m.term > this.term) {
        if (!this.acceptHigherTerm(m)) return;
      } else if (m.term < this.term) {
        this.answerStaleTerm(m);
        return;
      }
    }
    if (m.type === MessageType.PreVote || m.type === MessageType.Vote) {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        return;
      case 'candidate':
      case 'pre-candidate':
        this.stepCandidate(m);
        return;
      case 'follower':
        this.stepFollower(m);
        return;
    }
  }

  propose(data: Uint8Array): Outcome {
    if (this.role === 'leader') {
      if (this.transferee !== '') return refuse('transferring');
      if (!this.hasRoomFor(data.byteLength)) return refuse('uncommitted-cap');
      const index = this.appendLocal([{ type: EntryType.Normal, data }]);
      return { ok: true, index, term: this.term };
    }
    if (this.role === 'follower' && this.leader !== '') {
      // The Prop carries our term: a leader of a later term drops it (a delayed Prop
      // must never be appended after the runtime concluded it was lost and retried).
      this.send(MessageType.Prop, this.leader, this.term, { entries: [{ index: 0, term: 0, type: EntryType.Normal, data }] });
      return { ok: true, term: this.term };
    }
    return refuse('no-leader');
  }

  proposeConfChange(cc: ConfChange): Outcome {
    if (this.role !== 'leader') return refuse('not-leader');
    if (this.transferee !== '') return refuse('transferring');
    // B14: a new leader may hold an uncommitted configuration of a previous term.
    if (!this.committedEntryInCurrentTerm()) return refuse('term-not-committed');
    // B15: one uncommitted configuration at a time.
    if (this.configs.activeIndex() > this.commit) return refuse('pending-config');
    const next = applyConfChange(this.configs.active(), cc);
    if (next === null) return refuse('invalid');
    const data = encodeMembership(next);
    if (!this.hasRoomFor(data.byteLength)) return refuse('uncommitted-cap');
    const index = this.appendLocal([{ type: EntryType.Config, data }]);
    return { ok: true, index };
  }

  readIndex(context: string): void {
    // test-only canary (B19/B20): serve the read at the local commit index, no ReadIndex round.
    if (this.bugs.has('read-without-read-index')) {
      this.readStates.push({ index: this.commit, context });
      return;
    }
    if (this.role === 'leader') {
      this.handleReadRequest(this.id, context);
    } else if (this.role === 'follower' && this.leader !== '') {
      this.forwardedReads.add(context);
      this.send(MessageType.ReadIndex, this.leader, 0, { context });
    } else {
      this.failedReads.push(context);
    }
  }

  transferLeadership(to: NodeId): Outcome {
    if (this.role !== 'leader') return refuse('not-leader');
    if (to === this.id) return { ok: true };
    if (roleOf(this.configs.active(), to) !== 'voter') return refuse('invalid');
    if (this.transferee === to) return { ok: true };
    this.transferee = to;
    this.transferElapsed = 0;
    const pr = this.progress.get(to);
    if (pr !== undefined && pr.match === this.log.lastIndex()) this.send(MessageType.TimeoutNow, to);
    // Even with nothing new to send, an (empty) App finds out where the target's log stands.
    else this.replicateTo(to, true);
    return { ok: true };
  }

  reportUnreachable(peer: NodeId): void {
    if (this.role !== 'leader') return;
    const pr = this.progress.get(peer);
    // In-flight Apps to an unreachable peer are most likely lost.
    if (pr !== undefined && pr.state === 'replicate') pr.becomeProbe();
  }

  reportSnapshot(peer: NodeId, ok: boolean): void {
    if (this.role !== 'leader') return;
    const pr = this.progress.get(peer);
    if (pr === undefined || pr.state !== 'snapshot') return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // Success: wait for the follower's AppResp. Failure: retry after the next heartbeat response.
    pr.probeSent = true;
  }

  /**
   * The runtime saw its connection to the current leader reset. The node forgets
   * the leader and will grant other voters' 'leader-lost' campaigns. With
   * `campaignNow` it also campaigns at once; otherwise the runtime calls
   * campaignIfLeaderLost() a little later — staggering the survivors (by rank)
   * avoids a split vote when all of them see the same reset at the same moment.
   */
  reportLeaderUnreachable(campaignNow = true): void {
    if (this.role !== 'follower' || this.leader === '') return;
    this.setLeader('');
    this.leaderLost = true;
    this.leaderLostTerm = this.term;
    if (campaignNow) this.campaignIfLeaderLost();
  }

  /** Campaigns now if the leader is still lost and no newer term has started since it was reported. */
  campaignIfLeaderLost(): void {
    if (!this.leaderLost || this.role !== 'follower' || this.leader !== '' || this.term !== this.leaderLostTerm) return;
    if (this.promotable()) this.campaign(this.cfg.preVote ? 'pre-vote' : 'vote', LEADER_LOST_CONTEXT);
  }

  snapshotTaken(meta: SnapshotMeta, compactTo: number): void {
    const current = this.log.snapshot;
    if (meta.index > this.applied || (current !== null && meta.index < current.index)) return;
    if (this.log.term(meta.index) !== meta.term) return;
    this.log.setSnapshot(meta);
    this.configs.compacted(meta);
    this.log.compact(Math.min(compactTo, meta.index));
  }

  // ----------------------------------------------------------------- Ready

  hasReady(): boolean {
    return (
      this.broadcastPending ||
      this.msgs.length > 0 ||
      this.log.hasUnstable() ||
      !sameHardState(this.hardState(), this.lastHardState) ||
      !sameSoftState(this.softState(), this.lastSoftState) ||
      (this.pendingSnapshot !== null && this.pendingSnapshot !== this.snapshotHandedOut) ||
      this.commit > this.applyFloor() ||
      this.readStates.length > 0 ||
      this.failedReads.length > 0
    );
  }

  ready(): Ready {
    if (this.broadcastPending) {
      this.broadcastPending = false;
      if (this.role === 'leader') this.bcastAppend();
    }
    const entries = this.log.takeUnstable();
    const snapshot = this.pendingSnapshot !== null && this.pendingSnapshot !== this.snapshotHandedOut ? this.pendingSnapshot : undefined;
    if (snapshot !== undefined) this.snapshotHandedOut = snapshot;
    const from = this.applyFloor() + 1;
    const committed = this.commit >= from ? this.log.slice(from, this.commit) : [];
    if (committed.length > 0) this.applying = committed[committed.length - 1]!.index;

    const hs = this.hardState();
    const hardStateChanged = !sameHardState(hs, this.lastHardState);
    // A new term or vote must be durable before anything leaves in that term,
    // even the leader's replication (its entries would carry the new term).
    const termDurable = !hardStateChanged || (hs.term === this.lastHardState.term && hs.vote === this.lastHardState.vote);
    this.lastHardState = hs;
    const softState = this.softState();
    this.lastSoftState = softState;

    const leaderMessages: Message[] = [];
    const messages: Message[] = [];
    for (const m of this.msgs) ((termDurable && mayLeaveBeforePersist(m)) || this.leavesEarlyByTestBug(m) ? leaderMessages : messages).push(m);
    const rd: Ready = {
      softState,
      ...(hardStateChanged ? { hardState: hs } : {}),
      entries,
      ...(snapshot !== undefined ? { snapshot } : {}),
      committed,
      leaderMessages,
      messages,
      readStates: this.readStates,
      failedReads: this.failedReads,
    };
    this.msgs = [];
    this.readStates = [];
    this.failedReads = [];
    return rd;
  }

  advance(rd: Ready): void {
    if (rd.hardState !== undefined) {
      this.durableTerm = rd.hardState.term;
      this.durableVote = rd.hardState.vote;
    }
    if (rd.snapshot !== undefined) {
      this.applied = Math.max(this.applied, rd.snapshot.index);
      if (this.pendingSnapshot === rd.snapshot) this.pendingSnapshot = null;
      if (this.snapshotHandedOut === rd.snapshot) this.snapshotHandedOut = null;
    }
    if (rd.entries.length > 0) this.log.stableTo(rd.entries);
    const lastCommitted = rd.committed[rd.committed.length - 1];
    if (lastCommitted !== undefined) this.applied = Math.max(this.applied, lastCommitted.index);
    this.applying = Math.max(this.applying, this.applied);
    // The leader counts itself only for what it has persisted: this may commit now.
    if (this.role === 'leader' && this.maybeCommit()) this.onLeaderCommitAdvanced();
  }

  /**
   * The leader's outbound replication (App, Heartbeat, Snap, TimeoutNow) that
   * may leave right now, even while a Ready is still being persisted, so that
   * heartbeats keep flowing through a slow fsync (B13). Empty unless this node
   * leads a term whose term and vote are already durable. Optional: the same
   * messages otherwise come with the next Ready.
   */
  takeLeaderMessages(): Message[] {
    if (this.role !== 'leader' || this.term !== this.durableTerm || this.vote !== this.durableVote) return [];
    if (this.broadcastPending) {
      this.broadcastPending = false;
      this.bcastAppend();
    }
    const early: Message[] = [];
    const rest: Message[] = [];
    for (const m of this.msgs) (mayLeaveBeforePersist(m) ? early : rest).push(m);
    this.msgs = rest;
    return early;
  }

  /**
   * A follower's forwarded proposals and read requests (Prop, ReadIndex), which
   * grant and acknowledge nothing, so they may leave while a Ready is still
   * being persisted instead of waiting for the next one. Empty on a leader and
   * while a new term or vote is not yet durable. Optional, like takeLeaderMessages.
   */
  takeForwards(): Message[] {
    if (this.role === 'leader' || this.term !== this.durableTerm || this.vote !== this.durableVote) return [];
    const early: Message[] = [];
    const rest: Message[] = [];
    for (const m of this.msgs) (m.type === MessageType.Prop || m.type === MessageType.ReadIndex ? early : rest).push(m);
    this.msgs = rest;
    return early;
  }

  /**
   * Committed entries not handed out yet, to apply while a Ready is still being
   * persisted: a committed entry is durable on a quorum already, whatever this
   * node's own write. The caller applies them at once and in order; they count
   * as applied and the next Ready does not repeat them. Empty while a snapshot
   * received from the leader waits to be installed (entries after it must wait).
   */
  takeCommitted(): Entry[] {
    if (this.pendingSnapshot !== null) return [];
    const from = this.applyFloor() + 1;
    if (this.commit < from) return [];
    const out = this.log.slice(from, this.commit);
    const last = out[out.length - 1];
    if (last !== undefined) {
      this.applying = last.index;
      this.applied = Math.max(this.applied, last.index);
    }
    return out;
  }

  status(): CoreStatus {
    const membership = this.configs.active();
    const progress: PeerProgress[] = [];
    if (this.role === 'leader') {
      for (const m of membership.members) {
        const pr = this.progress.get(m.id);
        if (pr === undefined) continue;
        progress.push({
          id: m.id,
          role: m.role,
          match: pr.match,
          next: pr.next,
          state: pr.state,
          recentActive: pr.ticksSinceHeard < this.cfg.electionTicks,
          inflight: pr.inflights.count,
        });
      }
    }
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      role: this.role,
      leader: this.leader,
      commit: this.commit,
      applied: this.applied,
      firstIndex: this.log.firstIndex(),
      lastIndex: this.log.lastIndex(),
      snapshot: this.log.snapshot,
      membership,
      configIndex: this.configs.activeIndex(),
      progress,
      transferee: this.role === 'leader' ? this.transferee : '',
    };
  }

  /** The configuration in force at `index` (e.g. to label a snapshot taken at that index). */
  membershipAt(index: number): Membership {
    return this.configs.at(index);
  }

  // ------------------------------------------------------------ term rules

  /** Returns false when the message must be ignored without touching our term. */
  private acceptHigherTerm(m: Message): boolean {
    if ((m.type === MessageType.PreVote || m.type === MessageType.Vote) && this.ignoresVoteInLease(m)) return false;
    // A pre-vote never changes anybody's term (§9.6); a granted pre-vote answer carries the future term.
    if (m.type === MessageType.PreVote) return true;
    if (m.type === MessageType.PreVoteResp && !m.reject) return true;
    this.becomeFollower(m.term, isFromLeader(m) ? m.from : '');
    return true;
  }

  /**
   * Leader stickiness (check-quorum): a voter that heard from a leader within
   * the election timeout ignores campaigns, unless the campaign was ordered by
   * that leader (transfer) or this node has itself lost the leader.
   */
  private ignoresVoteInLease(m: Message): boolean {
    if (!this.cfg.checkQuorum) return false;
    if (m.context === TRANSFER_CONTEXT) return false;
    if (m.context === LEADER_LOST_CONTEXT && this.leaderLost) return false;
    return this.role === 'leader' || (this.leader !== '' && this.electionElapsed < this.cfg.electionTicks);
  }

  private answerStaleTerm(m: Message): void {
    if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === MessageType.App || m.type === MessageType.Heartbeat)) {
      // A deposed leader learns the new term from this and steps down; with
      // pre-vote the nodes that advanced its term would otherwise never tell it.
      this.send(MessageType.AppResp, m.from);
    } else if (m.type === MessageType.PreVote) {
      // B11: refuse explicitly with our term, so the sender learns it.
      this.send(MessageType.PreVoteResp, m.from, this.term, { reject: true });
    }
  }

  private handleVoteRequest(m: Message): void {
    const respType = m.type === MessageType.PreVote ? MessageType.PreVoteResp : MessageType.VoteResp;
    const canVote =
      this.vote === m.from ||
      (this.vote === '' && this.leader === '') ||
      (m.type === MessageType.PreVote && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // B11: the answer carries the term of the request.
      this.send(respType, m.from, m.term);
      if (m.type === MessageType.Vote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send(respType, m.from, this.term, { reject: true });
    }
  }

  // ------------------------------------------------------- per-role steps

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.App:
        this.heardFromLeader(m.from);
        this.handleAppend(m);
        return;
      case MessageType.Heartbeat:
        this.heardFromLeader(m.from);
        this.handleHeartbeat(m);
        return;
      case MessageType.Snap:
        this.heardFromLeader(m.from);
        this.handleSnapshot(m);
        return;
      case MessageType.TimeoutNow:
        // A transfer skips pre-vote: the leader itself asked us to campaign.
        if (this.promotable()) this.campaign('vote', TRANSFER_CONTEXT);
        return;
      case MessageType.ReadIndex:
        this.refuseRead(m);
        return;
      case MessageType.ReadIndexResp:
        this.handleReadIndexResp(m);
        return;
      default:
        // Prop: only the leader appends; the runtime times out and retries.
        return;
    }
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case MessageType.App:
      case MessageType.Heartbeat:
      case MessageType.Snap:
        // Someone won this term; keep our vote (B7).
        this.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        return;
      case MessageType.PreVoteResp:
        if (this.role === 'pre-candidate') this.poll(m);
        return;
      case MessageType.VoteResp:
        if (this.role === 'candidate') this.poll(m);
        return;
      case MessageType.ReadIndex:
        this.refuseRead(m);
        return;
      default:
        return;
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case MessageType.Prop:
        this.appendForwardedProposal(m);
        return;
      case MessageType.ReadIndex:
        this.handleReadRequest(m.from, m.context);
        return;
      case MessageType.AppResp:
        this.handleAppResp(m);
        return;
      case MessageType.HeartbeatResp:
        this.handleHeartbeatResp(m);
        return;
      default:
        return;
    }
  }

  // ------------------------------------------------------------- elections

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed < this.randomizedElectionTimeout) return;
    if (this.promotable()) this.campaign(this.cfg.preVote ? 'pre-vote' : 'vote', '');
    // A campaign outlived by a configuration that no longer counts us as a voter ends here.
    else if (this.role !== 'follower') this.becomeFollower(this.term, '');
  }

  private campaign(kind: CampaignKind, context: string): void {
    if (!this.promotable()) return;
    let voteTerm: number;
    let type: MessageType;
    if (kind === 'pre-vote') {
      this.role = 'pre-candidate';
      voteTerm = this.term + 1;
      type = MessageType.PreVote;
    } else {
      this.term += 1;
      this.vote = this.id;
      this.role = 'candidate';
      voteTerm = this.term;
      type = MessageType.Vote;
    }
    this.campaignContext = context;
    this.setLeader('');
    this.votes = new Map([[this.id, true]]);
    this.resetElectionTimer();
    if (voteResult(this.voters(), this.votes) === 'won') {
      this.campaignWon(kind);
      return;
    }
    const index = this.log.lastIndex();
    const logTerm = this.log.lastTerm();
    for (const v of this.voters()) {
      if (v !== this.id) this.send(type, v, voteTerm, { index, logTerm, context });
    }
  }

  private campaignWon(kind: CampaignKind): void {
    if (kind === 'pre-vote') this.campaign('vote', this.campaignContext);
    else this.becomeLeader();
  }

  private poll(m: Message): void {
    // Only the first answer of each voter counts (B9).
    if (!this.votes.has(m.from)) this.votes.set(m.from, !m.reject);
    const result = voteResult(this.voters(), this.votes);
    if (result === 'won') this.campaignWon(this.role === 'pre-candidate' ? 'pre-vote' : 'vote');
    else if (result === 'lost') this.becomeFollower(this.term, '');
  }

  private becomeFollower(term: number, leader: NodeId): void {
    const wasLeader = this.role === 'leader';
    if (term > this.term) {
      this.term = term;
      // The vote is reset only when the term increases (B7).
      this.vote = '';
    } else if (leader !== '' && this.bugs.has('forget-vote-on-leader')) {
      // test-only canary (B7): forget the vote on learning of this term's leader.
      this.vote = '';
    }
    this.role = 'follower';
    this.votes.clear();
    if (wasLeader) this.dropLeaderState();
    this.setLeader(leader);
    if (leader !== '') this.leaderLost = false;
    this.resetElectionTimer();
  }

  private becomeLeader(): void {
    this.role = 'leader';
    this.setLeader(this.id);
    this.leaderLost = false;
    this.votes.clear();
    this.resetElectionTimer();
    this.heartbeatElapsed = 0;
    this.transferee = '';
    this.uncommittedBytes = 0;
    this.progress = new Map();
    for (const id of this.peers()) this.progress.set(id, this.newProgress());
    // The no-op: entries of earlier terms commit only through an entry of this term (Figure 8).
    this.appendLocal([{ type: EntryType.Normal, data: EMPTY }]);
  }

  private heardFromLeader(from: NodeId): void {
    this.electionElapsed = 0;
    this.leaderLost = false;
    this.setLeader(from);
  }

  private setLeader(leader: NodeId): void {
    if (this.leader === leader) return;
    this.leader = leader;
    // Reads forwarded to the previous leader will not be answered by the new one.
    for (const context of this.forwardedReads) this.failedReads.push(context);
    this.forwardedReads.clear();
  }

  private resetElectionTimer(): void {
    this.electionElapsed = 0;
    const n = this.cfg.electionTicks;
    const jitter = Math.min(n - 1, Math.max(0, Math.floor(this.cfg.rng.int(n))));
    this.randomizedElectionTimeout = n + jitter;
  }

  // ---------------------------------------------------------------- leader

  private tickLeader(): void {
    this.heartbeatElapsed++;
    for (const pr of this.progress.values()) pr.ticksSinceHeard++;
    if (this.cfg.checkQuorum && !this.quorumActive()) {
      this.becomeFollower(this.term, '');
      return;
    }
    if (this.transferee !== '' && ++this.transferElapsed >= this.cfg.electionTicks) this.abortTransfer();
    this.tickLearnerPromotion();
    if (this.role === 'leader' && this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(this.readOnly.lastKey());
    }
  }

  private quorumActive(): boolean {
    return hasQuorum(this.voters(), (id) => id === this.id || (this.progress.get(id)?.ticksSinceHeard ?? Infinity) < this.cfg.electionTicks);
  }

  private tickLearnerPromotion(): void {
    const need = 2 * this.cfg.electionTicks;
    let ready: NodeId = '';
    for (const m of this.configs.active().members) {
      const pr = m.role === 'learner' ? this.progress.get(m.id) : undefined;
      if (pr === undefined) continue;
      const caughtUp = pr.ticksSinceHeard < this.cfg.electionTicks && pr.match >= this.commit - this.cfg.learnerCatchUpEntries;
      pr.stableTicks = caughtUp ? pr.stableTicks + 1 : 0;
      if (ready === '' && pr.stableTicks >= need) ready = m.id;
    }
    if (ready !== '' && this.canChangeConfig()) this.proposeConfChange({ type: 'promote', id: ready });
  }

  private canChangeConfig(): boolean {
    return this.transferee === '' && this.committedEntryInCurrentTerm() && this.configs.activeIndex() <= this.commit;
  }

  private abortTransfer(): void {
    this.transferee = '';
    this.transferElapsed = 0;
  }

  private dropLeaderState(): void {
    for (const req of this.readOnly.drain()) this.failRead(req.from, req.context);
    for (const req of this.readsAwaitingTermCommit) this.failRead(req.from, req.context);
    this.readsAwaitingTermCommit = [];
    this.progress.clear();
    this.abortTransfer();
    this.uncommittedBytes = 0;
    this.broadcastPending = false;
    this.heartbeatElapsed = 0;
  }

  private newProgress(): Progress {
    return new Progress(this.log.lastIndex() + 1, this.cfg.maxInflight);
  }

  private hasRoomFor(bytes: number): boolean {
    // An empty uncommitted tail always admits one proposal, however large (etcd).
    return this.uncommittedBytes === 0 || bytes === 0 || this.uncommittedBytes + bytes <= this.cfg.maxUncommittedBytes;
  }

  /** Appends entries of this term on the leader; they go out with the next Ready. */
  private appendLocal(items: readonly { type: EntryType; data: Uint8Array }[]): number {
    let index = this.log.lastIndex();
    const entries: Entry[] = items.map((x) => ({ index: ++index, term: this.term, type: x.type, data: x.data }));
    this.log.append(entries);
    for (const e of entries) this.uncommittedBytes += entryBytes(e);
    this.broadcastPending = true;
    if (entries.some((e) => e.type === EntryType.Config)) {
      this.configs.appended(entries);
      this.onLeaderMembershipChanged();
    }
    return index;
  }

  private appendForwardedProposal(m: Message): void {
    if (this.transferee !== '' || m.entries.length === 0) return;
    // Configuration changes go through proposeConfChange and its checks only.
    if (m.entries.some((e) => e.type !== EntryType.Normal)) return;
    const bytes = m.entries.reduce((n, e) => n + entryBytes(e), 0);
    if (!this.hasRoomFor(bytes)) return;
    this.appendLocal(m.entries.map((e) => ({ type: EntryType.Normal, data: e.data })));
  }

  /** The configuration changed on append: track exactly its members. */
  private onLeaderMembershipChanged(): void {
    const peers = this.peers();
    for (const id of [...this.progress.keys()]) if (!peers.includes(id)) this.progress.delete(id);
    for (const id of peers) if (!this.progress.has(id)) this.progress.set(id, this.newProgress());
    if (this.transferee !== '' && roleOf(this.configs.active(), this.transferee) !== 'voter') this.abortTransfer();
    // A smaller quorum may already hold more entries.
    if (this.maybeCommit()) this.onLeaderCommitAdvanced();
  }

  private maybeCommit(): boolean {
    const matches = this.voters().map((v) => (v === this.id ? this.log.persisted : (this.progress.get(v)?.match ?? 0)));
    const index = quorumIndex(matches);
    // Figure 8 (B1): only an entry of the current term commits by counting replicas.
    // test-only canary: 'commit-previous-term-by-counting' skips the term check.
    if (index <= this.commit || (this.log.term(index) !== this.term && !this.bugs.has('commit-previous-term-by-counting'))) return false;
    this.reduceUncommitted(this.commit, index);
    this.commit = index;
    return true;
  }

  private reduceUncommitted(from: number, to: number): void {
    let bytes = 0;
    for (const e of this.log.slice(from + 1, to)) bytes += entryBytes(e);
    this.uncommittedBytes = Math.max(0, this.uncommittedBytes - bytes);
  }

  private onLeaderCommitAdvanced(): void {
    this.releaseReadsAwaitingTermCommit();
    // Followers learn the new commit index at once, not at the next heartbeat.
    this.bcastAppend();
    // B17: a leader removed from the configuration leads until that change commits.
    if (roleOf(this.configs.active(), this.id) !== 'voter' && this.configs.activeIndex() <= this.commit) {
      this.becomeFollower(this.term, '');
    }
  }

  private handleAppResp(m: Message): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    pr.ticksSinceHeard = 0;
    if (m.reject) {
      this.handleAppRejection(m, pr);
      return;
    }
    if (m.index > this.log.lastIndex()) return;
    const moved = pr.maybeUpdate(m.index);
    if (!moved && !(pr.match === m.index && pr.state === 'probe')) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot') {
      // The follower installed the snapshot (or caught up otherwise): resume from the log if we can.
      if (this.log.term(pr.match) !== undefined) {
        pr.becomeProbe();
        pr.becomeReplicate();
      }
    } else {
      pr.inflights.freeLE(m.index);
    }
    if (this.maybeCommit()) {
      this.onLeaderCommitAdvanced();
      if (this.role !== 'leader') return;
    } else if (pr.canBumpCommit(this.commit)) {
      // This follower missed the broadcast of the current commit index (it was paused then).
      this.sendAppend(m.from, true);
    }
    this.replicateTo(m.from, false);
    if (m.from === this.transferee && pr.match === this.log.lastIndex()) this.send(MessageType.TimeoutNow, m.from);
  }

  private handleAppRejection(m: Message, pr: Progress): void {
    if (m.index >= pr.match && m.rejectHint < pr.match) {
      // The follower's log ends below what it acknowledged: it is a new incarnation
      // of that member (its data was wiped and it was added again). Its old match
      // would make every rejection look stale, so replication restarts from what it has.
      pr.match = m.rejectHint;
      pr.becomeProbe();
      pr.next = m.rejectHint + 1;
      this.sendAppend(m.from, true);
      return;
    }
    // B4: skip every index whose term cannot match the follower's hint.
    const hint =
      m.logTerm > 0 ? this.log.findConflictByTerm(Math.min(m.rejectHint, this.log.lastIndex()), m.logTerm).index : m.rejectHint;
    if (!pr.maybeDecrTo(m.index, hint)) return;
    if (pr.state === 'replicate') pr.becomeProbe();
    this.sendAppend(m.from, true);
  }

  private handleHeartbeatResp(m: Message): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    pr.ticksSinceHeard = 0;
    pr.probeSent = false;
    const last = this.log.lastIndex();
    if (pr.state === 'replicate' && pr.inflights.full() && pr.match < last) {
      this.sendWindowProbe(m.from, pr);
    } else if (pr.match < last || pr.state === 'probe') {
      this.sendAppend(m.from, true);
    }
    if (m.context !== '') this.handleReadAck(m.from, m.context);
  }

  /**
   * The window is full: either the follower is slow or every App in it was
   * lost (B5). An empty App anchored at the end of the window tells which: an
   * ack frees the window, a rejection sends the follower back to probing.
   */
  private sendWindowProbe(to: NodeId, pr: Progress): void {
    const prevTerm = this.log.term(pr.next - 1);
    if (prevTerm === undefined) {
      // The window's end was compacted meanwhile: start over from the match point (likely a snapshot).
      pr.becomeProbe();
      this.sendAppend(to, true);
      return;
    }
    this.send(MessageType.App, to, this.term, { index: pr.next - 1, logTerm: prevTerm, commit: this.commit });
  }

  /** Sends one App (or a Snap) to `to` if its flow control allows; true when something was sent. */
  private sendAppend(to: NodeId, allowEmpty: boolean): boolean {
    const pr = this.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    // B27: the entries this follower needs are compacted: it needs the snapshot.
    if (prevTerm === undefined) return this.sendSnapshot(to, pr);
    const entries = this.log.slice(pr.next, this.log.lastIndex(), this.cfg.maxMsgBytes);
    if (entries.length === 0 && !allowEmpty) return false;
    this.send(MessageType.App, to, this.term, { index: prevIndex, logTerm: prevTerm, entries, commit: this.commit });
    pr.sentEntries(entries.length, prevIndex + entries.length);
    pr.sentCommit = Math.max(pr.sentCommit, this.commit);
    return true;
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    const snapshot = this.log.snapshot;
    if (snapshot === null) return false;
    pr.becomeSnapshot(snapshot.index);
    this.send(MessageType.Snap, to, this.term, { index: snapshot.index, logTerm: snapshot.term, snapshot });
    return true;
  }

  /** Sends as much as the follower's window allows (pipelining). */
  private replicateTo(to: NodeId, allowEmpty: boolean): void {
    if (!this.sendAppend(to, allowEmpty)) return;
    while (this.sendAppend(to, false)) {
      // each round sends at least one entry and moves `next`, or pauses the peer
    }
  }

  private bcastAppend(): void {
    for (const id of this.peers()) this.replicateTo(id, true);
  }

  private bcastHeartbeat(context: string): void {
    for (const id of this.peers()) {
      const pr = this.progress.get(id);
      if (pr === undefined) continue;
      // Never tell a follower to commit beyond what it is known to hold (etcd).
      const commit = Math.min(pr.match, this.commit);
      this.send(MessageType.Heartbeat, id, this.term, { commit, context });
      pr.sentCommit = Math.max(pr.sentCommit, commit);
    }
  }

  // ------------------------------------------------------------- followers

  private handleAppend(m: Message): void {
    if (!isWellFormedApp(m)) return;
    const lastNew = m.index + m.entries.length;
    let prevIndex = m.index;
    let prevTerm = m.logTerm;
    let entries = m.entries;
    if (prevIndex < this.commit) {
      // B27: everything up to our commit index is committed here, hence the same
      // as the leader's; skip it instead of comparing it (it may be compacted).
      const skip = this.commit - prevIndex;
      if (entries.length <= skip) {
        this.send(MessageType.AppResp, m.from, this.term, { index: lastNew });
        return;
      }
      prevTerm = entries[skip - 1]!.term;
      prevIndex = this.commit;
      entries = entries.slice(skip);
    }
    if (!this.log.matchTerm(prevIndex, prevTerm)) {
      this.rejectAppend(m);
      return;
    }
    // B2: truncate only at a real conflict; a stale or duplicated App changes nothing.
    let conflict = this.log.findConflict(entries);
    // test-only canary (B2): a stale App also cuts the log after its last entry.
    if (conflict === 0 && entries.length > 0 && this.bugs.has('truncate-on-stale-append') && this.log.lastIndex() > lastNew) {
      conflict = entries[0]!.index;
    }
    if (conflict > 0) {
      const fresh = entries.slice(conflict - entries[0]!.index);
      if (conflict <= this.log.lastIndex()) this.withdrawAcksFrom(conflict);
      this.configs.truncatedFrom(conflict);
      this.log.replaceFrom(fresh);
      this.configs.appended(fresh);
    }
    // B3: commit only what this message verified.
    this.commitTo(Math.min(m.commit, lastNew));
    this.send(MessageType.AppResp, m.from, this.term, { index: lastNew });
  }

  /**
   * Acknowledgements not yet handed out that cover entries from `index` on
   * are withdrawn: those entries were just replaced before ever being
   * persisted, so the ack would describe a log that never became durable
   * (B32, S6). Dropping an ack is always safe; the leader probes again.
   */
  private withdrawAcksFrom(index: number): void {
    this.msgs = this.msgs.filter((m) => m.type !== MessageType.AppResp || m.reject || m.index < index);
  }

  private rejectAppend(m: Message): void {
    // B4: the largest index whose term could still match the leader's.
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.send(MessageType.AppResp, m.from, this.term, { index: m.index, reject: true, rejectHint: hint.index, logTerm: hint.term });
  }

  private handleHeartbeat(m: Message): void {
    this.commitTo(m.commit);
    this.send(MessageType.HeartbeatResp, m.from, this.term, { context: m.context });
  }

  private handleSnapshot(m: Message): void {
    const snap = m.snapshot;
    if (snap === undefined) return;
    if (snap.index <= this.commit) {
      this.send(MessageType.AppResp, m.from, this.term, { index: this.commit });
      return;
    }
    if (this.log.matchTerm(snap.index, snap.term)) {
      // B26: our log already holds the snapshot's last entry: keep the suffix.
      this.commitTo(snap.index);
      this.send(MessageType.AppResp, m.from, this.term, { index: snap.index });
      return;
    }
    this.withdrawAcksFrom(0);
    this.log.restore(snap);
    this.configs.reset(snap);
    this.commit = snap.index;
    this.pendingSnapshot = snap;
    this.send(MessageType.AppResp, m.from, this.term, { index: snap.index });
  }

  private commitTo(index: number): void {
    const target = Math.min(index, this.log.lastIndex());
    if (target > this.commit) this.commit = target;
  }

  // ----------------------------------------------------------------- reads

  private committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.commit) === this.term;
  }

  private handleReadRequest(from: NodeId, context: string): void {
    // B20: the commit index of a new leader may be stale until its no-op commits.
    if (!this.committedEntryInCurrentTerm()) {
      this.readsAwaitingTermCommit.push({ from, context });
      return;
    }
    const voters = this.voters();
    if (voters.length === 1 && voters[0] === this.id) {
      this.answerRead(from, context, this.commit);
      return;
    }
    const req = this.readOnly.add(from, context, this.commit);
    if (req === null) return;
    if (voters.includes(this.id)) req.acks.add(this.id);
    this.bcastHeartbeat(req.key);
  }

  private releaseReadsAwaitingTermCommit(): void {
    if (this.readsAwaitingTermCommit.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const reads = this.readsAwaitingTermCommit;
    this.readsAwaitingTermCommit = [];
    for (const r of reads) this.handleReadRequest(r.from, r.context);
  }

  private handleReadAck(from: NodeId, key: string): void {
    const acks = this.readOnly.recvAck(from, key);
    if (acks === null || !hasQuorum(this.voters(), (id) => acks.has(id))) return;
    for (const req of this.readOnly.advance(key)) this.answerRead(req.from, req.context, req.index);
  }

  private answerRead(from: NodeId, context: string, index: number): void {
    if (from === this.id) this.readStates.push({ index, context });
    else this.send(MessageType.ReadIndexResp, from, this.term, { index, context });
  }

  private failRead(from: NodeId, context: string): void {
    if (from === this.id) this.failedReads.push(context);
    else this.send(MessageType.ReadIndexResp, from, this.term, { reject: true, context });
  }

  private refuseRead(m: Message): void {
    this.send(MessageType.ReadIndexResp, m.from, this.term, { reject: true, context: m.context });
  }

  private handleReadIndexResp(m: Message): void {
    if (!this.forwardedReads.delete(m.context)) return;
    if (m.reject) this.failedReads.push(m.context);
    else this.readStates.push({ index: m.index, context: m.context });
  }

  // --------------------------------------------------------------- helpers

  private voters(): NodeId[] {
    return voterIds(this.configs.active());
  }

  /** Other members, sorted by id. */
  private peers(): NodeId[] {
    return this.configs
      .active()
      .members.filter((m) => m.id !== this.id)
      .map((m) => m.id);
  }

  /**
   * Voters campaign; learners and nodes still joining just wait. A voter whose
   * removal is appended but not yet known committed keeps campaigning, though
   * its own vote no longer counts: it may hold the only copy of that change,
   * and without it the remaining voters can deadlock (dissertation §4.2.2;
   * hashicorp raft's "stable configuration" check). Once it knows the removal
   * committed it never campaigns again.
   */
  private promotable(): boolean {
    if (roleOf(this.configs.active(), this.id) === 'voter') return true;
    const latest = this.configs.activeIndex();
    return latest > this.commit && roleOf(this.configs.at(latest - 1), this.id) === 'voter';
  }

  private applyFloor(): number {
    return Math.max(this.applying, this.pendingSnapshot?.index ?? 0);
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.commit };
  }

  private softState(): SoftState {
    return { role: this.role, leader: this.leader };
  }

  /** test-only canaries (B6, B31): a vote grant or an append ack that leaves before it is durable. */
  private leavesEarlyByTestBug(m: Message): boolean {
    if (this.bugs.size === 0 || m.reject) return false;
    return (
      (m.type === MessageType.VoteResp && this.bugs.has('vote-before-durable')) ||
      (m.type === MessageType.AppResp && this.bugs.has('ack-before-fsync'))
    );
  }

  private send(type: MessageType, to: NodeId, term: number = this.term, fields: MessageFields = {}): void {
    this.msgs.push(makeMessage(type, this.id, to, term, fields));
  }
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.role === b.role && a.leader === b.leader;
}
