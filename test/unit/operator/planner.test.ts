import { describe, test, expect } from '@jest/globals';
import { plan, JOIN_STALL_MS, STUCK_POD_MS, type Plan } from '../../../src/operator/planner.js';
import type { Observed } from '../../../src/operator/observed.js';
import { NOW, learner, pod, steadyCluster, voter, withLeader } from './observed-fixture.js';

const actionOf = (p: Plan): unknown => (p.kind === 'act' ? p.action : p);

describe('planner: objects and first bootstrap', () => {
  test('a resource being deleted: nothing, no requeue', () => {
    expect(plan({ ...steadyCluster(3), deleting: true })).toMatchObject({ kind: 'wait', reason: 'Deleting', requeueMs: null });
  });

  test('missing children are created one at a time, headless Service first', () => {
    const o = steadyCluster(3);
    const none = { ...o.children, headlessService: false, clientService: false, pdb: false, tokenSecret: false };
    expect(actionOf(plan({ ...o, children: none }))).toEqual({ type: 'create-child', child: 'headless-service' });
    expect(actionOf(plan({ ...o, children: { ...none, headlessService: true } }))).toEqual({ type: 'create-child', child: 'client-service' });
    expect(actionOf(plan({ ...o, children: { ...o.children, pdb: false } }))).toEqual({ type: 'create-child', child: 'pdb' });
    expect(actionOf(plan({ ...o, children: { ...o.children, tokenSecret: false } }))).toEqual({ type: 'create-child', child: 'token-secret' });
  });

  const fresh = (over: Partial<Observed> = {}): Observed => ({
    ...steadyCluster(0),
    recordedClusterId: '',
    statefulSet: null,
    pods: [],
    pvcOrdinals: [],
    raft: { leader: null, nodes: [] },
    children: { headlessService: true, clientService: true, pdb: true, tokenSecret: true, configMap: null },
    desiredReplicas: 3,
    ...over,
  });

  test('fresh cluster: ConfigMap "new" first, then a StatefulSet with the single seed', () => {
    expect(actionOf(plan(fresh()))).toEqual({ type: 'write-config-map', state: 'new', clusterId: '' });
    expect(actionOf(plan(fresh({ children: { ...fresh().children, configMap: { state: 'new', clusterId: '' } } })))).toEqual({ type: 'create-statefulset', replicas: 1, adopt: false });
  });

  test('retained volumes: adoption with "existing" and replicas = highest PVC ordinal + 1', () => {
    expect(actionOf(plan(fresh({ pvcOrdinals: [0, 4] })))).toEqual({ type: 'write-config-map', state: 'existing', clusterId: '' });
    const o = fresh({ pvcOrdinals: [0, 4], children: { ...fresh().children, configMap: { state: 'existing', clusterId: '' } } });
    expect(actionOf(plan(o))).toEqual({ type: 'create-statefulset', replicas: 5, adopt: true });
  });

  test('a ConfigMap left at "new" is rewritten once volumes exist', () => {
    const o = fresh({ pvcOrdinals: [0], children: { ...fresh().children, configMap: { state: 'new', clusterId: '' } } });
    expect(actionOf(plan(o))).toEqual({ type: 'write-config-map', state: 'existing', clusterId: '' });
  });

  test('a recorded cluster with every volume gone: Blocked(NoMembers), never a new cluster', () => {
    expect(plan(fresh({ recordedClusterId: 'c1' }))).toMatchObject({ kind: 'blocked', reason: 'NoMembers' });
  });

  test('the seed leads: its cluster id is recorded (bootstrapped vs adopted from the ConfigMap)', () => {
    const seed = steadyCluster(1, { recordedClusterId: '', children: { ...steadyCluster(1).children, configMap: { state: 'new', clusterId: '' } } });
    expect(actionOf(plan(withLeader(seed, { clusterId: 'c9' })))).toEqual({ type: 'record-cluster-id', clusterId: 'c9', adopted: false });
    const adopted = { ...seed, children: { ...seed.children, configMap: { state: 'existing' as const, clusterId: '' } } };
    expect(actionOf(plan(adopted))).toEqual({ type: 'record-cluster-id', clusterId: 'c1', adopted: true });
  });

  test('before the seed leads: wait, and never grow', () => {
    const seed = steadyCluster(1, { recordedClusterId: '', desiredReplicas: 3, raft: { leader: null, nodes: [] }, children: { ...steadyCluster(1).children, configMap: { state: 'new', clusterId: '' } } });
    expect(plan(seed)).toMatchObject({ kind: 'wait', reason: 'WaitingForSeed' });
  });

  test('after recording, the ConfigMap says existing + id', () => {
    const o = steadyCluster(1, { children: { ...steadyCluster(1).children, configMap: { state: 'new', clusterId: '' } } });
    expect(actionOf(plan(o))).toEqual({ type: 'write-config-map', state: 'existing', clusterId: 'c1' });
    const lost = steadyCluster(3, { recordedClusterId: '', children: { ...steadyCluster(3).children, configMap: null } });
    expect(actionOf(plan(lost))).toEqual({ type: 'write-config-map', state: 'existing', clusterId: '' });
  });

  test('a leader of another cluster: Blocked(ClusterIdMismatch)', () => {
    expect(plan(withLeader(steadyCluster(3), { clusterId: 'c2' }))).toMatchObject({ kind: 'blocked', reason: 'ClusterIdMismatch' });
  });

  test('changed storage: Blocked(ImmutableFieldChange), nothing else', () => {
    expect(plan({ ...steadyCluster(3), desiredStorage: { size: '2Gi', storageClassName: null } })).toMatchObject({ kind: 'blocked', reason: 'ImmutableFieldChange' });
  });
});

