// The safety invariants of raft.md §4.1 (S1–S12), the client-visible C2/C3
// and the domain invariants I1–I4 of api.md §2, checked incrementally at the
// moment the fact they are about happens: every Ready the cores hand out,
// every message that leaves a node, every entry applied, every snapshot, every
// restart. The first violation throws a Violation, which ends the run.
import { createHash } from 'node:crypto';
import { EntryType, MessageType, type Entry, type Message, type NodeId, type Ready, type SnapshotMeta } from '../../../src/consensus/core/types.js';
import { encodeMembership, tryDecodeMembership } from '../../../src/consensus/core/membership.js';
import { unwrapCommand } from '../../../src/consensus/runtime/request-envelope.js';
import { decodeCommand, type Command } from '../../../src/domain/commands.js';
import type { CommandResult } from '../../../src/domain/command-result.js';
import type { JobStatus } from '../../../src/domain/field-rules.js';
import type { DurableLog } from './disk.js';
import { prefixHash } from './hash.js';
import { LogView } from './log-view.js';
import type { NodeObserver, SimNode } from './node.js';

export class Violation extends Error {
  override readonly name = 'Violation';
  constructor(
    readonly invariant: string,
    readonly detail: string,
  ) {
    super(`${invariant}: ${detail}`);
  }
}

export interface InvariantLimits {
  readonly maxInflight: number;
  readonly maxUncommittedBytes: number;
  /** Compare full state hashes at applied indexes that are multiples of this (S8). */
  readonly stateHashEvery: number;
  /** Check I1–I4 over the whole state every this many commands applied on a node. */
  readonly domainEvery: number;
  /**
   * Also check the protocol's rules directly (a message leaves only once what it claims is
   * durable; a leader commits by counting replicas of its own term's entries only). Off: only
   * their consequences are checked (two leaders, double votes, lost or changed committed entries,
   * non-linearizable histories), to measure how fast those alone catch a bug.
   */
  readonly ruleChecks: boolean;
}

interface Committed {
  readonly term: number;
  /**
   * The term of the node that applied it first: at least the term in which it was
   * committed, so every leader of a later term must hold it (leader completeness).
   */
  readonly commitTerm: number;
  readonly prefix: number;
  /** JSON of the state machine's answer (commands only). */
  readonly result: string | undefined;
}

const ALLOWED: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  Queued: ['Running', 'Canceled'],
  Running: ['Done', 'Canceled'],
  Done: [],
  Canceled: [],
};

/** Room for the largest single proposal on top of the uncommitted cap (an empty tail admits any one). */
const ONE_ENTRY_SLACK = 1024;
const ALL = 1_000_000;

function key(index: number, term: number): number {
  return index * 1_000_000 + term;
}

function processKey(node: SimNode): string {
  return `${node.id}/${node.identity.incarnation}`;
}

/** Entries are shared by reference between nodes: decode each command once. */
const decoded = new WeakMap<Uint8Array, Command>();

