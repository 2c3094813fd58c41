// Carries out the one action the planner chose. Every write is safe to repeat:
// creates tolerate "already exists", the StatefulSet is re-read live and written
// with a resourceVersion precondition, and the nodes' removal is idempotent. A
// failpoint after each step lets tests kill the operator exactly there.
import { isConflict, type KubeApi } from './kube-api.js';
import {
  desiredBootstrapConfigMap,
  desiredClientService,
  desiredHeadlessService,
  desiredPodDisruptionBudget,
  desiredStatefulSet,
  desiredTokenSecret,
  mutableStatefulSetSpec,
  templateHash,
} from './manifests.js';
import { TEMPLATE_HASH_ANNOTATION, names } from './names.js';
import type { NodeClient } from './node-client.js';
import type { Observation } from './observe.js';
import type { Action } from './planner.js';
import type { MembershipChange } from './status.js';
import type { Raft3DCluster } from './types.js';

export const FAILPOINTS = ['after-transfer-request', 'after-remove-request', 'after-replicas-patch', 'after-record-cluster-id', 'after-template-update', 'after-status-update'] as const;
export type Failpoint = (typeof FAILPOINTS)[number];

export type EventType = 'Normal' | 'Warning';

/** The world moved since the observation: the next pass re-observes and decides again. */
export class RetrySoon extends Error {
  override readonly name = 'RetrySoon';
}

export interface ExecContext {
  readonly cr: Raft3DCluster;
  readonly observation: Observation;
  readonly kube: KubeApi;
  readonly nodes: NodeClient;
  readonly version: string;
  readonly nowIso: string;
  readonly emit: (type: EventType, reason: string, message: string) => Promise<void>;
  readonly failpoint: (name: Failpoint) => void;
}