describe('planner: scale-up, one server at a time', () => {
  test('R=1 → N=3: grow by one', () => {
    expect(actionOf(plan({ ...steadyCluster(1), desiredReplicas: 3 }))).toEqual({ type: 'scale', from: 1, to: 2, change: 'scale_up' });
  });

  test('the new pod has not joined: wait; after the stall time: JoinStalled', () => {
    const o = { ...steadyCluster(1), desiredReplicas: 3, statefulSet: { ...steadyCluster(1).statefulSet!, replicas: 2 }, pods: [pod(0), pod(1, { ready: false, createdMs: NOW - 5000 })] };
    expect(plan(o)).toMatchObject({ kind: 'wait', reason: 'JoinInProgress' });
    expect(plan({ ...o, pods: [pod(0), pod(1, { ready: false, createdMs: NOW - JOIN_STALL_MS })] })).toMatchObject({ kind: 'wait', reason: 'JoinStalled' });
  });

  test('a learner is never promoted by the operator: it waits for the leader to do it', () => {
    const o = withLeader({ ...steadyCluster(2), desiredReplicas: 3 }, { members: [voter(0), learner(1, { matchIndex: 2 })] });
    const p = plan(o);
    expect(p).toMatchObject({ kind: 'wait', reason: 'LearnerCatchingUp', message: expect.stringContaining('match 2, commit 10') });
  });

  test('two voters, N=3: grow to 3; a member pod not Ready: wait', () => {
    expect(actionOf(plan({ ...steadyCluster(2), desiredReplicas: 3 }))).toEqual({ type: 'scale', from: 2, to: 3, change: 'scale_up' });
    const down = { ...steadyCluster(2), desiredReplicas: 3, pods: [pod(0), pod(1, { ready: false, notReadySinceMs: NOW - 1000 })] };
    expect(plan(down)).toMatchObject({ kind: 'wait', reason: 'MemberDown' });
  });

  test('no scale step during a rolling update', () => {
    const o = { ...steadyCluster(2), desiredReplicas: 3, statefulSet: { ...steadyCluster(2).statefulSet!, updateRevision: 'r2' } };
    expect(plan(o)).toMatchObject({ kind: 'wait', reason: 'RollingUpdate' });
  });
});

