// The vocabulary shared by the pure Raft core, the runtime that drives it,
// the persistence layer that stores what it produces and the transport that
// carries its messages. Nothing here does I/O.

export type NodeId = string;

export enum EntryType {
  /** Client command (opaque bytes for the state machine). Empty data = the leader's no-op. */
  Normal = 0,
  /** data is an encoded Membership: the whole new configuration, not a delta. */
  Config = 1,
}

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

export type MemberRole = 'voter' | 'learner';

export interface Member {
  readonly id: NodeId;
  readonly role: MemberRole;
  /** host:port of the peer (Raft) listener. Opaque to the core. */
  readonly raftAddress: string;
  /** host:port of the HTTP API. Opaque to the core. */
  readonly httpAddress: string;
  /** UUID created when the member's data directory was first initialised (B33). */
  readonly incarnation: string;
}

/** A cluster configuration. Members are kept sorted by id. */
export interface Membership {
  readonly members: readonly Member[];
}

/** What must be durable before any message that depends on it leaves the node. */
export interface HardState {
  readonly term: number;
  /** '' when the node has not voted in `term`. */
  readonly vote: NodeId;
  readonly commit: number;
}

export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly membership: Membership;
}

export enum MessageType {
  PreVote = 'PreVote',
  PreVoteResp = 'PreVoteResp',
  Vote = 'Vote',
  VoteResp = 'VoteResp',
  /** AppendEntries (also used as a probe with no entries). */
  App = 'App',
  AppResp = 'AppResp',
  Heartbeat = 'Heartbeat',
  HeartbeatResp = 'HeartbeatResp',
  /**
   * Leader → follower: "install the snapshot described by `snapshot`".
   * The core only carries metadata; the runtime streams the snapshot bytes in
   * chunks and steps this message into the follower's core once the file is
   * complete and verified.
   */
  Snap = 'Snap',
  /** Leader → transfer target: campaign now, with the forced flag. */
  TimeoutNow = 'TimeoutNow',
  /** Follower → leader: a proposal forwarded from a follower. */
  Prop = 'Prop',
  /** Follower → leader: please run a ReadIndex round for `context`. */
  ReadIndex = 'ReadIndex',
  /** Leader → follower: the read index for `context` (index 0 + reject = failed). */
  ReadIndexResp = 'ReadIndexResp',
}

/** A peer message. Fields not meaningful for a type are left at their defaults. */
export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  /** App: index of the entry before `entries`. Vote/PreVote: candidate's last index. AppResp: see `reject`. */
  readonly index: number;
  /** App: term of the entry at `index`. Vote/PreVote: candidate's last term. */
  readonly logTerm: number;
  readonly entries: readonly Entry[];
  /** Leader's commit index (App, Heartbeat). */
  readonly commit: number;
  /** AppResp/VoteResp/ReadIndexResp: refused. */
  readonly reject: boolean;
  /** AppResp on reject: the follower's hint (index, with `logTerm` = its term there) for fast backtracking. */
  readonly rejectHint: number;
  /** Snap: the snapshot to install. */
  readonly snapshot?: SnapshotMeta;
  /**
   * Heartbeat/HeartbeatResp/ReadIndex/ReadIndexResp: opaque read context.
   * Vote/PreVote: 'transfer' marks a campaign started by TimeoutNow (forced),
   * 'leader-lost' marks a pre-vote started because the sender saw its connection
   * to the leader reset (see Core.reportLeaderUnreachable).
   */
  readonly context: string;
}

/** A linearizable read that may now be served once applied index ≥ index. */
export interface ReadState {
  readonly index: number;
  readonly context: string;
}

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

export interface SoftState {
  readonly role: Role;
  /** '' when no leader is known. */
  readonly leader: NodeId;
}

/**
 * Everything the runtime must do after a batch of tick/step/propose calls.
 * Order of handling (the contract the core relies on):
 *  1. Persist `snapshot` (if any, after the runtime holds its bytes), then
 *     `entries` and `hardState` in one synced write.
 *  2. Send `messages` — all of them only after step 1 completed, except that
 *     `leaderMessages` (a leader's App/Heartbeat/Snap/TimeoutNow) may be sent at once.
 *  3. Apply `committed` to the state machine in order (a restored snapshot first).
 *  4. Call `advance(ready)`.
 */
export interface Ready {
  readonly softState: SoftState;
  /** Present when term, vote or commit changed since the last Ready. */
  readonly hardState?: HardState;
  /** Entries to append durably; any stored entry with index ≥ entries[0].index is replaced. */
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader, to persist and restore into the state machine. */
  readonly snapshot?: SnapshotMeta;
  /** Committed entries not yet handed out for applying. */
  readonly committed: readonly Entry[];
  /** Messages that may leave before this Ready is persisted (leader's outbound replication). */
  readonly leaderMessages: readonly Message[];
  /** Messages that may only leave after this Ready is persisted. */
  readonly messages: readonly Message[];
  readonly readStates: readonly ReadState[];
  /** Contexts of ReadIndex requests that can no longer succeed (no leader, leader stepped down). */
  readonly failedReads: readonly string[];
}

