// The cluster a scenario script drives: RaftCores on a wire where nothing moves
// unless the script says so, each with a simulated disk. The disk is the
// runtime's drive loop made explicit (raft-node.ts): a Ready is handed out, its
// leaderMessages leave at once, then its write runs; only when the write
// completes do its other messages leave, its entries get applied and the core
// is advanced. A disk is either synchronous (the write completes at once) or
// stalled (it completes when the script says so); a crash loses a write in
// flight. Peer messages keep stepping into the core while a write is in
// flight, exactly as the runtime's onFrame does, and a leader's replication
// still leaves meanwhile (RaftCore.takeLeaderMessages).
import { RaftCore } from '../../../src/consensus/core/raft-core.js';
import { encodeMembership } from '../../../src/consensus/core/membership.js';
import {
  EntryType,
  MessageType,
  type CoreStatus,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type Outcome,
  type Ready,
  type ReadState,
  type SnapshotMeta,
} from '../../../src/consensus/core/types.js';
import { DEFAULT_OPTIONS, logFrom, membershipOf, seededRng, text, type CoreOptions } from '../core-network.js';
import { Invariants } from './invariants.js';

export interface DurableStore {
  hardState: HardState;
  snapshot: SnapshotMeta | null;
  entries: Entry[];
}

export interface ScriptNode {
  readonly id: NodeId;
  core: RaftCore;
  /** What survives a crash. */
  store: DurableStore;
  /** The state machine: every entry applied, in order (a restored snapshot's entries first). */
  applied: Entry[];
  readStates: ReadState[];
  failedReads: string[];
  /** Every message this incarnation sent, lost ones included. */
  sent: Message[];
  incarnation: number;
  down: boolean;
  frozen: boolean;
  stalled: boolean;
  /** A Ready whose write has not completed. */
  inflight: Ready | null;
}

export interface NodeSpec {
  readonly terms: readonly number[];
  readonly term?: number;
  readonly vote?: NodeId;
  readonly commit?: number;
}

interface Proposal {
  readonly node: NodeId;
  readonly incarnation: number;
}

const VOTE_TYPES: ReadonlySet<MessageType> = new Set([MessageType.PreVote, MessageType.PreVoteResp, MessageType.Vote, MessageType.VoteResp]);

export function isVoteTraffic(m: Message): boolean {
  return VOTE_TYPES.has(m.type);
}

export class ScriptCluster {
  readonly nodes = new Map<NodeId, ScriptNode>();
  /** Sent, not yet delivered or dropped, in send order. */
  wire: Message[] = [];
  /** Taken off the wire by `hold`, waiting for `release`. */
  held: Message[] = [];
  readonly invariants = new Invariants();
  /** Client proposals by value, and the values whose client got an answer. */
  private readonly proposals = new Map<string, Proposal>();
  readonly acked: string[] = [];
  private readonly cut = new Set<string>();
  private readonly snapshots = new Map<string, { meta: SnapshotMeta; state: Entry[] }>();
  private incarnations = 0;

  constructor(
    readonly options: CoreOptions = DEFAULT_OPTIONS,
    private readonly seed = 1,
  ) {}

  // ------------------------------------------------------------- setup

  bootstrap(voters: readonly NodeId[], learners: readonly NodeId[]): void {
    const first: Entry = { index: 1, term: 1, type: EntryType.Config, data: encodeMembership(membershipOf(voters, learners)) };
    for (const id of [...voters, ...learners]) this.addNode(id, { hardState: { term: 1, vote: '', commit: 1 }, snapshot: null, entries: [first] });
  }

  /** Nodes starting from given logs; entry 1 of each holds the membership of `voters`. */
  withLogs(voters: readonly NodeId[], specs: ReadonlyMap<NodeId, NodeSpec>): void {
    const membership = membershipOf(voters);
    for (const id of voters) {
      const spec = specs.get(id) ?? { terms: [1] };
      const term = spec.term ?? Math.max(...spec.terms);
      const hardState = { term, vote: spec.vote ?? '', commit: spec.commit ?? 1 };
      this.addNode(id, { hardState, snapshot: null, entries: logFrom(spec.terms, membership) });
    }
  }

