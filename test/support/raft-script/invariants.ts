// Safety checks run on every event of a scenario (reference §4.1). A scenario
// that breaks one fails at once, whatever its expected transcript says.
import { EntryType, MessageType, type Entry, type Message, type NodeId } from '../../../src/consensus/core/types.js';
import { text } from '../core-network.js';
import type { ScriptNode } from './cluster.js';

export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

function entryKey(e: Entry): string {
  return `${e.term}/${e.type}/${e.type === EntryType.Normal ? text(e) : e.data.length}`;
}

export class Invariants {
  /** S1: the leader of each term. */
  readonly leaders = new Map<number, NodeId>();
  /** S2: `${term}/${voter}` → the candidate it voted for (its own id when it campaigned). */
  private readonly votes = new Map<string, NodeId>();
  /** S5/S7: what was applied at each index, by any node. */
  private readonly committed = new Map<number, string>();
  /** S6: `${term}/${index}` → term of the entry the leader of `term` has at `index`, from its Apps. */
  private readonly leaderLogs = new Map<string, number>();

  /** Every message that leaves a node. */
  sent(m: Message): void {
    if (m.type !== MessageType.App) return;
    if (m.index > 0) this.leaderLogs.set(`${m.term}/${m.index}`, m.logTerm);
    for (const e of m.entries) this.leaderLogs.set(`${m.term}/${e.index}`, e.term);
  }

  /** leaderMessages leave before their Ready is durable: they may only be replication of a durable term. */
  earlyMessage(n: ScriptNode, m: Message): void {
    const early = m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap || m.type === MessageType.TimeoutNow;
    if (!early) throw new InvariantViolation(`${n.id}: ${m.type} sent before its Ready was persisted`);
    if (m.term > n.store.hardState.term) throw new InvariantViolation(`${n.id}: ${m.type} of term ${m.term} left before the term was durable`);
  }

  /** What a message claims must be durable when it leaves (B6, B31, B32; S2, S3, S6). */
  durableBeforeSend(n: ScriptNode, m: Message): void {
    const hs = n.store.hardState;
    const preVote = m.type === MessageType.PreVote || m.type === MessageType.PreVoteResp;
    if (!preVote && m.term > hs.term) throw new InvariantViolation(`${n.id}: ${m.type} of term ${m.term} sent with durable term ${hs.term}`);
    const durableVote = hs.term > m.term ? null : hs.vote;
    if (m.type === MessageType.Vote) {
      if (durableVote !== null && durableVote !== n.id) throw new InvariantViolation(`${n.id}: campaigned in term ${m.term} before its own vote was durable`);
      this.recordVote(m.term, n.id, n.id);
    }
    if (m.type === MessageType.VoteResp && !m.reject) {
      if (durableVote !== null && durableVote !== m.to) {
        throw new InvariantViolation(`${n.id}: granted ${m.to} in term ${m.term} with durable vote '${hs.vote}'`);
      }
      this.recordVote(m.term, n.id, m.to);
    }
    if (m.type === MessageType.AppResp && !m.reject && m.index > 0) this.honestAck(n, m);
  }

  private recordVote(term: number, voter: NodeId, candidate: NodeId): void {
    const key = `${term}/${voter}`;
    const before = this.votes.get(key);
    if (before !== undefined && before !== candidate) {
      throw new InvariantViolation(`S2: ${voter} voted for ${before} and for ${candidate} in term ${term}`);
    }
    this.votes.set(key, candidate);
  }

  /** S6: an acknowledged index holds, durably, the entry the leader of that term has there. */
  private honestAck(n: ScriptNode, m: Message): void {
    const snapIndex = n.store.snapshot?.index ?? 0;
    if (m.index <= snapIndex) return;
    const stored = n.store.entries.find((e) => e.index === m.index);
    if (stored === undefined) throw new InvariantViolation(`S6: ${n.id} acknowledged index ${m.index}, which is not durable`);
    const leaderTerm = this.leaderLogs.get(`${m.term}/${m.index}`);
    if (leaderTerm !== undefined && leaderTerm !== stored.term) {
      throw new InvariantViolation(`S6: ${n.id} acknowledged ${m.index} in term ${m.term}, but its disk holds ${m.index}/${stored.term}, the leader's entry is ${m.index}/${leaderTerm}`);
    }
  }

  /** Entries are applied in order, only once durable, and an index never holds two different entries (S5, S7). */
  applied(n: ScriptNode, e: Entry): void {
    const last = n.applied[n.applied.length - 1];
    const expected = last !== undefined ? last.index + 1 : (n.store.snapshot?.index ?? 0) + 1;
    if (e.index !== expected) throw new InvariantViolation(`${n.id}: applied ${e.index}, expected ${expected}`);
    const stored = n.store.entries.find((x) => x.index === e.index);
    if (stored === undefined || stored.term !== e.term) throw new InvariantViolation(`${n.id}: applied ${e.index}, which is not durable`);
    const key = entryKey(e);
    const seen = this.committed.get(e.index);
    if (seen !== undefined && seen !== key) throw new InvariantViolation(`S5/S7: index ${e.index} applied as ${seen} and as ${key} (${n.id})`);
    this.committed.set(e.index, key);
  }

  /** S1: at most one leader per term. */
  electionSafety(n: ScriptNode): void {
    const st = n.core.status();
    if (st.role !== 'leader') return;
    const other = this.leaders.get(st.term);
    if (other !== undefined && other !== n.id) throw new InvariantViolation(`S1: ${other} and ${n.id} both lead term ${st.term}`);
    this.leaders.set(st.term, n.id);
  }
}
