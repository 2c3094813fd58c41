// A deterministic in-memory network of RaftCores for scenario and property
// tests. Nothing moves unless the test says so: messages wait on the wire
// until delivered, dropped or duplicated explicitly. Persistence is simulated
// synchronously (leaderMessages out → store → messages out → apply → advance),
// and a crash rebuilds a core from exactly what was stored. Like the runtime,
// the harness reports the outcome of every snapshot transfer to the leader.
// Along the way it checks the contract the core relies on and throws on the
// first violation: nothing a message claims (term, vote, acknowledged index)
// leaves before it is durable (B6, S3, S6), leaderMessages carry only durable
// terms, entries are applied in order and only once durable, at most one
// leader per term (S1), and an index once applied never holds another entry
// on any node (S5/S7).
import { RaftCore } from '../../src/consensus/core/raft-core.js';
import { encodeMembership } from '../../src/consensus/core/membership.js';
import {
  EntryType,
  MessageType,
  type CoreConfig,
  type CoreStatus,
  type Entry,
  type HardState,
  type Member,
  type Membership,
  type Message,
  type NodeId,
  type Ready,
  type ReadState,
  type Rng,
  type SnapshotMeta,
} from '../../src/consensus/core/types.js';

export interface Store {
  hardState: HardState;
  snapshot: SnapshotMeta | null;
  entries: Entry[];
}

export interface SimNode {
  readonly id: NodeId;
  core: RaftCore;
  readonly store: Store;
  /** Entries applied to this node's state machine, in order (restored snapshots included). */
  applied: Entry[];
  readStates: ReadState[];
  failedReads: string[];
  /** Every Ready this incarnation produced, for assertions about what left when. */
  readies: Ready[];
}

export interface Filter {
  readonly from?: NodeId;
  readonly to?: NodeId;
  readonly type?: MessageType;
}

export type CoreOptions = Omit<CoreConfig, 'id' | 'rng'>;

export const DEFAULT_OPTIONS: CoreOptions = {
  electionTicks: 10,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  maxMsgBytes: 1 << 20,
  maxInflight: 64,
  maxUncommittedBytes: 1 << 26,
  learnerCatchUpEntries: 64,
};

/** mulberry32: a tiny seeded PRNG, so every run of a test is identical. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return {
    int(n: number): number {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      return Math.floor(r * n);
    },
  };
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function member(id: NodeId, role: Member['role'] = 'voter'): Member {
  return { id, role, raftAddress: `${id}:7000`, httpAddress: `${id}:8080`, incarnation: `inc-${id}` };
}

export function membershipOf(voters: readonly NodeId[], learners: readonly NodeId[] = []): Membership {
  const members = [...voters.map((id) => member(id)), ...learners.map((id) => member(id, 'learner'))];
  return { members: members.sort((a, b) => (a.id < b.id ? -1 : 1)) };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function bytes(s: string): Uint8Array {
  return enc.encode(s);
}

export function text(e: Entry): string {
  return dec.decode(e.data);
}

/** A log whose entry 1 holds `membership` and whose entry i holds "e<i>t<term>", with the given terms. */
export function logFrom(terms: readonly number[], membership: Membership): Entry[] {
  return terms.map((term, i) =>
    i === 0
      ? { index: 1, term, type: EntryType.Config, data: encodeMembership(membership) }
      : { index: i + 1, term, type: EntryType.Normal, data: bytes(`e${i + 1}t${term}`) },
  );
}

export interface LogSpec {
  readonly terms: readonly number[];
  readonly term?: number;
  readonly vote?: NodeId;
  readonly commit?: number;
}

function matches(m: Message, f: Filter): boolean {
  return (f.from === undefined || m.from === f.from) && (f.to === undefined || m.to === f.to) && (f.type === undefined || m.type === f.type);
}

function entryKey(e: Entry): string {
  return `${e.term}/${e.type}/${dec.decode(e.data)}`;
}

