// Derived views of a node's CoreStatus shared by the metrics and the readiness
// check, so that both agree on what "healthy voter" and "quorum" mean.
import type { CoreStatus, MemberRole, NodeId } from '../consensus/core/types.js';

export interface MemberCounts {
  readonly voter: number;
  readonly learner: number;
}

export function memberCounts(status: CoreStatus): MemberCounts {
  let voter = 0;
  let learner = 0;
  for (const m of status.membership.members) {
    if (m.role === 'voter') voter++;
    else learner++;
  }
  return { voter, learner };
}

export function roleOf(status: CoreStatus, id: NodeId): MemberRole | null {
  return status.membership.members.find((m) => m.id === id)?.role ?? null;
}

export function quorumSize(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/**
 * Voters the leader has heard from within the last election timeout, itself
 * included when it is a voter. Null when this node is not the leader: only the
 * leader tracks its peers' activity.
 */
export function healthyVoters(status: CoreStatus): number | null {
  if (status.role !== 'leader') return null;
  const active = new Set<NodeId>();
  for (const p of status.progress) if (p.role === 'voter' && p.recentActive) active.add(p.id);
  let healthy = 0;
  for (const m of status.membership.members) {
    if (m.role !== 'voter') continue;
    if (m.id === status.id || active.has(m.id)) healthy++;
  }
  return healthy;
}

/**
 * How many more voters may fail while a quorum stays reachable (Consul's
 * autopilot failure tolerance: healthy voters − quorum size, never negative).
 * Null on non-leaders: a follower's optimistic guess from the membership alone
 * would hide a leader's 0 behind `max by (cluster)` in alerts.
 */
export function failureTolerance(status: CoreStatus): number | null {
  const healthy = healthyVoters(status);
  if (healthy === null) return null;
  return Math.max(0, healthy - quorumSize(memberCounts(status).voter));
}

/** Leader only: entries each peer is behind the leader's last log index. */
export function peerLags(status: CoreStatus): ReadonlyMap<NodeId, number> {
  const lags = new Map<NodeId, number>();
  if (status.role !== 'leader') return lags;
  for (const p of status.progress) lags.set(p.id, Math.max(0, status.lastIndex - p.match));
  return lags;
}
