// THE decision of the operator: observed state in, at most one next step out
// (kubernetes.md §13.3, §13.4). Pure and total, so every safety rule is a
// property of this function:
//  - one membership change at a time, and none without a leader (restoring pods
//    of existing members is the only step allowed without one);
//  - scale-up grows the StatefulSet by one and waits until the new pod has joined
//    and the leader promoted it (the operator never promotes);
//  - scale-down moves leadership off the highest ordinal, removes it from Raft,
//    waits for the commit, and only then shrinks the StatefulSet by one;
//  - a member whose pod is missing below the desired size is never removed;
//  - a StatefulSet scaled by hand is brought back.
import type { ClusterState } from './manifests.js';
import { names, ordinalOf } from './names.js';
import type { LeaderView, Observed, ObservedStatefulSet, RaftMember } from './observed.js';

export const JOIN_STALL_MS = 10 * 60_000;
export const STUCK_POD_MS = 5 * 60_000;
export const REQUEUE_CONVERGING_MS = 2000;
export const REQUEUE_NO_LEADER_MS = 10_000;
export const REQUEUE_STEADY_MS = 30_000;

export type ChildKind = 'headless-service' | 'client-service' | 'pdb' | 'token-secret';
export type ScaleChange = 'scale_up' | 'scale_down' | 'drift_repair';

export type Action =
  | { readonly type: 'create-child'; readonly child: ChildKind }
  | { readonly type: 'write-config-map'; readonly state: ClusterState; readonly clusterId: string }
  | { readonly type: 'create-statefulset'; readonly replicas: number; readonly adopt: boolean }
  | { readonly type: 'update-template' }
  | { readonly type: 'delete-pod'; readonly pod: string }
  | { readonly type: 'record-cluster-id'; readonly clusterId: string; readonly adopted: boolean }
  | { readonly type: 'scale'; readonly from: number; readonly to: number; readonly change: ScaleChange }
  | { readonly type: 'transfer-leadership'; readonly from: string; readonly to: string }
  | { readonly type: 'remove-member'; readonly id: string; readonly role: 'voter' | 'learner' };

export type WaitReason =
  | 'Deleting'
  | 'WaitingForSeed'
  | 'PodLeaving'
  | 'TransferringLeadership'
  | 'Committing'
  | 'JoinInProgress'
  | 'LearnerCatchingUp'
  | 'JoinStalled'
  | 'RollingUpdate'
  | 'MemberDown';

export const BLOCKED_REASONS = ['NoLeader', 'WouldLoseQuorum', 'ClusterIdMismatch', 'NoMembers', 'ImmutableFieldChange', 'NoTransferee'] as const;
export type BlockedReason = (typeof BLOCKED_REASONS)[number];

export interface Issue {
  readonly reason: 'MemberDown' | 'ForeignMember' | 'EvenReplicas';
  readonly message: string;
}

export type Plan =
  | { readonly kind: 'act'; readonly action: Action; readonly message: string }
  | { readonly kind: 'wait'; readonly reason: WaitReason; readonly message: string; readonly requeueMs: number | null }
  | { readonly kind: 'blocked'; readonly reason: BlockedReason; readonly message: string; readonly requeueMs: number }
  | { readonly kind: 'steady'; readonly issues: readonly Issue[] };

const act = (action: Action, message: string): Plan => ({ kind: 'act', action, message });
const wait = (reason: WaitReason, message: string, requeueMs: number | null = REQUEUE_CONVERGING_MS): Plan => ({ kind: 'wait', reason, message, requeueMs });
const blocked = (reason: BlockedReason, message: string, requeueMs = REQUEUE_NO_LEADER_MS): Plan => ({ kind: 'blocked', reason, message, requeueMs });

