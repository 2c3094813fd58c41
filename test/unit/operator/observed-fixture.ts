// Builders of planner input for the operator tests: a healthy cluster of R pods
// that the tests then bend into the case they need.
import type { LeaderView, Observed, ObservedPod, RaftMember } from '../../../src/operator/observed.js';

export const NOW = 1_000_000_000;

export function pod(ordinal: number, over: Partial<ObservedPod> = {}): ObservedPod {
  return { name: `farm-${ordinal}`, ordinal, phase: 'Running', ready: true, terminating: false, revision: 'r1', createdMs: NOW - 60_000, notReadySinceMs: null, ...over };
}

export function voter(ordinal: number, over: Partial<RaftMember> = {}): RaftMember {
  return { id: `farm-${ordinal}`, role: 'voter', healthy: true, matchIndex: 10, ...over };
}

export function learner(ordinal: number, over: Partial<RaftMember> = {}): RaftMember {
  return { id: `farm-${ordinal}`, role: 'learner', healthy: true, matchIndex: 10, ...over };
}

export function leaderView(members: readonly RaftMember[], over: Partial<LeaderView> = {}): LeaderView {
  return { id: 'farm-0', term: 3, clusterId: 'c1', commitIndex: 10, lastLogIndex: 10, configIndex: 8, transferringTo: null, members, ...over };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** A steady cluster: N = R, every pod Ready, every member a healthy voter, farm-0 leads. */
export function steadyCluster(R: number, over: Partial<Observed> = {}): Observed {
  return {
    name: 'farm',
    generation: 1,
    deleting: false,
    desiredReplicas: R,
    recordedClusterId: 'c1',
    desiredTemplateHash: 'h1',
    desiredStorage: { size: '1Gi', storageClassName: null },
    children: { headlessService: true, clientService: true, pdb: true, tokenSecret: true, configMap: { state: 'existing', clusterId: 'c1' } },
    statefulSet: {
      replicas: R,
      templateHash: 'h1',
      storage: { size: '1Gi', storageClassName: null },
      currentRevision: 'r1',
      updateRevision: 'r1',
      updatedReplicas: R,
      readyReplicas: R,
      statusReplicas: R,
    },
    pods: range(R).map((o) => pod(o)),
    pvcOrdinals: range(R),
    raft: {
      leader: leaderView(range(R).map((o) => voter(o))),
      nodes: range(R).map((o) => ({ pod: `farm-${o}`, clusterId: 'c1', role: o === 0 ? 'leader' : 'follower', term: 3, memberIds: range(R).map((x) => `farm-${x}`) })),
    },
    nowMs: NOW,
    ...over,
  };
}

export function withLeader(o: Observed, over: Partial<LeaderView>): Observed {
  return { ...o, raft: { ...o.raft, leader: { ...o.raft.leader!, ...over } } };
}