function commandOf(data: Uint8Array): Command {
  let c = decoded.get(data);
  if (c === undefined) {
    c = decodeCommand(unwrapCommand(data).payload);
    decoded.set(data, c);
  }
  return c;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export class Invariants implements NodeObserver {
  /** S1: the leader of each term. */
  readonly leaders = new Map<number, NodeId>();
  /** S2: `${term}/${voter}/${incarnation}` → the candidate it voted for. */
  private readonly votes = new Map<string, NodeId>();
  /** S3: highest term a process (node id + incarnation) put in a message, and its latest vote. */
  private readonly sentTerm = new Map<string, number>();
  private readonly lastVote = new Map<string, { term: number; candidate: NodeId }>();
  /** S4: hash of the log prefix ending at (index, term), the same in every log holding that entry. */
  private readonly prefixes = new Map<number, number>();
  /** S5/S7: the entry applied at each index, by whichever node applied it first. */
  readonly committed = new Map<number, Committed>();
  maxCommitted = 0;
  /** S8: state hash at an applied index. */
  private readonly stateHashes = new Map<number, string>();
  /** C3: the first answer given for each idempotency key. */
  private readonly keyResults = new Map<string, string>();
  readonly committedKeys = new Set<string>();
  /** Index at which each runtime request id was first committed. */
  private readonly requestIndex = new Map<string, number>();

  private readonly views = new Map<NodeId, LogView>();
  private readonly lastApplied = new Map<NodeId, number>();
  private readonly leading = new Map<NodeId, number>();
  private readonly oldUncommitted = new Map<NodeId, number>();
  private readonly jobs = new Map<NodeId, Map<string, JobStatus>>();
  /** S6: the highest index each process acknowledged in its current term, with that prefix's hash. */
  private readonly acked = new Map<string, { term: number; index: number; prefix: number }>();
  private readonly commandsApplied = new Map<NodeId, number>();
  checks = 0;
  /**
   * How many hosts hold (index, term) durably, and how many voters there are; set only while
   * the voters never change (with membership changes a majority depends on the configuration).
   */
  durableQuorum: ((index: number, term: number) => { holders: number; voters: number }) | null = null;
  duplicateProposals = 0;
  snapshots = 0;

  constructor(private readonly limits: InvariantLimits) {}

  fail(invariant: string, detail: string): never {
    throw new Violation(invariant, detail);
  }

  /** The entry 1 every bootstrapped node starts with. */
  registerBootstrap(first: Entry): void {
    this.prefixes.set(key(first.index, first.term), prefixHash(0, first));
  }

  // ------------------------------------------------------------ restarts

  /** S3, S11 (the stored log already passed checkStoredLog), S8 at the snapshot a process starts from. */
  processStarted(node: SimNode, durable: DurableLog, snapshot: SnapshotMeta | null, entries: readonly Entry[], commit: number): void {
    const pk = processKey(node);
    const hs = durable.hardState;
    const sent = this.sentTerm.get(pk) ?? 0;
    if (hs.term < sent) this.fail('S3', `${node.id} restarted with term ${hs.term} but had sent messages of term ${sent}`);
    const vote = this.lastVote.get(pk);
    if (vote !== undefined && vote.term === hs.term && hs.vote !== vote.candidate) {
      this.fail('S3', `${node.id} restarted in term ${hs.term} with vote '${hs.vote}' but had voted for ${vote.candidate}`);
    }
    const view = new LogView(snapshot, [], commit);
    this.views.set(node.id, view);
    this.appendToView(node, view, entries);
    this.checkAckedPrefix(node, view, hs.term, 'restarted');
    this.lastApplied.set(node.id, snapshot?.index ?? 0);
    this.leading.delete(node.id);
    if (snapshot !== null) this.checkStateAt(node, snapshot.index);
    this.rebuildJobs(node);
  }

  // --------------------------------------------------------------- Ready

  readyTaken(node: SimNode, rd: Ready): void {
    this.checks++;
    const view = this.view(node);
    if (rd.snapshot !== undefined) {
      this.checkSnapshotBase(node, rd.snapshot);
      view.restore(rd.snapshot);
    }
    const wasLeaderTerm = this.leading.get(node.id);
    const term = rd.hardState?.term ?? node.term;
    const isLeader = rd.softState.role === 'leader';
    if (isLeader && wasLeaderTerm === term && rd.entries.length > 0 && rd.entries[0]!.index <= view.lastIndex()) {
      this.fail('S4', `leader ${node.id} of term ${term} overwrote its own entries from ${rd.entries[0]!.index} (log ends at ${view.lastIndex()})`);
    }
    this.appendToView(node, view, rd.entries);
    this.checkAckedPrefix(node, view, term, 'wrote');
    const commitBefore = view.commit;
    if (rd.hardState !== undefined) view.commit = rd.hardState.commit;
    // Figure 8 (B1): a leader commits by counting replicas of an entry of its own term only.
    if (this.limits.ruleChecks && isLeader && wasLeaderTerm === term && view.commit > commitBefore && view.commit > view.baseIndex && view.termAt(view.commit) !== term) {
      this.fail('S5', `leader ${node.id} of term ${term} committed ${view.commit}, an entry of term ${view.termAt(view.commit)}`);
    }
    // S5: nothing at or below this node's commit index contradicts a committed entry.
    for (const e of rd.entries) {
      if (e.index > view.commit) break;
      this.checkAgainstCommitted(node, e.index, e.term, 'wrote');
    }
    if (isLeader) this.leaderReady(node, rd, view, term, wasLeaderTerm !== term);
    else this.leading.delete(node.id);
    if (rd.snapshot !== undefined || rd.entries.some((e) => e.type === EntryType.Config)) this.checkConfig(node, view);
  }

  private leaderReady(node: SimNode, rd: Ready, view: LogView, term: number, elected: boolean): void {
    const other = this.leaders.get(term);
    if (other !== undefined && other !== node.id) this.fail('S1', `${other} and ${node.id} both lead term ${term}`);
    this.leaders.set(term, node.id);
    if (elected) {
      this.leading.set(node.id, term);
      this.checkLeaderCompleteness(node, view, term);
      let old = 0;
      for (let i = view.commit + 1; i <= view.lastIndex(); i++) if (view.termAt(i) !== term) old += view.sizes[i - view.baseIndex - 1] ?? 0;
      this.oldUncommitted.set(node.id, old);
    }
    // S9: one uncommitted configuration at a time; none before the term's first entry commits (B14, B15).
    let uncommittedConfigs = 0;
    for (const c of view.configs) if (c.index > view.commit) uncommittedConfigs++;
    if (uncommittedConfigs > 1) this.fail('S9', `leader ${node.id} holds ${uncommittedConfigs} uncommitted configuration entries`);
    for (const e of rd.entries) {
      if (e.type === EntryType.Config && e.term === term && view.commit < view.firstIndexOfTerm(term)) {
        this.fail('S9', `leader ${node.id} appended a configuration at ${e.index} before committing an entry of term ${term}`);
      }
    }
    // S10: uncommitted bytes stay under the cap (plus what earlier terms left uncommitted, and one entry).
    const bound = this.limits.maxUncommittedBytes + (this.oldUncommitted.get(node.id) ?? 0) + ONE_ENTRY_SLACK;
    const bytes = view.bytesAfter(view.commit, term);
    if (bytes > bound) this.fail('S10', `leader ${node.id} holds ${bytes} uncommitted bytes (bound ${bound})`);
  }

  /** S5: a new leader's log holds every entry committed in an earlier term. */
  private checkLeaderCompleteness(node: SimNode, view: LogView, term: number): void {
    let c = this.maxCommitted;
    // A late election in an old term needs only what was committed before that term.
    for (let steps = 0; c > 0 && steps < 100_000; c--, steps++) {
      const entry = this.committed.get(c);
      if (entry !== undefined && entry.commitTerm < term) break;
    }
    if (c === 0) return;
    if (c <= view.baseIndex) {
      this.checkSnapshotBase(node, { index: view.baseIndex, term: view.baseTerm, membership: view.baseMembership });
      return;
    }
    const t = view.termAt(c);
    if (t === undefined) this.fail('S5', `${node.id} became leader of term ${term} without committed entry ${c} (log ends at ${view.lastIndex()})`);
    this.checkAgainstCommitted(node, c, t, `leads term ${term} with`);
  }

  private checkAgainstCommitted(node: SimNode, index: number, term: number, what: string): void {
    const c = this.committed.get(index);
    if (c === undefined) return;
    const p = this.prefixes.get(key(index, term));
    if (c.term !== term || c.prefix !== p) {
      this.fail('S5', `${node.id} ${what} entry ${index} of term ${term}, but ${index} was committed with term ${c.term}${c.term === term ? ' and another log prefix' : ''}`);
    }
  }

  private checkSnapshotBase(node: SimNode, meta: SnapshotMeta): void {
    const c = this.committed.get(meta.index);
    if (c === undefined) return;
    if (c.term !== meta.term || c.prefix !== this.prefixes.get(key(meta.index, meta.term))) {
      this.fail('S5', `${node.id} holds snapshot ${meta.index}/${meta.term}, but ${meta.index} was committed with term ${c.term}`);
    }
  }

  /** S4: log matching, through a hash of the whole prefix per (index, term). */
  private appendToView(node: SimNode, view: LogView, entries: readonly Entry[]): void {
    const head = entries[0];
    if (head === undefined) return;
    const beforeTerm = view.termAt(head.index - 1);
    if (beforeTerm === undefined) this.fail('S4', `${node.id} wrote entries from ${head.index} after a log ending at ${view.lastIndex()}`);
    let before = head.index === 1 ? 0 : this.prefixes.get(key(head.index - 1, beforeTerm));
    if (before === undefined) this.fail('S4', `${node.id}: no prefix known for ${head.index - 1}/${beforeTerm}`);
    for (const e of entries) {
      const p = prefixHash(before, e);
      const k = key(e.index, e.term);
      const known = this.prefixes.get(k);
      if (known === undefined) this.prefixes.set(k, p);
      else if (known !== p) this.fail('S4', `${node.id} holds entry ${e.index} of term ${e.term} after a prefix that differs from another log's`);
      before = p;
    }
    view.append(entries);
  }

  /** S9: the active configuration is the latest Config entry in the log, else the snapshot's. */
  private checkConfig(node: SimNode, view: LogView): void {
    const latest = view.configs[view.configs.length - 1];
    const expected = latest !== undefined ? tryDecodeMembership(latest.data) : view.baseMembership;
    if (expected === null) return;
    const actual = node.core.status().membership;
    const a = Buffer.from(encodeMembership(actual)).toString();
    const b = Buffer.from(encodeMembership(expected)).toString();
    if (a !== b) this.fail('S9', `${node.id}'s active configuration ${a} is not the latest in its log ${b}`);
  }

  // ------------------------------------------------------------ messages

  messageSent(node: SimNode, m: Message): void {
    if (node.failed) this.fail('S12', `${node.id} sent ${m.type} after a storage failure`);
    const hs = node.disk.durable.hardState;
    const pk = processKey(node);
    const preVote = m.type === MessageType.PreVote || m.type === MessageType.PreVoteResp;
    const rules = this.limits.ruleChecks;
    if (rules && !preVote && m.term > hs.term) this.fail('S3', `${node.id} sent ${m.type} of term ${m.term} while its durable term is ${hs.term}`);
    if (!preVote && m.term > (this.sentTerm.get(pk) ?? 0)) this.sentTerm.set(pk, m.term);
    if (m.type === MessageType.VoteResp && !m.reject) {
      if (rules && hs.term === m.term && hs.vote !== m.to) {
        this.fail('S3', `${node.id} granted its term-${m.term} vote to ${m.to} while its durable vote is '${hs.vote}' (B6)`);
      }
      this.recordVote(node, m.term, m.to);
    } else if (m.type === MessageType.Vote) {
      if (rules && hs.term === m.term && hs.vote !== node.id) {
        this.fail('S3', `${node.id} campaigned in term ${m.term} before its own vote was durable`);
      }
      this.recordVote(node, m.term, node.id);
    } else if (m.type === MessageType.AppResp && !m.reject && m.index > 0) {
      this.checkAck(node, m);
    }
  }

  private recordVote(node: SimNode, term: number, candidate: NodeId): void {
    const k = `${term}/${node.id}/${node.identity.incarnation}`;
    const prior = this.votes.get(k);
    if (prior !== undefined && prior !== candidate) this.fail('S2', `${node.id} voted for ${prior} and for ${candidate} in term ${term}`);
    this.votes.set(k, candidate);
    const pk = processKey(node);
    const last = this.lastVote.get(pk);
    if (last === undefined || last.term <= term) this.lastVote.set(pk, { term, candidate });
  }

  /** S6: an acknowledged index is durable here, holding the leader's entry. */
  private checkAck(node: SimNode, m: Message): void {
    const durable = node.disk.durable;
    const i = m.index;
    if (durable.snapshot !== null && i <= durable.snapshot.index) return;
    const first = durable.entries[0];
    const stored = first === undefined ? undefined : durable.entries[i - first.index];
    if (stored === undefined || stored.index !== i) {
      if (this.limits.ruleChecks) this.fail('S6', `${node.id} acknowledged index ${i} to ${m.to} (term ${m.term}), which is not durable on it`);
      return;
    }
    const leader = this.leaders.get(m.term);
    const leaderTerm = leader === undefined ? undefined : this.views.get(leader)?.termAt(i);
    if (leaderTerm !== undefined && this.leading.get(leader!) === m.term && leaderTerm !== stored.term) {
      this.fail('S6', `${node.id} acknowledged index ${i} holding term ${stored.term}, the leader ${leader} holds term ${leaderTerm}`);
    }
    const pk = processKey(node);
    const prev = this.acked.get(pk);
    if (prev === undefined || prev.term < m.term || (prev.term === m.term && prev.index < i)) {
      this.acked.set(pk, { term: m.term, index: i, prefix: this.prefixes.get(key(i, stored.term)) ?? -1 });
    }
  }

  /**
   * S6, kept: within the term of an acknowledgement, the acknowledged prefix stays in the log
   * (only a leader of a later term can replace it; B2 cuts it on a stale AppendEntries).
   */
  private checkAckedPrefix(node: SimNode, view: LogView, term: number, what: string): void {
    const a = this.acked.get(processKey(node));
    if (a === undefined || a.term !== term || a.index <= view.baseIndex) return;
    const t = view.termAt(a.index);
    const p = t === undefined ? undefined : this.prefixes.get(key(a.index, t));
    if (p !== a.prefix) {
      this.fail('S6', `${node.id} ${what} a log that lost index ${a.index}, acknowledged in term ${term} (its log now ends at ${view.lastIndex()})`);
    }
  }

  // ------------------------------------------------------------- applies

  applied(node: SimNode, e: Entry, result: CommandResult | undefined): void {
    const last = this.lastApplied.get(node.id) ?? 0;
    if (e.index !== last + 1) this.fail('S7', `${node.id} applied ${e.index} after ${last}`);
    this.lastApplied.set(node.id, e.index);
    const prefix = this.prefixes.get(key(e.index, e.term));
    if (prefix === undefined) this.fail('S7', `${node.id} applied ${e.index}/${e.term}, an entry never written`);
    const resultJson = result === undefined ? undefined : JSON.stringify(result);
    const c = this.committed.get(e.index);
    if (c === undefined) {
      this.checkCommittedDurable(node, e);
      this.committed.set(e.index, { term: e.term, commitTerm: node.term, prefix, result: resultJson });
      if (e.index > this.maxCommitted) this.maxCommitted = e.index;
      this.firstCommit(e, resultJson);
    } else if (c.term !== e.term || c.prefix !== prefix) {
      this.fail('S7', `${node.id} applied entry ${e.index} of term ${e.term}; another node applied term ${c.term} there`);
    } else if (c.result !== resultJson) {
      this.fail('S8', `${node.id} answered entry ${e.index} with ${resultJson ?? 'nothing'}, another node with ${c.result ?? 'nothing'}`);
    }
    if (resultJson !== undefined) this.appliedCommand(node, e, resultJson);
    if (e.index % this.limits.stateHashEvery === 0) this.checkStateAt(node, e.index);
  }

  /**
   * S5: an entry is applied only once it is committed, i.e. durable on a majority of the voters
   * (raft-node applies before its own write; that is only safe because of this).
   */
  private checkCommittedDurable(node: SimNode, e: Entry): void {
    const quorum = this.durableQuorum;
    if (quorum === null) return;
    const { holders, voters } = quorum(e.index, e.term);
    if (holders < Math.floor(voters / 2) + 1) {
      this.fail('S5', `${node.id} applied ${e.index}/${e.term}, which is durable on ${holders} of ${voters} voters only`);
    }
  }

  private firstCommit(e: Entry, resultJson: string | undefined): void {
    if (e.type !== EntryType.Normal || e.data.length === 0) return;
    const { requestId } = unwrapCommand(e.data);
    // A proposal may be committed twice (a duplicated Prop); apply must then answer it from the
    // idempotency table (checked in appliedCommand), so this is only counted.
    if (this.requestIndex.has(requestId)) this.duplicateProposals++;
    else this.requestIndex.set(requestId, e.index);
    const idem = commandOf(e.data).idempotency;
    if (idem !== undefined) this.committedKeys.add(idem.key);
    if (idem !== undefined && resultJson !== undefined && !this.keyResults.has(idem.key)) this.keyResults.set(idem.key, resultJson);
  }

  private appliedCommand(node: SimNode, e: Entry, resultJson: string): void {
    const command = commandOf(e.data);
    const idem = command.idempotency;
    if (idem !== undefined) {
      const first = this.keyResults.get(idem.key);
      if (first !== undefined && first !== resultJson) {
        this.fail('C3', `${node.id} answered a retry of key ${idem.key} at ${e.index} with ${resultJson}, the first answer was ${first}`);
      }
    }
    let filamentId: string | undefined;
    if (command.kind === 'createJob' || command.kind === 'setJobStatus') {
      // I4 from the state itself (a replayed answer says nothing about the current status).
      const id = command.kind === 'createJob' ? command.id : command.jobId;
      const job = node.sm.getPrintJob(id);
      if (job !== undefined) {
        const jobs = this.jobsOf(node);
        const before = jobs.get(id);
        if (before !== undefined && before !== job.status && !ALLOWED[before].includes(job.status)) {
          this.fail('I4', `${node.id} moved job ${id} from ${before} to ${job.status} at ${e.index}`);
        }
        jobs.set(id, job.status);
        filamentId = job.filament_id;
      }
    } else if (command.kind === 'createFilament') {
      filamentId = command.id;
    }
    if (filamentId !== undefined) this.checkFilament(node, filamentId, e.index);
    const n = (this.commandsApplied.get(node.id) ?? 0) + 1;
    this.commandsApplied.set(node.id, n);
    if (n % this.limits.domainEvery === 0) this.checkDomain(node);
  }

  /** I1 for one filament. */
  private checkFilament(node: SimNode, id: string, index: number): void {
    const f = node.sm.getFilament(id);
    if (f === undefined) return;
    const reserved = node.sm.reservedWeight(id) ?? 0;
    const total = f.total_weight_in_grams;
    const remaining = f.remaining_weight_in_grams;
    if (!(reserved >= 0 && reserved <= remaining && remaining <= total)) {
      this.fail('I1', `${node.id} at ${index}: filament ${id} has reserved ${reserved}, remaining ${remaining}, total ${total}`);
    }
  }

  /** I1, I2, I4 and the reservation bookkeeping over the whole state of one node. */
  checkDomain(node: SimNode): void {
    const jobs = this.jobsOf(node);
    for (const f of node.sm.listFilaments({ limit: ALL }).items) {
      let done = 0;
      let reservedByJobs = 0;
      for (const j of node.sm.listPrintJobs({ limit: ALL, filamentId: f.id }).items) {
        if (j.status === 'Done') done += j.print_weight_in_grams;
        if (j.status === 'Queued' || j.status === 'Running') reservedByJobs += j.print_weight_in_grams;
        const seen = jobs.get(j.id);
        if (seen !== undefined && seen !== j.status) this.fail('I4', `${node.id}: job ${j.id} is ${j.status}, its last transition made it ${seen}`);
      }
      const reserved = node.sm.reservedWeight(f.id) ?? 0;
      if (reserved !== reservedByJobs) this.fail('I1', `${node.id}: filament ${f.id} reserves ${reserved} g, its queued and running jobs ${reservedByJobs} g`);
      // The simulated clients create every filament full (remaining = total).
      if (f.remaining_weight_in_grams !== f.total_weight_in_grams - done) {
        this.fail('I2', `${node.id}: filament ${f.id} has ${f.remaining_weight_in_grams} g left of ${f.total_weight_in_grams} g after ${done} g of Done jobs`);
      }
      if (!(reservedByJobs <= f.remaining_weight_in_grams && f.remaining_weight_in_grams <= f.total_weight_in_grams)) {
        this.fail('I1', `${node.id}: filament ${f.id} reserved ${reservedByJobs}, remaining ${f.remaining_weight_in_grams}, total ${f.total_weight_in_grams}`);
      }
    }
  }

  // ------------------------------------------------------------ snapshots

  snapshotInstalled(node: SimNode, meta: SnapshotMeta): void {
    this.lastApplied.set(node.id, meta.index);
    this.checkStateAt(node, meta.index);
    this.rebuildJobs(node);
  }

  snapshotTaken(node: SimNode, meta: SnapshotMeta, data: Uint8Array): void {
    this.snapshots++;
    if (meta.index !== node.applied) this.fail('S8', `${node.id} labelled a snapshot of applied index ${node.applied} as ${meta.index}`);
    this.recordStateHash(node, meta.index, sha256(data));
  }

  failStopped(): void {
    // The process exits at once (main.ts fatal → process.exit); S12 is checked on every send.
  }

  /** S8: equal applied index, equal state (domain state and idempotency table). */
  checkStateAt(node: SimNode, index: number): void {
    this.recordStateHash(node, index, node.sm.stateHash());
  }

  private recordStateHash(node: SimNode, index: number, hash: string): void {
    const known = this.stateHashes.get(index);
    if (known === undefined) this.stateHashes.set(index, hash);
    else if (known !== hash) this.fail('S8', `${node.id}'s state at applied index ${index} differs from another replica's`);
  }

  // ------------------------------------------------------------- helpers

  /** In-flight Apps per follower stay within the window (S10). */
  checkLeaderProgress(node: SimNode): void {
    for (const p of node.core.status().progress) {
      if (p.inflight > this.limits.maxInflight) this.fail('S10', `leader ${node.id} has ${p.inflight} Apps in flight to ${p.id} (max ${this.limits.maxInflight})`);
    }
  }

  /** Index of the latest configuration entry in a process's log (or its snapshot index). */
  latestConfigIndex(id: NodeId): number {
    return this.views.get(id)?.latestConfigIndex() ?? Infinity;
  }

  private view(node: SimNode): LogView {
    const v = this.views.get(node.id);
    if (v === undefined) throw new Error(`no log view for ${node.id}`);
    return v;
  }

  private jobsOf(node: SimNode): Map<string, JobStatus> {
    let m = this.jobs.get(node.id);
    if (m === undefined) {
      m = new Map();
      this.jobs.set(node.id, m);
    }
    return m;
  }

  private rebuildJobs(node: SimNode): void {
    const m = new Map<string, JobStatus>();
    for (const j of node.sm.listPrintJobs({ limit: ALL }).items) m.set(j.id, j.status);
    this.jobs.set(node.id, m);
  }
}