/** Randomness is injected so that the simulator is reproducible. */
export interface Rng {
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

export interface CoreConfig {
  readonly id: NodeId;
  /** Ticks without a leader's word before a follower campaigns: drawn in [electionTicks, 2·electionTicks). */
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  /** Upper bound of entry bytes in one App message (at least one entry is always sent). */
  readonly maxMsgBytes: number;
  /** Max App messages in flight per follower in replicate state. */
  readonly maxInflight: number;
  /** Beyond this many uncommitted bytes, proposals on the leader are refused (B23). */
  readonly maxUncommittedBytes: number;
  /** A learner is promoted only if its match ≥ commit − this many entries. */
  readonly learnerCatchUpEntries: number;
  readonly rng: Rng;
  /**
   * TEST-ONLY canaries: re-introduce classic Raft bugs so that tests can prove
   * the simulator catches them (raft.md §6.2). Absent in production.
   */
  readonly unsafeTestBugs?: ReadonlySet<UnsafeTestBug>;
}

/** TEST-ONLY: the classic bugs a core can be told to re-introduce (see CoreConfig.unsafeTestBugs). */
export type UnsafeTestBug =
  /** B6: a granted vote leaves before the vote is durable. */
  | 'vote-before-durable'
  /** B1 (Figure 8): an entry of an earlier term commits by counting its replicas. */
  | 'commit-previous-term-by-counting'
  /** B19/B20: a read is answered at the local commit index, without a ReadIndex round. */
  | 'read-without-read-index'
  /** B31: an AppendEntries acknowledgement leaves before the entries are durable. */
  | 'ack-before-fsync'
  /** B2: a stale or duplicated AppendEntries cuts the log after its last entry. */
  | 'truncate-on-stale-append'
  /** B7: a node forgets its vote when it learns the leader of the same term. */
  | 'forget-vote-on-leader';

/** A single-server configuration change (one at a time, dissertation §4.1). */
export type ConfChange =
  | { readonly type: 'add-learner'; readonly member: Member }
  | { readonly type: 'promote'; readonly id: NodeId }
  | { readonly type: 'remove'; readonly id: NodeId };

/** Why the core refused a proposal, a configuration change or a transfer. */
export type Refusal =
  | 'no-leader' // no leader known (follower) — retry after a leader appears
  | 'not-leader' // only the leader may do this
  | 'transferring' // leadership transfer in progress — retry shortly
  | 'uncommitted-cap' // maxUncommittedBytes reached (B23)
  | 'pending-config' // another configuration change is not yet committed (B15)
  | 'term-not-committed' // the leader has not committed an entry of its own term yet (B14)
  | 'invalid'; // the request makes no sense (unknown member, already a voter, ...)

/**
 * `index`: where the leader appended the entry. `term`: the proposer's term when it
 * appended or forwarded it — once an entry of a later term is applied, a proposal
 * that was not applied by then can never be committed (log terms only grow).
 */
export type Outcome = { readonly ok: true; readonly index?: number; readonly term?: number } | { readonly ok: false; readonly reason: Refusal };

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export interface PeerProgress {
  readonly id: NodeId;
  readonly role: MemberRole;
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  /** Heard from this peer within the last election timeout. */
  readonly recentActive: boolean;
  readonly inflight: number;
}

export interface CoreStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly role: Role;
  readonly leader: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly snapshot: SnapshotMeta | null;
  readonly membership: Membership;
  /** Log index of the entry holding `membership` (0 if it came from a snapshot or nowhere): committed once commit ≥ it. */
  readonly configIndex: number;
  /** Leader only: one per other member; empty elsewhere. */
  readonly progress: readonly PeerProgress[];
  /** Leader only: target of a transfer in progress, or ''. */
  readonly transferee: NodeId;
}

/** The durable state a core starts from (see persistence). */
export interface CoreStartState {
  readonly hardState: HardState;
  /** The snapshot the state machine was restored from, if any. */
  readonly snapshot: SnapshotMeta | null;
  /**
   * The stored log after the snapshot (contiguous). The active membership is the
   * latest Config entry here, else the snapshot's, else empty (a joining node that
   * waits for a leader to contact it). Bootstrap writes entry 1 (term 1) holding
   * the first membership, with hardState { term: 1, vote: '', commit: 1 }.
   */
  readonly entries: readonly Entry[];
}
