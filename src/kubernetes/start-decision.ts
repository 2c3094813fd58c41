// How a pod starts in Kubernetes mode, decided from its data directory and what
// its peers answer on GET /cluster/status (kubernetes.md §3.2 and §6). Pure: the
// caller probes, this decides. The rules that keep a brain from splitting:
// only ordinal 0 ever creates a cluster, never when any peer reports one, never
// when the operator says the cluster already exists, and never on a partial view.
import type { ClusterState } from './k8s-config.js';

export type LocalState =
  /** No identity: a fresh volume. */
  | { readonly kind: 'empty' }
  /** Started once but never admitted to a cluster (identity without a cluster id). */
  | { readonly kind: 'unjoined'; readonly incarnation: string }
  | { readonly kind: 'member'; readonly clusterId: string; readonly incarnation: string; readonly term: number };

export interface PeerMember {
  readonly id: string;
  /** Present when the node reports it; a different one for our id means our data was replaced. */
  readonly incarnation?: string;
}

export interface PeerStatus {
  /** '' for a node that has no cluster yet. */
  readonly clusterId: string;
  /** leader, follower, candidate, pre_candidate, learner, discovering, ... */
  readonly role: string;
  readonly term: number;
  readonly leaderHttpAddress: string | null;
  readonly members: readonly PeerMember[];
}

export interface PeerObservation {
  readonly ordinal: number;
  readonly name: string;
  readonly httpAddress: string;
  /** null: unreachable, not resolvable yet, or an unusable answer. */
  readonly status: PeerStatus | null;
}

export interface StartView {
  readonly self: { readonly name: string; readonly ordinal: number };
  readonly expectedReplicas: number;
  readonly clusterState: ClusterState | undefined;
  readonly expectedClusterId: string | undefined;
  readonly local: LocalState;
  readonly peers: readonly PeerObservation[];
  /**
   * A node with state may still wait a little for a leader of its cluster to answer
   * before resuming: only a leader can tell it that it was removed while away.
   */
  readonly mayWaitForLeader?: boolean;
}

export type StartDecision =
  | { readonly kind: 'bootstrap'; readonly moveAsideFirst: boolean; readonly reason: string }
  | { readonly kind: 'join'; readonly clusterId: string; readonly seeds: readonly string[]; readonly reason: string }
  | { readonly kind: 'resume'; readonly reason: string }
  /** Removed while away (or replaced): move the data aside, then join as a new learner. */
  | { readonly kind: 'rejoin'; readonly clusterId: string; readonly seeds: readonly string[]; readonly reason: string }
  | { readonly kind: 'wait'; readonly reason: string; readonly missing: readonly string[] }
  | { readonly kind: 'refuse'; readonly reason: string };

export function decideStart(view: StartView): StartDecision {
  return view.local.kind === 'member' ? decideWithState(view, view.local) : decideFresh(view);
}