describe('planner: scale-down, highest ordinal first', () => {
  const five = (over: Partial<Observed> = {}): Observed => ({ ...steadyCluster(5), desiredReplicas: 3, ...over });

  test('the target leads: hand leadership to the healthy voter below it with the highest match', () => {
    const o = withLeader(five(), {
      id: 'farm-4',
      members: [voter(0), voter(1, { matchIndex: 11 }), voter(2, { matchIndex: 12, healthy: false }), voter(3, { matchIndex: 9 }), voter(4)],
    });
    expect(actionOf(plan(o))).toEqual({ type: 'transfer-leadership', from: 'farm-4', to: 'farm-1' });
  });

  test('no healthy voter to hand over to: Blocked(NoTransferee)', () => {
    const o = withLeader({ ...steadyCluster(3), desiredReplicas: 2 }, { id: 'farm-2', members: [voter(0, { healthy: false }), voter(1, { healthy: false }), voter(2)] });
    expect(plan(o)).toMatchObject({ kind: 'blocked', reason: 'NoTransferee' });
  });

  test('a transfer in flight: wait', () => {
    expect(plan(withLeader(five(), { transferringTo: 'farm-1' }))).toMatchObject({ kind: 'wait', reason: 'TransferringLeadership' });
  });

  test('the target follows: remove it from Raft', () => {
    expect(actionOf(plan(five()))).toEqual({ type: 'remove-member', id: 'farm-4', role: 'voter' });
  });

  test('removal not committed yet: wait (config_index, or the whole log without it)', () => {
    const members = [0, 1, 2, 3].map((o) => voter(o));
    expect(plan(withLeader(five(), { members, configIndex: 11, commitIndex: 10 }))).toMatchObject({ kind: 'wait', reason: 'Committing' });
    expect(plan(withLeader(five(), { members, configIndex: null, lastLogIndex: 12, commitIndex: 10 }))).toMatchObject({ kind: 'wait', reason: 'Committing' });
    expect(actionOf(plan(withLeader(five(), { members, configIndex: null, lastLogIndex: 10, commitIndex: 10 })))).toEqual({ type: 'scale', from: 5, to: 4, change: 'scale_down' });
  });

  test('removal committed: shrink by one; then wait for the pod to go', () => {
    const members = [0, 1, 2, 3].map((o) => voter(o));
    expect(actionOf(plan(withLeader(five(), { members })))).toEqual({ type: 'scale', from: 5, to: 4, change: 'scale_down' });
    const shrunk = withLeader(five({ statefulSet: { ...steadyCluster(5).statefulSet!, replicas: 4 } }), { members });
    expect(plan(shrunk)).toMatchObject({ kind: 'wait', reason: 'PodLeaving', message: expect.stringContaining('farm-4') });
    expect(actionOf(plan({ ...shrunk, pods: shrunk.pods.slice(0, 4) }))).toEqual({ type: 'remove-member', id: 'farm-3', role: 'voter' });
  });

  test('survivors without a healthy majority: Blocked(WouldLoseQuorum)', () => {
    const o = withLeader(five({ desiredReplicas: 4 }), { members: [voter(0), voter(1, { healthy: false }), voter(2, { healthy: false }), voter(3), voter(4)] });
    expect(plan(o)).toMatchObject({ kind: 'blocked', reason: 'WouldLoseQuorum', message: expect.stringContaining('2 healthy of 4 voters (need 3)') });
  });

  test('a learner can always be removed', () => {
    const o = withLeader(five({ desiredReplicas: 4 }), { members: [voter(0), voter(1, { healthy: false }), voter(2, { healthy: false }), voter(3), learner(4)] });
    expect(actionOf(plan(o))).toEqual({ type: 'remove-member', id: 'farm-4', role: 'learner' });
  });

  test('a stalled join above N does not block the scale-down that undoes it', () => {
    const o = { ...steadyCluster(3), statefulSet: { ...steadyCluster(3).statefulSet!, replicas: 4 }, pods: [pod(0), pod(1), pod(2), pod(3, { ready: false })] };
    expect(actionOf(plan(o))).toEqual({ type: 'scale', from: 4, to: 3, change: 'scale_down' });
    const asLearner = withLeader(o, { members: [voter(0), voter(1), voter(2), learner(3, { matchIndex: 0 })] });
    expect(actionOf(plan(asLearner))).toEqual({ type: 'remove-member', id: 'farm-3', role: 'learner' });
  });

  test('a missing pod below N is never removed: the target stays the highest ordinal', () => {
    const o = withLeader({ ...steadyCluster(3), desiredReplicas: 2, pods: [pod(0), pod(2)] }, { members: [voter(0), voter(1, { healthy: false }), voter(2)] });
    expect(plan(o)).toMatchObject({ kind: 'blocked', reason: 'WouldLoseQuorum' });
    const steady = withLeader({ ...steadyCluster(3), pods: [pod(0), pod(2)] }, { members: [voter(0), voter(1, { healthy: false }), voter(2)] });
    expect(plan(steady)).toEqual({ kind: 'steady', issues: [{ reason: 'MemberDown', message: expect.stringContaining('farm-1 is missing its pod') }] });
  });
});

