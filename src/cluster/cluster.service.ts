// Membership and leadership operations behind /cluster/*. Cluster changes are
// made by the leader; a follower forwards the HTTP request to the leader's HTTP
// address and returns its answer, so any node can be asked.
import { HttpException, HttpStatus } from '@nestjs/common';
import type { CoreStatus, Member, Outcome } from '../consensus/core/types.js';
import type { RaftNode } from '../consensus/runtime/raft-node.js';
import { NoLeaderError } from '../consensus/runtime/replicator.js';
import { TOKEN_HEADER } from './cluster-token.guard.js';

export interface JoinRequest {
  readonly id: string;
  readonly raftAddress: string;
  readonly httpAddress: string;
  /**
   * Identifies the joiner's data directory; a different one for a known id means it
   * was wiped. Absent in the original Raft3D's join body: such a member is then
   * recorded with an empty incarnation (not checked on peer connections).
   */
  readonly incarnation: string | undefined;
}

export interface ForwardedAnswer {
  readonly status: number;
  readonly body: unknown;
}

const CHANGE_TIMEOUT_MS = 10_000;

export class ClusterService {
  constructor(
    private readonly node: RaftNode<unknown>,
    private readonly token: string | undefined,
    private readonly requestTimeoutMs: number,
  ) {}

  status(): Record<string, unknown> {
    const st = this.node.status();
    const leader = st.membership.members.find((m) => m.id === st.leader);
    const progress = new Map(st.progress.map((p) => [p.id, p]));
    return {
      id: st.id,
      cluster_id: this.node.clusterId,
      role: st.role,
      term: st.term,
      leader_id: st.leader || null,
      leader_http_address: leader?.httpAddress ?? null,
      commit_index: st.commit,
      applied_index: this.node.appliedIndex,
      snapshot_index: this.node.snapshotMeta?.index ?? 0,
      first_index: st.firstIndex,
      last_log_index: st.lastIndex,
      config_index: st.configIndex,
      transferring_to: st.transferee || null,
      members: st.membership.members.map((m) => {
        const p = progress.get(m.id);
        return {
          id: m.id,
          role: m.role,
          raft_address: m.raftAddress,
          http_address: m.httpAddress,
          incarnation: m.incarnation,
          is_leader: m.id === st.leader,
          ...(p ? { match_index: p.match, next_index: p.next, replication_state: p.state, recent_active: p.recentActive } : {}),
        };
      }),
    };
  }

  /** Adds a node as a learner (the leader promotes it once caught up). */
  async join(req: JoinRequest, forward: () => Promise<ForwardedAnswer>): Promise<ForwardedAnswer> {
    const st = await this.leaderStatus();
    if (st.role !== 'leader') return forward();
    const existing = st.membership.members.find((m) => m.id === req.id);
    if (existing) {
      if (req.incarnation === undefined || existing.incarnation === req.incarnation) {
        // Without an incarnation (the original's join) an existing id is taken to be the same member.
        if (existing.raftAddress !== req.raftAddress) {
          throw new HttpException(
            { error: `${req.id} is already a member at ${existing.raftAddress}; remove it first (DELETE /cluster/members/${req.id})`, code: 'MEMBER_EXISTS' },
            HttpStatus.CONFLICT,
          );
        }
        return { status: 200, body: this.joinAnswer('already a member') };
      }
      if (existing.id === st.id) {
        throw new HttpException(
          { error: `${req.id} is the current leader and cannot be replaced; transfer leadership first`, code: 'MEMBER_IS_LEADER' },
          HttpStatus.CONFLICT,
        );
      }
      // Same id, new data directory: the old member's votes must never count again (B33).
      await this.change({ type: 'remove', id: req.id });
    }
    const member: Member = { id: req.id, role: 'learner', raftAddress: req.raftAddress, httpAddress: req.httpAddress, incarnation: req.incarnation ?? '' };
    await this.change({ type: 'add-learner', member });
    return { status: 200, body: this.joinAnswer('added as a learner') };
  }

  async remove(id: string, forward: () => Promise<ForwardedAnswer>): Promise<ForwardedAnswer> {
    const st = await this.leaderStatus();
    if (st.role !== 'leader') return forward();
    if (!st.membership.members.some((m) => m.id === id)) {
      throw new HttpException({ error: `${id} is not a member`, code: 'NOT_FOUND' }, HttpStatus.NOT_FOUND);
    }
    await this.change({ type: 'remove', id });
    return { status: 200, body: { removed: id, members: this.node.status().membership.members.map((m) => ({ id: m.id, role: m.role })) } };
  }