export class CoreNetwork {
  readonly nodes = new Map<NodeId, SimNode>();
  /** Messages sent and not yet delivered or dropped, in send order. */
  wire: Message[] = [];
  readonly options: CoreOptions;
  private readonly seed: number;
  private readonly cut = new Set<string>();
  private readonly down = new Set<NodeId>();
  /** S1: the leader seen for each term. */
  readonly leaders = new Map<number, NodeId>();
  /** S5/S7: the entry applied at each index by any node. */
  readonly committed = new Map<number, string>();
  /** State machine contents behind every snapshot ever taken, by index/term. */
  private readonly snapshotStates = new Map<string, Entry[]>();
  private incarnations = 0;
  /** When false, Readies are handled only by explicit process() calls (more interleavings, crashes mid-Ready). */
  autoProcess = true;

  constructor(options: Partial<CoreOptions> = {}, seed = 1) {
    this.options = { ...DEFAULT_OPTIONS, ...options };
    this.seed = seed;
  }

  /** A cluster bootstrapped like the runtime does: entry 1 (term 1) holds the first membership. */
  static bootstrap(voters: readonly NodeId[], learners: readonly NodeId[] = [], options: Partial<CoreOptions> = {}, seed = 1): CoreNetwork {
    const net = new CoreNetwork(options, seed);
    const first: Entry = { index: 1, term: 1, type: EntryType.Config, data: encodeMembership(membershipOf(voters, learners)) };
    for (const id of [...voters, ...learners]) {
      net.addNode(id, { hardState: { term: 1, vote: '', commit: 1 }, snapshot: null, entries: [first] });
    }
    return net;
  }

  /** A cluster whose nodes start from the given logs (entry 1 holds the membership of `voters`). */
  static withLogs(voters: readonly NodeId[], logs: Readonly<Record<NodeId, LogSpec>>, options: Partial<CoreOptions> = {}, seed = 1): CoreNetwork {
    const net = new CoreNetwork(options, seed);
    const membership = membershipOf(voters);
    for (const id of voters) {
      const spec = logs[id] ?? { terms: [1] };
      const term = spec.term ?? Math.max(...spec.terms);
      net.addNode(id, { hardState: { term, vote: spec.vote ?? '', commit: spec.commit ?? 1 }, snapshot: null, entries: logFrom(spec.terms, membership) });
    }
    return net;
  }

  /** Adds a node with the given durable state (an empty store: a node waiting to be added). */
  addNode(id: NodeId, store: Store = { hardState: { term: 0, vote: '', commit: 0 }, snapshot: null, entries: [] }): SimNode {
    const node: SimNode = {
      id,
      core: this.buildCore(id, store),
      store: { hardState: store.hardState, snapshot: store.snapshot, entries: [...store.entries] },
      applied: [],
      readStates: [],
      failedReads: [],
      readies: [],
    };
    if (store.snapshot !== null) {
      const key = `${store.snapshot.index}/${store.snapshot.term}`;
      if (!this.snapshotStates.has(key)) this.snapshotStates.set(key, []);
      node.applied = this.restoredState(store.snapshot);
    }
    this.nodes.set(id, node);
    return node;
  }