/** Returns the membership change to record in the status, if the action was one. */
export async function execute(action: Action, ctx: ExecContext): Promise<MembershipChange | null> {
  const { cr, kube } = ctx;
  const ns = cr.metadata.namespace;
  const cluster = cr.metadata.name;
  const change = (type: MembershipChange['type'], member: string, result: string): MembershipChange => ({ type, member, at: ctx.nowIso, result });

  switch (action.type) {
    case 'create-child': {
      await ignoreExists(async () => {
        switch (action.child) {
          case 'headless-service':
            return kube.createService(ns, desiredHeadlessService(cr, ctx.version));
          case 'client-service':
            return kube.createService(ns, desiredClientService(cr, ctx.version));
          case 'pdb':
            return kube.createPodDisruptionBudget(ns, desiredPodDisruptionBudget(cr, ctx.version));
          case 'token-secret':
            return kube.createSecret(ns, desiredTokenSecret(cr, ctx.version));
        }
      });
      return null;
    }
    case 'write-config-map': {
      const data = { RAFT3D_CLUSTER_STATE: action.state, RAFT3D_CLUSTER_ID: action.clusterId };
      if (ctx.observation.observed.children.configMap === null) {
        try {
          await kube.createConfigMap(ns, desiredBootstrapConfigMap(cr, action.state, action.clusterId, ctx.version));
        } catch (error) {
          if (!isConflict(error)) throw error;
          await kube.patchConfigMapData(ns, names.bootstrapConfigMap(cluster), data);
        }
      } else {
        await kube.patchConfigMapData(ns, names.bootstrapConfigMap(cluster), data);
      }
      return null;
    }
    case 'create-statefulset': {
      await ignoreExists(() => kube.createStatefulSet(ns, desiredStatefulSet(cr, action.replicas, ctx.version)));
      await ctx.emit('Normal', action.adopt ? 'Adopting' : 'Bootstrapping', action.adopt ? `StatefulSet created with ${action.replicas} replicas over the retained volumes` : 'StatefulSet created with the single seed pod');
      return null;
    }
    case 'update-template': {
      const sts = await liveStatefulSet(kube, ns, cluster);
      await kube.replaceStatefulSet(ns, cluster, {
        ...sts,
        metadata: { ...sts.metadata, annotations: { ...sts.metadata?.annotations, [TEMPLATE_HASH_ANNOTATION]: templateHash(cr) } },
        spec: { ...sts.spec!, ...mutableStatefulSetSpec(cr) },
      });
      ctx.failpoint('after-template-update');
      await ctx.emit('Normal', 'RollingUpdate', 'pod template updated: pods restart one at a time, highest ordinal first');
      return null;
    }
    case 'delete-pod': {
      const pod = ctx.observation.pods.find((p) => p.metadata?.name === action.pod);
      const uid = pod?.metadata?.uid;
      if (uid === undefined) return null;
      await kube.deletePod(ns, action.pod, uid);
      await ctx.emit('Warning', 'ForcedRollback', `deleted ${action.pod}: stuck on an outdated revision, not Ready for 5 minutes`);
      return null;
    }
    case 'record-cluster-id': {
      // ConfigMap first: from here on no restarted seed can create a second cluster.
      await kube.patchConfigMapData(ns, names.bootstrapConfigMap(cluster), { RAFT3D_CLUSTER_STATE: 'existing', RAFT3D_CLUSTER_ID: action.clusterId });
      ctx.failpoint('after-record-cluster-id');
      await kube.patchClusterStatus(ns, cluster, { clusterId: action.clusterId });
      await ctx.emit('Normal', action.adopted ? 'Adopted' : 'Bootstrapped', `cluster ${action.clusterId} recorded`);
      return change(action.adopted ? 'adopt' : 'bootstrap', ctx.observation.observed.raft.leader?.id ?? '', `cluster ${action.clusterId}`);
    }
    case 'scale': {
      const sts = await liveStatefulSet(kube, ns, cluster);
      if ((sts.spec?.replicas ?? 1) !== action.from) {
        throw new RetrySoon(`StatefulSet ${cluster} replicas changed to ${sts.spec?.replicas} since the observation (expected ${action.from})`);
      }
      await kube.scaleStatefulSet(ns, cluster, action.to, sts.metadata?.resourceVersion ?? '');
      ctx.failpoint('after-replicas-patch');
      const reason = action.change === 'scale_up' ? 'ScalingUp' : action.change === 'scale_down' ? 'ScalingDown' : 'DriftRepaired';
      const member = names.pod(cluster, action.change === 'scale_down' ? action.to : action.to - 1);
      await ctx.emit(action.change === 'drift_repair' ? 'Warning' : 'Normal', reason, `StatefulSet replicas ${action.from} → ${action.to}`);
      return change(action.change, member, `replicas ${action.from} → ${action.to}`);
    }
    case 'transfer-leadership': {
      const leader = requireLeader(ctx);
      await ctx.emit('Normal', 'LeadershipTransferRequested', `asking ${action.from} to hand leadership to ${action.to} before its removal`);
      await ctx.nodes.transferLeadership(leader, action.to, ctx.observation.token);
      ctx.failpoint('after-transfer-request');
      return change('transfer', action.from, `to ${action.to}`);
    }
    case 'remove-member': {
      const leader = requireLeader(ctx);
      await ctx.emit('Normal', 'MemberRemoving', `removing ${action.role} ${action.id} from the Raft configuration`);
      await ctx.nodes.removeMember(leader, action.id, ctx.observation.token);
      ctx.failpoint('after-remove-request');
      await ctx.emit('Normal', 'MemberRemoved', `${action.id} removed; the StatefulSet shrinks once the change is committed`);
      return change('remove', action.id, 'removed');
    }
  }
}

async function ignoreExists(create: () => Promise<void>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
}

async function liveStatefulSet(kube: KubeApi, ns: string, name: string): Promise<NonNullable<Awaited<ReturnType<KubeApi['getStatefulSet']>>>> {
  const sts = await kube.getStatefulSet(ns, name);
  if (sts === null) throw new RetrySoon(`StatefulSet ${ns}/${name} disappeared`);
  return sts;
}

function requireLeader(ctx: ExecContext): string {
  const address = ctx.observation.leaderAddress;
  if (address === null) throw new RetrySoon('the leader is no longer known');
  return address;
}
