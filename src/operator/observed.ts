// Everything one reconcile pass knows about one Raft3DCluster: the input of the
// planner. Gathered fresh on every pass (kubernetes.md §13.2); nothing here is
// remembered between passes, so a restarted operator sees exactly the same.
import type { ClusterState } from './manifests.js';

export interface ObservedPod {
  readonly name: string;
  readonly ordinal: number;
  readonly phase: string;
  readonly ready: boolean;
  readonly terminating: boolean;
  /** controller-revision-hash label: which StatefulSet revision it runs. */
  readonly revision: string | null;
  readonly createdMs: number;
  /** When the pod last became not Ready (or was created, if it never was); null while Ready. */
  readonly notReadySinceMs: number | null;
}

export interface ObservedStatefulSet {
  /** spec.replicas: R. */
  readonly replicas: number;
  readonly templateHash: string | null;
  readonly storage: { readonly size: string; readonly storageClassName: string | null };
  readonly currentRevision: string | null;
  readonly updateRevision: string | null;
  readonly updatedReplicas: number;
  readonly readyReplicas: number;
  /** status.replicas: pods that exist. */
  readonly statusReplicas: number;
}

export interface RaftMember {
  readonly id: string;
  readonly role: 'voter' | 'learner';
  /** The leader heard from it within the last election timeout (the leader itself: true). */
  readonly healthy: boolean;
  readonly matchIndex: number | null;
}

export interface LeaderView {
  readonly id: string;
  readonly term: number;
  readonly clusterId: string;
  readonly commitIndex: number;
  readonly lastLogIndex: number | null;
  /** Index of the latest configuration entry, when the node reports it. */
  readonly configIndex: number | null;
  readonly transferringTo: string | null;
  readonly members: readonly RaftMember[];
}

/** What one reachable node says (leader or not). */
export interface NodeView {
  readonly pod: string;
  readonly clusterId: string;
  readonly role: string;
  readonly term: number;
  readonly memberIds: readonly string[];
}

export interface RaftView {
  readonly leader: LeaderView | null;
  readonly nodes: readonly NodeView[];
}

export interface ObservedChildren {
  readonly headlessService: boolean;
  readonly clientService: boolean;
  readonly pdb: boolean;
  /** The generated token Secret exists, or the resource names its own Secret. */
  readonly tokenSecret: boolean;
  readonly configMap: { readonly state: ClusterState | null; readonly clusterId: string } | null;
}

export interface Observed {
  readonly name: string;
  readonly generation: number;
  readonly deleting: boolean;
  /** spec.replicas of the resource: N. */
  readonly desiredReplicas: number;
  /** status.clusterId: '' until the first leader reported one. */
  readonly recordedClusterId: string;
  readonly desiredTemplateHash: string;
  readonly desiredStorage: { readonly size: string; readonly storageClassName: string | null };
  readonly children: ObservedChildren;
  readonly statefulSet: ObservedStatefulSet | null;
  readonly pods: readonly ObservedPod[];
  /** Ordinals of the PVCs data-<cluster>-<n> that exist. */
  readonly pvcOrdinals: readonly number[];
  readonly raft: RaftView;
  readonly nowMs: number;
}
