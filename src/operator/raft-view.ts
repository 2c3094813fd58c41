// The Raft view of one cluster: GET /cluster/status on every running pod in
// parallel; the node that reports itself leader with the highest term is the
// authority on membership, commit and peer health.
import type { NodeClient, NodeStatus } from './node-client.js';
import type { LeaderView, NodeView, RaftView } from './observed.js';

export interface StatusTarget {
  readonly pod: string;
  readonly address: string;
}

export async function observeRaft(client: NodeClient, targets: readonly StatusTarget[]): Promise<RaftView & { leaderAddress: string | null }> {
  const answers = await Promise.allSettled(targets.map((t) => client.status(t.address)));
  const seen: { target: StatusTarget; status: NodeStatus }[] = [];
  answers.forEach((a, i) => {
    if (a.status === 'fulfilled') seen.push({ target: targets[i]!, status: a.value });
  });
  const nodes: NodeView[] = seen.map(({ target, status }) => ({
    pod: target.pod,
    clusterId: status.clusterId,
    role: status.role,
    term: status.term,
    memberIds: status.members.map((m) => m.id),
  }));
  const top = seen.filter((s) => s.status.role === 'leader').sort((a, b) => b.status.term - a.status.term)[0];
  return { leader: top === undefined ? null : leaderView(top.status), nodes, leaderAddress: top?.target.address ?? null };
}

export function leaderView(s: NodeStatus): LeaderView {
  return {
    id: s.id,
    term: s.term,
    clusterId: s.clusterId,
    commitIndex: s.commitIndex,
    lastLogIndex: s.lastLogIndex,
    configIndex: s.configIndex,
    transferringTo: s.transferringTo,
    members: s.members.map((m) => ({
      id: m.id,
      role: m.role,
      // The leader does not report progress for itself; it is alive by definition.
      healthy: m.id === s.id || m.recentActive === true,
      matchIndex: m.id === s.id ? s.lastLogIndex : m.matchIndex,
    })),
  };
}