export function plan(o: Observed): Plan {
  if (o.deleting) return wait('Deleting', 'the resource is being deleted: owned objects are garbage-collected, PVCs stay', null);
  const child = missingChild(o);
  if (child !== null) return act({ type: 'create-child', child }, `creating the ${child}`);

  const sts = o.statefulSet;
  if (sts === null) return planCreation(o);
  if (sts.storage.size !== o.desiredStorage.size || (sts.storage.storageClassName ?? null) !== (o.desiredStorage.storageClassName ?? null)) {
    return blocked(
      'ImmutableFieldChange',
      `spec.storage asks for ${o.desiredStorage.size}/${o.desiredStorage.storageClassName ?? 'default class'} but the StatefulSet's volumeClaimTemplates hold ${sts.storage.size}/${sts.storage.storageClassName ?? 'default class'}; they cannot change: restore spec.storage`,
      REQUEUE_STEADY_MS,
    );
  }
  const cm = o.children.configMap;
  if (o.recordedClusterId !== '' && (cm === null || cm.state !== 'existing' || cm.clusterId !== o.recordedClusterId)) {
    return act({ type: 'write-config-map', state: 'existing', clusterId: o.recordedClusterId }, `bootstrap ConfigMap: existing cluster ${o.recordedClusterId}`);
  }
  if (cm === null) {
    // The StatefulSet exists, so "created with no PVCs present" can no longer be proven: never "new" again.
    return act({ type: 'write-config-map', state: 'existing', clusterId: '' }, 'bootstrap ConfigMap was missing: recreating it as existing');
  }

  const R = sts.replicas;
  const N = o.desiredReplicas;
  const leader = o.raft.leader;
  const inFlight = membershipInFlight(o, R, N);
  if (sts.templateHash !== o.desiredTemplateHash) {
    // A rollout in progress does not block a newer template: that is how a broken image gets fixed.
    if (inFlight === null) return act({ type: 'update-template' }, 'updating the pod template (rolling update)');
  } else {
    const stuck = stuckPod(o, sts);
    if (stuck !== null) {
      return act({ type: 'delete-pod', pod: stuck }, `deleting ${stuck}: it runs an outdated revision and has not been Ready for ${STUCK_POD_MS / 60_000} minutes`);
    }
  }

  if (leader !== null) {
    if (leader.clusterId === '') return wait('WaitingForSeed', `${leader.id} leads but reports no cluster id yet`);
    if (o.recordedClusterId === '') {
      return act(
        { type: 'record-cluster-id', clusterId: leader.clusterId, adopted: cm.state === 'existing' },
        `${leader.id} leads cluster ${leader.clusterId}: recording it`,
      );
    }
    if (leader.clusterId !== o.recordedClusterId) {
      return blocked(
        'ClusterIdMismatch',
        `the leader ${leader.id} reports cluster ${leader.clusterId}, but this resource recorded ${o.recordedClusterId}; nothing is changed: find out which pods hold the other cluster`,
      );
    }
  }

  const known = highestKnownMember(o);
  if (known !== null && R < known + 1) {
    return act({ type: 'scale', from: R, to: known + 1, change: 'drift_repair' }, `StatefulSet replicas ${R} is below member ${names.pod(o.name, known)}: restoring ${known + 1}`);
  }
  if (leader === null) {
    if (o.recordedClusterId === '') return wait('WaitingForSeed', `waiting for ${names.pod(o.name, 0)} to report a cluster id`);
    return blocked('NoLeader', 'no leader: nothing changes until one is elected (check that a majority of the voters run)');
  }
  if (inFlight !== null) return inFlight;
  if (rolloutInProgress(o, sts)) return wait('RollingUpdate', `rolling update to ${sts.updateRevision ?? 'the new revision'} in progress: no membership change meanwhile`);
  if (N < R) return planScaleDown(o, leader, R);
  if (N > R) return planScaleUp(o, leader, R);
  return steady(o, leader, R);
}

function missingChild(o: Observed): ChildKind | null {
  if (!o.children.headlessService) return 'headless-service';
  if (!o.children.clientService) return 'client-service';
  if (!o.children.pdb) return 'pdb';
  if (!o.children.tokenSecret) return 'token-secret';
  return null;
}