  /** A node with an empty store: it waits until a leader contacts it. */
  addNode(id: NodeId, store: DurableStore = { hardState: { term: 0, vote: '', commit: 0 }, snapshot: null, entries: [] }): ScriptNode {
    if (this.nodes.has(id)) throw new Error(`node ${id} already exists`);
    const node: ScriptNode = {
      id,
      core: this.buildCore(id, store),
      store: { ...store, entries: [...store.entries] },
      applied: [],
      readStates: [],
      failedReads: [],
      sent: [],
      incarnation: this.incarnations,
      down: false,
      frozen: false,
      stalled: false,
      inflight: null,
    };
    this.nodes.set(id, node);
    return node;
  }

  node(id: NodeId): ScriptNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`unknown node ${id}`);
    return n;
  }

  /** A node that can act now (not crashed). */
  live(id: NodeId): ScriptNode {
    const n = this.node(id);
    if (n.down) throw new Error(`${id} is down`);
    return n;
  }

  status(id: NodeId): CoreStatus {
    return this.node(id).core.status();
  }

  ids(): NodeId[] {
    return [...this.nodes.keys()];
  }

  /** The leader of the highest term among running nodes, or ''. */
  leaderId(): NodeId {
    let best: NodeId = '';
    let bestTerm = -1;
    for (const n of this.nodes.values()) {
      const st = n.core.status();
      if (!n.down && st.role === 'leader' && st.term > bestTerm) {
        best = n.id;
        bestTerm = st.term;
      }
    }
    return best;
  }

  // --------------------------------------------------------- time, I/O

  tick(id: NodeId): void {
    const n = this.live(id);
    if (n.frozen) return;
    n.core.tick();
    this.process(id);
  }

  /** Drives the node's Readies as far as its disk lets it. */
  process(id: NodeId): void {
    const n = this.node(id);
    if (n.down || n.frozen) return;
    for (let guard = 0; ; guard++) {
      if (guard > 1000) throw new Error(`${id}: hasReady() never settles`);
      if (n.inflight !== null) {
        if (!n.stalled) {
          this.completeWrite(n);
          continue;
        }
        // Like the runtime while a write is in flight: a leader's replication
        // and heartbeats still leave (they never wait behind a slow fsync, B13).
        const early = n.core.takeLeaderMessages();
        for (const m of early) this.invariants.earlyMessage(n, m);
        this.send(n, early);
        return;
      }
      if (!n.core.hasReady()) return;
      const rd = n.core.ready();
      for (const m of rd.leaderMessages) this.invariants.earlyMessage(n, m);
      this.send(n, rd.leaderMessages);
      n.inflight = rd;
    }
  }

  /** Completes the write in flight on a stalled disk; the next Ready is then handed out (and stays in flight). */
  completeStalledWrite(id: NodeId): Ready | null {
    const n = this.live(id);
    const rd = n.inflight;
    if (rd === null) return null;
    this.completeWrite(n);
    this.process(id);
    return rd;
  }

  setStalled(id: NodeId, stalled: boolean): void {
    this.live(id).stalled = stalled;
    if (!stalled) this.process(id);
  }

  private completeWrite(n: ScriptNode): void {
    const rd = n.inflight;
    if (rd === null) return;
    this.persist(n, rd);
    for (const m of rd.messages) this.invariants.durableBeforeSend(n, m);
    this.send(n, rd.messages);
    this.apply(n, rd);
    n.readStates.push(...rd.readStates);
    n.failedReads.push(...rd.failedReads);
    n.inflight = null;
    n.core.advance(rd);
    this.invariants.electionSafety(n);
  }

  // --------------------------------------------------------------- wire

  /** Delivers one message now (from the wire, the held list, or crafted). Returns false if it stays pending (frozen recipient). */
  deliver(m: Message): boolean {
    const to = this.nodes.get(m.to);
    if (to === undefined || to.down) {
      this.lost(m);
      return true;
    }
    if (to.frozen) return false;
    to.core.step(m);
    this.process(m.to);
    // Like the runtime's snapshot sender once the stream finished.
    if (m.type === MessageType.Snap) this.reportSnapshot(m, true);
    return true;
  }

  /** Delivers the given wire messages in order; those to frozen nodes stay on the wire. */
  deliverAll(batch: readonly Message[]): Message[] {
    const set = new Set(batch);
    this.wire = this.wire.filter((m) => !set.has(m));
    const delivered: Message[] = [];
    for (const m of batch) {
      if (this.deliver(m)) delivered.push(m);
      else this.wire.push(m);
    }
    return delivered;
  }

  drop(batch: readonly Message[]): void {
    const set = new Set(batch);
    this.wire = this.wire.filter((m) => !set.has(m));
    for (const m of batch) this.lost(m);
  }

  /** Delivers everything deliverable until nothing moves; bounded. */
  stabilize(limit = 200_000): number {
    let n = 0;
    for (;;) {
      for (const id of this.ids()) this.process(id);
      const batch = this.wire.filter((m) => !(this.nodes.get(m.to)?.frozen ?? false));
      if (batch.length === 0) return n;
      if (n > limit) throw new Error('the network did not settle');
      n += this.deliverAll(batch).length;
    }
  }

  // ------------------------------------------------------------- links

  /** Cuts a↔b; returns the messages that were in flight over it (lost with it). */
  cutLink(a: NodeId, b: NodeId): Message[] {
    this.cut.add(`${a}>${b}`);
    this.cut.add(`${b}>${a}`);
    const crossing = this.wire.filter((m) => this.isCut(m.from, m.to));
    this.drop(crossing);
    return crossing;
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  heal(): void {
    this.cut.clear();
  }

  // ------------------------------------------------------------ faults

  /** The process dies: a write in flight is lost; the store stays as it was. */
  crash(id: NodeId): Ready | null {
    const n = this.live(id);
    const lost = n.inflight;
    n.inflight = null;
    n.down = true;
    n.frozen = false;
    return lost;
  }

  restart(id: NodeId): void {
    const n = this.node(id);
    if (!n.down) throw new Error(`${id} is running`);
    n.down = false;
    n.stalled = false;
    n.core = this.buildCore(id, n.store);
    n.incarnation = this.incarnations;
    n.applied = n.store.snapshot !== null ? this.restoredState(n.store.snapshot) : [];
    n.readStates = [];
    n.failedReads = [];
    n.sent = [];
  }

  // ---------------------------------------------------------- clients

  /** Proposes every value, then handles the Ready once: values proposed together travel together (group commit). */
  propose(id: NodeId, values: readonly string[]): Outcome[] {
    const n = this.live(id);
    const outcomes = values.map((value) => {
      const out = n.core.propose(new TextEncoder().encode(value));
      if (out.ok && !this.proposals.has(value)) this.proposals.set(value, { node: id, incarnation: n.incarnation });
      return out;
    });
    this.process(id);
    return outcomes;
  }

  /** The runtime's snapshot: the applied state at the applied index, keeping `trailing` entries. */
  takeSnapshot(id: NodeId, trailing: number): SnapshotMeta {
    const n = this.live(id);
    if (n.inflight !== null) throw new Error(`${id}: a write is in flight`);
    const index = n.core.status().applied;
    const last = n.applied[n.applied.length - 1];
    const term = last !== undefined && last.index === index ? last.term : (n.store.snapshot?.term ?? 0);
    const meta: SnapshotMeta = { index, term, membership: n.core.membershipAt(index) };
    this.snapshots.set(snapshotKey(meta.index, meta.term), { meta, state: [...n.applied] });
    const compactTo = Math.max(0, index - trailing);
    n.store.snapshot = meta;
    n.store.entries = n.store.entries.filter((e) => e.index > compactTo);
    n.core.snapshotTaken(meta, compactTo);
    this.process(id);
    return meta;
  }

  /** A snapshot taken earlier on some node, by index and term. */
  snapshotMeta(index: number, term: number): SnapshotMeta {
    const s = this.snapshots.get(snapshotKey(index, term));
    if (s === undefined) throw new Error(`no snapshot ${index}/${term} was taken`);
    return s.meta;
  }

  /** Values of client commands applied on a node, in order. */
  values(id: NodeId): string[] {
    return this.node(id)
      .applied.filter((e) => e.type === EntryType.Normal && e.data.length > 0)
      .map(text);
  }

  // --------------------------------------------------------- internals

  private buildCore(id: NodeId, store: DurableStore): RaftCore {
    this.incarnations++;
    const rng = seededRng(this.seed ^ hashString(id) ^ Math.imul(this.incarnations, 0x9e3779b1));
    return new RaftCore({ ...this.options, id, rng }, { hardState: store.hardState, snapshot: store.snapshot, entries: [...store.entries] });
  }

  private send(n: ScriptNode, msgs: readonly Message[]): void {
    for (const m of msgs) {
      n.sent.push(m);
      this.invariants.sent(m);
      if (this.isCut(m.from, m.to) || !this.nodes.has(m.to)) this.lost(m);
      else this.wire.push(m);
    }
  }

  /** A message that never arrives; a lost Snap is a failed transfer, which the runtime reports. */
  private lost(m: Message): void {
    if (m.type === MessageType.Snap) this.reportSnapshot(m, false);
  }

  private reportSnapshot(m: Message, ok: boolean): void {
    const from = this.nodes.get(m.from);
    if (from === undefined || from.down) return;
    from.core.reportSnapshot(m.to, ok);
    this.process(m.from);
  }

  private persist(n: ScriptNode, rd: Ready): void {
    const s = n.store;
    if (rd.snapshot !== undefined) {
      s.snapshot = rd.snapshot;
      s.entries = [];
      n.applied = this.restoredState(rd.snapshot);
    }
    const first = rd.entries[0];
    if (first !== undefined) {
      const prevLast = s.entries.length > 0 ? s.entries[s.entries.length - 1]!.index : (s.snapshot?.index ?? 0);
      if (first.index > prevLast + 1) throw new Error(`${n.id}: Ready entries start at ${first.index}, the stored log ends at ${prevLast}`);
      s.entries = s.entries.filter((e) => e.index < first.index).concat(rd.entries);
    }
    if (rd.hardState !== undefined) {
      if (rd.hardState.term < s.hardState.term) throw new Error(`${n.id}: the durable term went back`);
      s.hardState = rd.hardState;
    }
  }

  private apply(n: ScriptNode, rd: Ready): void {
    for (const e of rd.committed) {
      this.invariants.applied(n, e);
      n.applied.push(e);
      if (e.type !== EntryType.Normal || e.data.length === 0) continue;
      const value = text(e);
      const p = this.proposals.get(value);
      if (p !== undefined && p.node === n.id && p.incarnation === n.incarnation && !this.acked.includes(value)) this.acked.push(value);
    }
  }

  private restoredState(meta: SnapshotMeta): Entry[] {
    const s = this.snapshots.get(snapshotKey(meta.index, meta.term));
    if (s === undefined) throw new Error(`no state recorded for snapshot ${meta.index}/${meta.term}`);
    return s.state.filter((e) => e.index <= meta.index);
  }
}

function snapshotKey(index: number, term: number): string {
  return `${index}/${term}`;
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