  async transferLeadership(target: string | undefined, forward: () => Promise<ForwardedAnswer>): Promise<ForwardedAnswer> {
    const st = await this.leaderStatus();
    if (st.role !== 'leader') return forward();
    const to = target ?? pickTransferee(st);
    if (to === undefined) {
      throw new HttpException({ error: 'no other voter is available to take over', code: 'NO_TRANSFEREE' }, HttpStatus.CONFLICT);
    }
    if (to === st.id) return { status: 200, body: { leader_id: st.id } };
    const voters = st.membership.members.filter((m) => m.role === 'voter').map((m) => m.id);
    if (!voters.includes(to)) {
      throw new HttpException({ error: `${to} is not a voter of this cluster (voters: ${voters.join(', ')})`, code: 'INVALID_CHANGE' }, HttpStatus.BAD_REQUEST);
    }
    const out = this.node.transferLeadership(to);
    if (!out.ok) throw refusal(out);
    const deadline = performance.now() + this.requestTimeoutMs;
    while (performance.now() < deadline) {
      const now = this.node.status();
      if (now.leader === to) return { status: 200, body: { leader_id: to, term: now.term } };
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new NoLeaderError(`leadership did not move to ${to} within ${this.requestTimeoutMs} ms`);
  }

  async snapshot(): Promise<Record<string, unknown>> {
    const meta = await this.node.takeSnapshot();
    return { index: meta.index, term: meta.term };
  }

  /** Sends the same request to the leader's HTTP address and returns its answer. */
  async forwardToLeader(method: string, path: string, body: unknown): Promise<ForwardedAnswer> {
    const st = this.node.status();
    const leader = st.membership.members.find((m) => m.id === st.leader);
    if (!leader) throw new NoLeaderError('no leader known');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.token !== undefined) headers[TOKEN_HEADER] = this.token;
    try {
      const res = await fetch(`http://${leader.httpAddress}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // Longer than the leader's own wait for a change, so its answer (not our timeout) reaches the client.
        signal: AbortSignal.timeout(CHANGE_TIMEOUT_MS + this.requestTimeoutMs),
      });
      return { status: res.status, body: await res.json() };
    } catch (error) {
      throw new NoLeaderError(`forwarding to the leader ${leader.id} failed: ${(error as Error).message}`);
    }
  }

  private joinAnswer(result: string): Record<string, unknown> {
    const st = this.node.status();
    return {
      result,
      cluster_id: this.node.clusterId,
      leader_id: st.leader,
      members: st.membership.members.map((m) => ({ id: m.id, role: m.role, raft_address: m.raftAddress, http_address: m.httpAddress })),
    };
  }

  private async leaderStatus(): Promise<CoreStatus> {
    await this.node.waitForLeader(this.requestTimeoutMs);
    return this.node.status();
  }

  private async change(cc: Parameters<RaftNode<unknown>['changeMembership']>[0]): Promise<void> {
    const out = await this.node.changeMembership(cc, CHANGE_TIMEOUT_MS);
    if (!out.ok) throw refusal(out);
  }
}

function pickTransferee(st: CoreStatus): string | undefined {
  return st.progress
    .filter((p) => p.role === 'voter' && p.recentActive)
    .sort((a, b) => b.match - a.match || a.id.localeCompare(b.id))[0]?.id;
}

function refusal(out: Extract<Outcome, { ok: false }>): Error {
  switch (out.reason) {
    case 'no-leader':
    case 'not-leader':
    case 'transferring':
    case 'uncommitted-cap':
      return new NoLeaderError(`the leader cannot do this now (${out.reason})`);
    case 'pending-config':
    case 'term-not-committed':
      return new HttpException({ error: `another membership change is in progress (${out.reason}); retry`, code: 'CHANGE_IN_PROGRESS' }, HttpStatus.CONFLICT);
    case 'invalid':
      return new HttpException({ error: 'the change is not valid for the current membership', code: 'INVALID_CHANGE' }, HttpStatus.BAD_REQUEST);
  }
}