function planCreation(o: Observed): Plan {
  const pvcs = o.pvcOrdinals;
  if (pvcs.length === 0 && o.recordedClusterId !== '') {
    return blocked(
      'NoMembers',
      `cluster ${o.recordedClusterId} was recorded but no volume data-${o.name}-<n> is left; a new empty cluster is never created under this name: restore from a backup or delete and re-create the resource`,
      REQUEUE_STEADY_MS,
    );
  }
  const state: ClusterState = pvcs.length === 0 ? 'new' : 'existing';
  const cm = o.children.configMap;
  if (cm === null || cm.state !== state || cm.clusterId !== o.recordedClusterId) {
    return act({ type: 'write-config-map', state, clusterId: o.recordedClusterId }, `bootstrap ConfigMap: ${state}`);
  }
  if (pvcs.length === 0) return act({ type: 'create-statefulset', replicas: 1, adopt: false }, 'creating the StatefulSet with the single seed pod');
  const replicas = Math.max(...pvcs) + 1;
  return act({ type: 'create-statefulset', replicas, adopt: true }, `adopting ${pvcs.length} retained volume(s): creating the StatefulSet with ${replicas} replicas`);
}

/** The removal (or addition) is committed once the leader's commit index reaches the configuration entry. */
export function configCommitted(leader: LeaderView): boolean {
  if (leader.configIndex !== null) return leader.commitIndex >= leader.configIndex;
  // Without config_index, only a fully committed log proves it (conservative: waits out write bursts).
  return leader.lastLogIndex !== null && leader.commitIndex >= leader.lastLogIndex;
}

function membershipInFlight(o: Observed, R: number, N: number): Plan | null {
  const leaving = o.pods.filter((p) => p.ordinal >= R).sort((a, b) => b.ordinal - a.ordinal)[0];
  if (leaving !== undefined) return wait('PodLeaving', `waiting for pod ${leaving.name} to go (StatefulSet replicas ${R})`);
  const leader = o.raft.leader;
  if (leader === null) return null;
  if (leader.transferringTo !== null) return wait('TransferringLeadership', `leadership is moving from ${leader.id} to ${leader.transferringTo}`);
  if (!configCommitted(leader)) {
    return wait('Committing', `waiting for the configuration change to commit (commit ${leader.commitIndex}, config ${leader.configIndex ?? `last log ${leader.lastLogIndex ?? '?'}`})`);
  }
  // When shrinking, a stalled join or learner at ordinal ≥ N is not awaited: removing it is the next step.
  const limit = Math.min(R, N);
  for (let ordinal = 0; ordinal < limit; ordinal++) {
    const name = names.pod(o.name, ordinal);
    const m = leader.members.find((x) => x.id === name);
    if (m !== undefined && m.role === 'voter') continue;
    const pod = o.pods.find((p) => p.ordinal === ordinal);
    const stalled = pod !== undefined && o.nowMs - pod.createdMs >= JOIN_STALL_MS;
    if (m === undefined) {
      return stalled
        ? wait('JoinStalled', `${name} has not joined after ${JOIN_STALL_MS / 60_000} minutes (crash loop, pending volume, or removed by hand: restart the pod); lowering spec.replicas undoes the step`)
        : wait('JoinInProgress', `waiting for ${name} to join as a learner`);
    }
    const lag = m.matchIndex === null ? '' : ` (match ${m.matchIndex}, commit ${leader.commitIndex})`;
    return stalled
      ? wait('JoinStalled', `learner ${name} has not been promoted after ${JOIN_STALL_MS / 60_000} minutes${lag}; lowering spec.replicas undoes the step`)
      : wait('LearnerCatchingUp', `learner ${name} is catching up; the leader promotes it when it has${lag}`);
  }
  return null;
}

function rolloutInProgress(o: Observed, sts: ObservedStatefulSet): boolean {
  const update = sts.updateRevision;
  if (update === null) return false;
  if (sts.currentRevision !== null && sts.currentRevision !== update) return true;
  return o.pods.some((p) => !p.terminating && p.revision !== null && p.revision !== update);
}

function stuckPod(o: Observed, sts: ObservedStatefulSet): string | null {
  const update = sts.updateRevision;
  if (update === null) return null;
  const stuck = o.pods
    .filter((p) => !p.terminating && p.revision !== null && p.revision !== update && !p.ready && p.notReadySinceMs !== null && o.nowMs - p.notReadySinceMs >= STUCK_POD_MS)
    .sort((a, b) => b.ordinal - a.ordinal)[0];
  return stuck?.name ?? null;
}

