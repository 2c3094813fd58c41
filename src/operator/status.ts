// The resource's status after a pass: sizes, members, leader and the four
// conditions (kubernetes.md §13.5). Computed from the observation and the plan;
// written only when something a reader can see changed, so that a status write
// (which is itself a watch event) does not trigger an endless loop of passes.
import { ordinalOf, selectorString } from './names.js';
import type { Observed } from './observed.js';
import type { Action, Plan } from './planner.js';
import type { Condition, ConditionType, MembershipChangeType, Raft3DClusterStatus } from './types.js';

export interface MembershipChange {
  readonly type: MembershipChangeType;
  readonly member: string;
  readonly at: string;
  readonly result: string;
}

type Draft = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

export function progressReason(action: Action): string {
  switch (action.type) {
    case 'create-child':
    case 'write-config-map':
      return 'Creating';
    case 'create-statefulset':
      return action.adopt ? 'Adopting' : 'Bootstrapping';
    case 'update-template':
      return 'RollingUpdate';
    case 'delete-pod':
      return 'ForcedRollback';
    case 'record-cluster-id':
      return action.adopted ? 'Adopted' : 'Bootstrapped';
    case 'scale':
      return action.change === 'scale_up' ? 'ScalingUp' : action.change === 'scale_down' ? 'ScalingDown' : 'DriftRepaired';
    case 'transfer-leadership':
      return 'TransferringLeadership';
    case 'remove-member':
      return 'Removing';
  }
}

function drafts(o: Observed, plan: Plan): Draft[] {
  const leader = o.raft.leader;
  const voters = leader?.members.filter((m) => m.role === 'voter') ?? [];
  const healthy = voters.filter((m) => m.healthy).length;
  const even = o.desiredReplicas % 2 === 0 ? ` (an even size, ${o.desiredReplicas}, tolerates no more failures than ${o.desiredReplicas - 1})` : '';
  const available: Draft =
    leader === null
      ? { type: 'Available', status: 'False', reason: 'NoLeader', message: 'no leader: writes and linearizable reads fail until a majority of voters runs' }
      : healthy >= Math.floor(voters.length / 2) + 1
        ? { type: 'Available', status: 'True', reason: 'QuorumHealthy', message: `${leader.id} leads term ${leader.term}; ${healthy} of ${voters.length} voters healthy${even}` }
        : { type: 'Available', status: 'False', reason: 'QuorumUnhealthy', message: `only ${healthy} of ${voters.length} voters answer the leader` };

  let progressing: Draft;
  let blocked: Draft = { type: 'Blocked', status: 'False', reason: 'None', message: '' };
  let degraded: Draft = { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' };
  switch (plan.kind) {
    case 'act':
      progressing = { type: 'Progressing', status: 'True', reason: progressReason(plan.action), message: plan.message };
      break;
    case 'wait':
      progressing = { type: 'Progressing', status: plan.reason === 'JoinStalled' ? 'False' : 'True', reason: plan.reason, message: plan.message };
      break;
    case 'blocked':
      progressing = { type: 'Progressing', status: 'False', reason: plan.reason, message: plan.message };
      blocked = { type: 'Blocked', status: 'True', reason: plan.reason, message: plan.message };
      if (plan.reason === 'ImmutableFieldChange') degraded = { type: 'Degraded', status: 'True', reason: plan.reason, message: plan.message };
      break;
    case 'steady': {
      progressing = { type: 'Progressing', status: 'False', reason: 'Stable', message: `${o.desiredReplicas} members, nothing to do` };
      const issues = plan.issues.filter((i) => i.reason !== 'EvenReplicas');
      if (issues.length > 0) degraded = { type: 'Degraded', status: 'True', reason: issues[0]!.reason, message: issues.map((i) => i.message).join('; ') };
      break;
    }
  }
  return [available, progressing, degraded, blocked];
}

export function computeStatus(o: Observed, plan: Plan, previous: Raft3DClusterStatus, change: MembershipChange | null, nowIso: string, recordedId?: string): Raft3DClusterStatus {
  const leader = o.raft.leader;
  const readyPods = new Set(o.pods.filter((p) => p.ready).map((p) => p.name));
  const prevConditions = new Map<ConditionType, Condition>((previous.conditions ?? []).map((c) => [c.type, c]));
  const conditions: Condition[] = drafts(o, plan).map((d) => {
    const prev = prevConditions.get(d.type);
    return { ...d, lastTransitionTime: prev !== undefined && prev.status === d.status && prev.lastTransitionTime !== '' ? prev.lastTransitionTime : nowIso, observedGeneration: o.generation };
  });
  const clusterId = recordedId ?? o.recordedClusterId;
  return {
    observedGeneration: o.generation,
    ...(clusterId !== '' ? { clusterId } : {}),
    replicas: o.statefulSet?.statusReplicas ?? 0,
    readyReplicas: o.statefulSet?.readyReplicas ?? 0,
    selector: selectorString(o.name),
    leader: leader?.id ?? '',
    ...(leader !== null
      ? {
          term: leader.term,
          voters: leader.members.filter((m) => m.role === 'voter').length,
          members: [...leader.members]
            .sort((a, b) => (ordinalOf(o.name, a.id) ?? Infinity) - (ordinalOf(o.name, b.id) ?? Infinity) || a.id.localeCompare(b.id))
            .map((m) => ({ id: m.id, role: m.role, ready: readyPods.has(m.id) })),
        }
      : {}),
    ...(change !== null ? { lastMembershipChange: change } : {}),
    conditions,
  };
}

/** The merge patch for status.*, or null when nothing visible changed. */
export function statusPatch(previous: Raft3DClusterStatus, next: Raft3DClusterStatus): Record<string, unknown> | null {
  const strip = (s: Raft3DClusterStatus): unknown => ({
    ...s,
    conditions: (s.conditions ?? []).map(({ lastTransitionTime: _t, ...rest }) => rest),
  });
  const changed = Object.entries(next).some(([key, value]) => {
    const before = (previous as Record<string, unknown>)[key];
    if (key === 'conditions') return JSON.stringify((strip(previous) as { conditions: unknown }).conditions) !== JSON.stringify((strip(next) as { conditions: unknown }).conditions);
    return JSON.stringify(before) !== JSON.stringify(value);
  });
  return changed ? { ...next } : null;
}