  node(id: NodeId): SimNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`unknown node ${id}`);
    return n;
  }

  core(id: NodeId): RaftCore {
    return this.node(id).core;
  }

  status(id: NodeId): CoreStatus {
    return this.core(id).status();
  }

  ids(): NodeId[] {
    return [...this.nodes.keys()];
  }

  isDown(id: NodeId): boolean {
    return this.down.has(id);
  }

  // ------------------------------------------------------------ time, I/O

  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) {
      if (this.down.has(id)) return;
      this.core(id).tick();
      if (this.autoProcess) this.process(id);
    }
  }

  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) for (const id of this.ids()) this.tick(id);
  }

  /** n rounds of: every node ticks once, then all traffic settles. */
  run(n: number, maxMessages = 100_000): void {
    for (let i = 0; i < n; i++) {
      this.tickAll();
      this.stabilize(maxMessages);
    }
  }

  /** Handles every pending Ready of `id` the way the runtime does. */
  process(id: NodeId): void {
    const node = this.node(id);
    for (let guard = 0; node.core.hasReady(); guard++) {
      if (guard > 1000) throw new Error(`${id}: hasReady() never settles`);
      const rd = node.core.ready();
      node.readies.push(rd);
      for (const m of rd.leaderMessages) this.checkEarlyMessage(node, m);
      this.route(rd.leaderMessages);
      this.persist(node, rd);
      for (const m of rd.messages) this.checkDurableBeforeSend(node, m);
      this.route(rd.messages);
      this.apply(node, rd);
      node.readStates.push(...rd.readStates);
      node.failedReads.push(...rd.failedReads);
      node.core.advance(rd);
      this.checkElectionSafety(node);
    }
  }

  processAll(): void {
    for (const id of this.ids()) if (!this.down.has(id)) this.process(id);
  }

  // ---------------------------------------------------------------- wire

  pending(f: Filter = {}): Message[] {
    return this.wire.filter((m) => matches(m, f));
  }

  /** Delivers (in send order) the pending messages matching `f` that were on the wire when called. */
  deliver(f: Filter = {}): number {
    const batch = this.pending(f);
    this.wire = this.wire.filter((m) => !batch.includes(m));
    for (const m of batch) this.stepInto(m);
    return batch.length;
  }

  /** Delivers the i-th pending message (any order: reordering). */
  deliverAt(i: number): void {
    const m = this.wire[i];
    if (m === undefined) return;
    this.wire = this.wire.filter((x) => x !== m);
    this.stepInto(m);
  }

  dropAt(i: number): void {
    const m = this.wire[i];
    if (m === undefined) return;
    this.wire = this.wire.filter((x) => x !== m);
    this.lost(m);
  }

  /** Delivers one message (it need not be on the wire: duplicates and crafted messages too). */
  inject(m: Message): void {
    this.stepInto(m);
  }

  drop(f: Filter = {}): number {
    const dropped = this.pending(f);
    this.wire = this.wire.filter((m) => !dropped.includes(m));
    for (const m of dropped) this.lost(m);
    return dropped.length;
  }

  /** Takes matching messages off the wire without delivering them (to deliver later, reordered). */
  hold(f: Filter = {}): Message[] {
    const held = this.pending(f);
    this.wire = this.wire.filter((m) => !held.includes(m));
    return held;
  }

  /** Delivers everything until no message is left; bounded. */
  stabilize(maxMessages = 100_000): number {
    let n = 0;
    for (;;) {
      this.processAll();
      if (this.wire.length === 0) return n;
      if (n > maxMessages) throw new Error('network did not settle');
      n += this.deliver();
    }
  }

  /** Cuts the links between a and b in both directions (messages on a cut link are lost when sent). */
  cutLink(a: NodeId, b: NodeId): void {
    this.cut.add(`${a}>${b}`);
    this.cut.add(`${b}>${a}`);
  }

  isolate(id: NodeId): void {
    for (const other of this.ids()) if (other !== id) this.cutLink(id, other);
  }

  partition(...groups: NodeId[][]): void {
    for (const g of groups) for (const h of groups) if (g !== h) for (const a of g) for (const b of h) this.cutLink(a, b);
  }

  heal(): void {
    this.cut.clear();
  }

  // -------------------------------------------------------------- faults

  /** The process dies: everything not in its store is lost; it stays down until restart(). */
  stop(id: NodeId): void {
    this.down.add(id);
  }

  /** Restarts from the store (what a runtime would read back from disk). */
  restart(id: NodeId): void {
    const node = this.node(id);
    this.down.delete(id);
    node.core = this.buildCore(id, node.store);
    node.applied = node.store.snapshot !== null ? this.restoredState(node.store.snapshot) : [];
    node.readStates = [];
    node.failedReads = [];
    node.readies = [];
  }

  crash(id: NodeId): void {
    this.stop(id);
    this.restart(id);
  }

  /** The runtime sends the leader's early messages while a write is in progress (takeLeaderMessages). */
  sendEarly(id: NodeId): void {
    if (this.down.has(id)) return;
    const node = this.node(id);
    const early = node.core.takeLeaderMessages();
    for (const m of early) this.checkEarlyMessage(node, m);
    this.route(early);
  }

  /**
   * Crashes while handling a Ready: its leaderMessages already left (they may
   * be sent before the write), its write never completed.
   */
  crashMidReady(id: NodeId): void {
    const node = this.node(id);
    if (!this.down.has(id) && node.core.hasReady()) {
      const rd = node.core.ready();
      for (const m of rd.leaderMessages) this.checkEarlyMessage(node, m);
      this.route(rd.leaderMessages);
    }
    this.crash(id);
  }

  // ------------------------------------------------------------ helpers

  propose(id: NodeId, data: string): ReturnType<RaftCore['propose']> {
    const out = this.core(id).propose(bytes(data));
    this.process(id);
    return out;
  }

  /** The runtime's snapshot: the applied state at the applied index, keeping `trailing` entries. */
  takeSnapshot(id: NodeId, trailing = 0): SnapshotMeta {
    const node = this.node(id);
    const st = node.core.status();
    const index = st.applied;
    const last = node.applied[node.applied.length - 1];
    const term = last !== undefined && last.index === index ? last.term : (node.store.snapshot?.term ?? 0);
    const meta: SnapshotMeta = { index, term, membership: node.core.membershipAt(index) };
    this.snapshotStates.set(`${index}/${term}`, [...node.applied]);
    const compactTo = Math.max(0, index - trailing);
    node.store.snapshot = meta;
    node.store.entries = node.store.entries.filter((e) => e.index > compactTo);
    node.core.snapshotTaken(meta, compactTo);
    return meta;
  }

  /** Ticks `id` alone until it leaves the follower role; nothing is delivered. */
  elapseTimeout(id: NodeId): void {
    const limit = 2 * this.options.electionTicks + 1;
    for (let i = 0; i < limit && this.status(id).role === 'follower'; i++) this.tick(id);
  }

  /** Ticks `id` alone until it leaves the follower role, then settles the network. */
  campaign(id: NodeId): void {
    this.elapseTimeout(id);
    this.stabilize();
  }

  /**
   * The leader of the highest term among running nodes, or ''. A deposed
   * leader of an older term may not know it yet (e.g. removed from the
   * configuration without check-quorum).
   */
  leaderId(): NodeId {
    let best: NodeId = '';
    let bestTerm = -1;
    for (const id of this.ids()) {
      const st = this.status(id);
      if (!this.down.has(id) && st.role === 'leader' && st.term > bestTerm) {
        best = id;
        bestTerm = st.term;
      }
    }
    return best;
  }

  appliedData(id: NodeId): string[] {
    return this.node(id).applied.filter((e) => e.type === EntryType.Normal && e.data.length > 0).map(text);
  }

  /** Terms of the stored entries (after the snapshot), for log-shape assertions. */
  logTerms(id: NodeId): number[] {
    return this.node(id).store.entries.map((e) => e.term);
  }

  /** Every message this incarnation of `id` sent (leaderMessages and messages), in order. */
  sent(id: NodeId, f: Filter = {}): Message[] {
    return this.node(id)
      .readies.flatMap((rd) => [...rd.leaderMessages, ...rd.messages])
      .filter((m) => matches(m, f));
  }

  // ------------------------------------------------------------ internals

  private buildCore(id: NodeId, store: Store): RaftCore {
    this.incarnations++;
    const rng = seededRng(this.seed ^ hashString(id) ^ Math.imul(this.incarnations, 0x9e3779b1));
    return new RaftCore({ ...this.options, id, rng }, { hardState: store.hardState, snapshot: store.snapshot, entries: [...store.entries] });
  }

  private route(msgs: readonly Message[]): void {
    for (const m of msgs) {
      if (this.cut.has(`${m.from}>${m.to}`) || !this.nodes.has(m.to)) this.lost(m);
      else this.wire.push(m);
    }
  }

  private stepInto(m: Message): void {
    if (this.down.has(m.to) || !this.nodes.has(m.to)) {
      this.lost(m);
      return;
    }
    this.core(m.to).step(m);
    if (this.autoProcess) this.process(m.to);
    // Like the runtime's snapshot sender: the stream finished.
    if (m.type === MessageType.Snap) this.reportSnapshot(m, true);
  }

  /** A message that will never arrive; a lost Snap is a failed snapshot transfer, which the runtime reports. */
  private lost(m: Message): void {
    if (m.type === MessageType.Snap) this.reportSnapshot(m, false);
  }

  private reportSnapshot(m: Message, ok: boolean): void {
    if (this.down.has(m.from) || !this.nodes.has(m.from)) return;
    this.core(m.from).reportSnapshot(m.to, ok);
    if (this.autoProcess) this.process(m.from);
  }

  private persist(node: SimNode, rd: Ready): void {
    const s = node.store;
    if (rd.snapshot !== undefined) {
      s.snapshot = rd.snapshot;
      s.entries = [];
      node.applied = this.restoredState(rd.snapshot);
    }
    const first = rd.entries[0];
    if (first !== undefined) {
      const prevLast = s.entries.length > 0 ? s.entries[s.entries.length - 1]!.index : (s.snapshot?.index ?? 0);
      if (first.index > prevLast + 1) throw new Error(`${node.id}: Ready entries start at ${first.index}, stored log ends at ${prevLast}`);
      s.entries = s.entries.filter((e) => e.index < first.index).concat(rd.entries);
    }
    if (rd.hardState !== undefined) {
      if (rd.hardState.term < s.hardState.term) throw new Error(`${node.id}: term went back`);
      s.hardState = rd.hardState;
    }
  }

  private apply(node: SimNode, rd: Ready): void {
    for (const e of rd.committed) {
      const last = node.applied[node.applied.length - 1];
      const expected = last !== undefined ? last.index + 1 : (node.store.snapshot?.index ?? 0) + 1;
      if (e.index !== expected) throw new Error(`${node.id}: applied ${e.index}, expected ${expected}`);
      const stored = node.store.entries.find((x) => x.index === e.index);
      if (stored === undefined || stored.term !== e.term) throw new Error(`${node.id}: applied ${e.index} which is not durable`);
      const key = entryKey(e);
      const seen = this.committed.get(e.index);
      if (seen !== undefined && seen !== key) throw new Error(`S5/S7: index ${e.index} committed as ${seen} and as ${key} (${node.id})`);
      this.committed.set(e.index, key);
      node.applied.push(e);
    }
  }

  /** leaderMessages leave before the Ready is persisted: they may not rely on anything in it. */
  private checkEarlyMessage(node: SimNode, m: Message): void {
    if (m.type !== MessageType.App && m.type !== MessageType.Heartbeat && m.type !== MessageType.Snap && m.type !== MessageType.TimeoutNow) {
      throw new Error(`${node.id}: ${m.type} sent before persisting`);
    }
    if (m.term > node.store.hardState.term) throw new Error(`${node.id}: ${m.type} of term ${m.term} left before the term was durable`);
  }

  /** What a message claims must be durable when it leaves (B6, S6). */
  private checkDurableBeforeSend(node: SimNode, m: Message): void {
    const hs = node.store.hardState;
    const isPreVote = m.type === MessageType.PreVote || m.type === MessageType.PreVoteResp;
    if (!isPreVote && m.term > hs.term) throw new Error(`${node.id}: ${m.type} of term ${m.term} sent with durable term ${hs.term}`);
    // A node durably past the message's term can never act in that term again.
    const votedFor = hs.term > m.term ? null : hs.vote;
    if (m.type === MessageType.VoteResp && !m.reject && votedFor !== null && votedFor !== m.to) {
      throw new Error(`${node.id}: granted a vote to ${m.to} in term ${m.term} with durable vote '${hs.vote}'`);
    }
    if (m.type === MessageType.Vote && votedFor !== null && votedFor !== node.id) {
      throw new Error(`${node.id}: campaigned in term ${m.term} before its own vote was durable`);
    }
    if (m.type === MessageType.AppResp && !m.reject && m.index > 0) {
      const snapIndex = node.store.snapshot?.index ?? 0;
      const stored = m.index <= snapIndex || node.store.entries.some((e) => e.index === m.index);
      if (!stored) throw new Error(`${node.id}: acknowledged index ${m.index} which is not durable`);
    }
  }

  private checkElectionSafety(node: SimNode): void {
    const st = node.core.status();
    if (st.role !== 'leader') return;
    const other = this.leaders.get(st.term);
    if (other !== undefined && other !== node.id) throw new Error(`S1: ${other} and ${node.id} both lead term ${st.term}`);
    this.leaders.set(st.term, node.id);
  }

  private restoredState(meta: SnapshotMeta): Entry[] {
    const state = this.snapshotStates.get(`${meta.index}/${meta.term}`);
    if (state === undefined) throw new Error(`no state recorded for snapshot ${meta.index}/${meta.term}`);
    return state.filter((e) => e.index <= meta.index);
  }
}