/** Highest ordinal of a member of this cluster: from the leader, or without one from any reachable node. */
function highestKnownMember(o: Observed): number | null {
  const ids = o.raft.leader !== null
    ? o.raft.leader.members.map((m) => m.id)
    : o.raft.nodes.filter((n) => n.clusterId !== '' && (o.recordedClusterId === '' || n.clusterId === o.recordedClusterId)).flatMap((n) => n.memberIds);
  let max: number | null = null;
  for (const id of ids) {
    const ordinal = ordinalOf(o.name, id);
    if (ordinal !== null && (max === null || ordinal > max)) max = ordinal;
  }
  return max;
}

function planScaleDown(o: Observed, leader: LeaderView, R: number): Plan {
  const target = names.pod(o.name, R - 1);
  const m = leader.members.find((x) => x.id === target);
  if (leader.id === target) {
    const to = bestTransferee(o, leader, R - 1);
    if (to === null) {
      return blocked('NoTransferee', `${target} leads and must hand over before its removal, but no healthy voter below it is available`, REQUEUE_CONVERGING_MS);
    }
    return act({ type: 'transfer-leadership', from: target, to }, `moving leadership from ${target} to ${to} before removing it`);
  }
  if (m !== undefined) {
    if (m.role === 'voter') {
      const rest = leader.members.filter((x) => x.role === 'voter' && x.id !== target);
      const healthy = rest.filter((x) => x.healthy).length;
      const need = Math.floor(rest.length / 2) + 1;
      if (rest.length === 0 || healthy < need) {
        return blocked(
          'WouldLoseQuorum',
          `removing ${target} would leave ${healthy} healthy of ${rest.length} voters (need ${need}): bring the unhealthy members back, or scale up again`,
          REQUEUE_CONVERGING_MS,
        );
      }
    }
    return act({ type: 'remove-member', id: target, role: m.role }, `removing ${m.role} ${target} from the Raft configuration`);
  }
  return act({ type: 'scale', from: R, to: R - 1, change: 'scale_down' }, `${target} is no longer a member: shrinking the StatefulSet to ${R - 1}`);
}

function bestTransferee(o: Observed, leader: LeaderView, below: number): string | null {
  const candidates = leader.members.filter((x): x is RaftMember => {
    const ordinal = ordinalOf(o.name, x.id);
    return x.role === 'voter' && x.healthy && x.id !== leader.id && ordinal !== null && ordinal < below;
  });
  candidates.sort((a, b) => (b.matchIndex ?? -1) - (a.matchIndex ?? -1) || (ordinalOf(o.name, a.id) ?? 0) - (ordinalOf(o.name, b.id) ?? 0));
  return candidates[0]?.id ?? null;
}

function planScaleUp(o: Observed, leader: LeaderView, R: number): Plan {
  for (let ordinal = 0; ordinal < R; ordinal++) {
    const name = names.pod(o.name, ordinal);
    const pod = o.pods.find((p) => p.ordinal === ordinal);
    if (pod === undefined || !pod.ready) return wait('MemberDown', `scale-up waits for ${name} to be Ready`);
    const m = leader.members.find((x) => x.id === name);
    if (m === undefined || m.role !== 'voter') return wait('JoinInProgress', `scale-up waits for ${name} to be a voter`);
  }
  return act({ type: 'scale', from: R, to: R + 1, change: 'scale_up' }, `growing the StatefulSet to ${R + 1}: ${names.pod(o.name, R)} joins as a learner`);
}

function steady(o: Observed, leader: LeaderView, R: number): Plan {
  const issues: Issue[] = [];
  for (const m of leader.members) {
    const ordinal = ordinalOf(o.name, m.id);
    if (ordinal === null) {
      issues.push({ reason: 'ForeignMember', message: `member ${m.id} does not follow the naming scheme ${o.name}-<n>; it is never touched` });
      continue;
    }
    const pod = o.pods.find((p) => p.ordinal === ordinal);
    if (m.role === 'voter' && ordinal < R && (pod === undefined || !pod.ready || !m.healthy)) {
      issues.push({ reason: 'MemberDown', message: `voter ${m.id} is ${pod === undefined ? 'missing its pod' : !pod.ready ? 'not Ready' : 'not answering the leader'}; it is not removed` });
    }
  }
  if (o.desiredReplicas % 2 === 0) {
    issues.push({ reason: 'EvenReplicas', message: `${o.desiredReplicas} voters tolerate no more failures than ${o.desiredReplicas - 1}` });
  }
  return { kind: 'steady', issues };
}