function decideFresh(view: StartView): StartDecision {
  const answered = view.peers.filter((p): p is PeerObservation & { status: PeerStatus } => p.status !== null);
  const withCluster = answered.filter((p) => p.status.clusterId !== '');
  const ignored = view.expectedClusterId === undefined ? [] : withCluster.filter((p) => p.status.clusterId !== view.expectedClusterId);
  const usable = withCluster.filter((p) => !ignored.includes(p));
  const ignoredNote = ignored.length > 0 ? `; ignored peers of another cluster: ${ignored.map((p) => `${p.name}=${p.status.clusterId}`).join(', ')}` : '';

  const ids = [...new Set(usable.map((p) => p.status.clusterId))];
  if (ids.length > 1) {
    return { kind: 'wait', reason: `peers report different cluster ids (${ids.join(', ')}); not joining either${ignoredNote}`, missing: [] };
  }
  if (ids.length === 1) {
    return { kind: 'join', clusterId: ids[0]!, seeds: joinSeeds(usable), reason: `peers ${usable.map((p) => p.name).join(', ')} report cluster ${ids[0]}${ignoredNote}` };
  }
  if (view.clusterState === 'existing' || view.expectedClusterId !== undefined) {
    return { kind: 'wait', reason: `the cluster already exists: waiting for a member to answer${ignoredNote}`, missing: unanswered(view) };
  }
  if (view.self.ordinal !== 0) {
    return { kind: 'wait', reason: `no peer reports a cluster yet; only ordinal 0 creates one${ignoredNote}`, missing: unanswered(view) };
  }
  const missing = view.peers.filter((p) => p.ordinal < view.expectedReplicas && p.status === null).map((p) => p.name);
  const expectedPresent = new Set(view.peers.filter((p) => p.ordinal < view.expectedReplicas).map((p) => p.ordinal));
  for (let o = 1; o < view.expectedReplicas; o++) if (!expectedPresent.has(o)) missing.push(`ordinal ${o}`);
  if (missing.length > 0) {
    return { kind: 'wait', reason: `waiting for every expected peer to answer before creating the cluster`, missing };
  }
  return {
    kind: 'bootstrap',
    moveAsideFirst: view.local.kind === 'unjoined',
    reason: view.expectedReplicas > 1 ? `all ${view.expectedReplicas - 1} expected peers answered with no cluster` : 'the single seed of a new cluster',
  };
}

function decideWithState(view: StartView, local: Extract<LocalState, { kind: 'member' }>): StartDecision {
  const answered = view.peers.filter((p): p is PeerObservation & { status: PeerStatus } => p.status !== null);
  const same = answered.filter((p) => p.status.clusterId === local.clusterId);
  const other = answered.filter((p) => p.status.clusterId !== '' && p.status.clusterId !== local.clusterId);
  const leader = same
    .filter((p) => p.status.role === 'leader')
    .sort((a, b) => b.status.term - a.status.term)[0];
  if (leader !== undefined) {
    if (leader.status.term < local.term) {
      return { kind: 'resume', reason: `${leader.name} leads term ${leader.status.term}, older than this node's term ${local.term}: its view is stale` };
    }
    const me = leader.status.members.find((m) => m.id === view.self.name);
    if (me === undefined) {
      return { kind: 'rejoin', clusterId: local.clusterId, seeds: joinSeeds(same), reason: `the leader ${leader.name} (term ${leader.status.term}) has no member ${view.self.name}: it was removed while away` };
    }
    if (me.incarnation !== undefined && me.incarnation !== local.incarnation) {
      return { kind: 'rejoin', clusterId: local.clusterId, seeds: joinSeeds(same), reason: `the leader lists ${view.self.name} with incarnation ${me.incarnation}, not this volume's ${local.incarnation}` };
    }
    return { kind: 'resume', reason: `the leader ${leader.name} lists this node as a member` };
  }
  if (same.length === 0 && other.length > 0) {
    return {
      kind: 'refuse',
      reason: `this volume belongs to cluster ${local.clusterId}, but peers report ${[...new Set(other.map((p) => p.status.clusterId))].join(', ')} (${other.map((p) => p.name).join(', ')}); never merging clusters`,
    };
  }
  if (view.mayWaitForLeader === true) {
    return { kind: 'wait', reason: 'waiting briefly for a leader of this cluster to confirm the membership', missing: unanswered(view) };
  }
  return { kind: 'resume', reason: same.length === 0 ? 'no peer answered: resuming from the data directory' : 'no leader answered: resuming from the data directory' };
}

/** The leader's address first (it accepts the join directly), then every peer of the cluster. */
function joinSeeds(peers: readonly (PeerObservation & { status: PeerStatus })[]): string[] {
  const ordered = [
    ...peers.filter((p) => p.status.role === 'leader').map((p) => p.httpAddress),
    ...peers.map((p) => p.status.leaderHttpAddress).filter((a): a is string => a !== null && a !== ''),
    ...peers.map((p) => p.httpAddress),
  ];
  return [...new Set(ordered)];
}

function unanswered(view: StartView): string[] {
  return view.peers.filter((p) => p.status === null).map((p) => p.name);
}