describe('planner: no leader, drift, rollouts', () => {
  test('no leader: nothing changes, even with N < R', () => {
    expect(plan({ ...steadyCluster(3), desiredReplicas: 1, raft: { leader: null, nodes: [] } })).toMatchObject({ kind: 'blocked', reason: 'NoLeader' });
  });

  test('no leader but the StatefulSet was shrunk by hand below the members: restore it (the one step allowed)', () => {
    const o = { ...steadyCluster(3), statefulSet: { ...steadyCluster(3).statefulSet!, replicas: 1 }, pods: [pod(0)], raft: { ...steadyCluster(3).raft, leader: null } };
    expect(actionOf(plan(o))).toEqual({ type: 'scale', from: 1, to: 3, change: 'drift_repair' });
  });

  test('kubectl scale statefulset down: restored to the highest member + 1, even while pods terminate', () => {
    const o = { ...steadyCluster(3), statefulSet: { ...steadyCluster(3).statefulSet!, replicas: 1 }, pods: [pod(0), pod(1, { terminating: true }), pod(2, { terminating: true })] };
    expect(actionOf(plan(o))).toEqual({ type: 'scale', from: 1, to: 3, change: 'drift_repair' });
  });

  test('kubectl scale statefulset up: the extra learners are removed again, highest first', () => {
    const o = withLeader({ ...steadyCluster(5), desiredReplicas: 3 }, { members: [voter(0), voter(1), voter(2), learner(3), learner(4)] });
    expect(actionOf(plan(o))).toEqual({ type: 'remove-member', id: 'farm-4', role: 'learner' });
  });

  test('a new template rolls out when nothing is in flight, and waits while a learner catches up', () => {
    const o = { ...steadyCluster(3), desiredTemplateHash: 'h2' };
    expect(actionOf(plan(o))).toEqual({ type: 'update-template' });
    const busy = withLeader({ ...o, desiredReplicas: 4, statefulSet: { ...o.statefulSet!, replicas: 4 }, pods: [...o.pods, pod(3)] }, { members: [voter(0), voter(1), voter(2), learner(3)] });
    expect(plan(busy)).toMatchObject({ kind: 'wait', reason: 'LearnerCatchingUp' });
  });

  test('a pod stuck on an outdated revision for 5 minutes is deleted, one per pass; not before', () => {
    const rolling = { ...steadyCluster(3).statefulSet!, currentRevision: 'r1', updateRevision: 'r2' };
    const stuck = (since: number): Observed => ({
      ...steadyCluster(3),
      statefulSet: rolling,
      pods: [pod(0, { revision: 'r1' }), pod(1, { revision: 'r1', ready: false, notReadySinceMs: since }), pod(2, { revision: 'r2', ready: false, notReadySinceMs: since })],
    });
    expect(actionOf(plan(stuck(NOW - STUCK_POD_MS)))).toEqual({ type: 'delete-pod', pod: 'farm-1' });
    expect(plan(stuck(NOW - STUCK_POD_MS + 1000))).toMatchObject({ kind: 'wait', reason: 'RollingUpdate' });
  });

  test('steady: foreign members and even sizes are reported, never touched', () => {
    const o = withLeader({ ...steadyCluster(2) }, { members: [voter(0), voter(1), { id: 'legacy', role: 'voter', healthy: true, matchIndex: 1 }] });
    expect(plan(o)).toEqual({
      kind: 'steady',
      issues: [
        { reason: 'ForeignMember', message: expect.stringContaining('legacy') },
        { reason: 'EvenReplicas', message: expect.any(String) },
      ],
    });
    expect(plan(steadyCluster(3))).toEqual({ kind: 'steady', issues: [] });
  });

  test('the leader view is the only authority on membership: a learner at the top of a steady cluster is awaited', () => {
    const o = withLeader(steadyCluster(3), { members: [voter(0), voter(1), learner(2)] });
    expect(plan(o)).toMatchObject({ kind: 'wait', reason: 'LearnerCatchingUp' });
  });
});
