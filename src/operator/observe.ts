// Gathers the planner's input for one resource with live reads (never a cache):
// the children, the StatefulSet, its pods and PVCs, and the Raft view from the
// pods themselves. Also returns what the executor needs to act (token, leader).
import type { V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { KubeApi } from './kube-api.js';
import { templateHash, tokenSecretRef, type ClusterState } from './manifests.js';
import { TEMPLATE_HASH_ANNOTATION, names, ordinalOf, pvcOrdinalOf, selectorString } from './names.js';
import type { NodeClient } from './node-client.js';
import type { Observed, ObservedPod, ObservedStatefulSet } from './observed.js';
import { observeRaft } from './raft-view.js';
import type { Raft3DCluster } from './types.js';

export type AddressOf = (cr: Raft3DCluster, pod: string) => string;

export interface Observation {
  readonly observed: Observed;
  readonly token: string | undefined;
  readonly leaderAddress: string | null;
  readonly statefulSet: V1StatefulSet | null;
  readonly pods: readonly V1Pod[];
}

export async function observe(cr: Raft3DCluster, kube: KubeApi, nodes: NodeClient, addressOf: AddressOf, nowMs: number): Promise<Observation> {
  const ns = cr.metadata.namespace;
  const cluster = cr.metadata.name;
  const tokenRef = tokenSecretRef(cr);
  const [headless, client, pdb, cm, secret, sts, podList, pvcNames] = await Promise.all([
    kube.getService(ns, names.headlessService(cluster)),
    kube.getService(ns, names.clientService(cluster)),
    kube.getPodDisruptionBudget(ns, names.pdb(cluster)),
    kube.getConfigMap(ns, names.bootstrapConfigMap(cluster)),
    kube.getSecret(ns, tokenRef.name),
    kube.getStatefulSet(ns, names.statefulSet(cluster)),
    kube.listPods(ns, selectorString(cluster)),
    kube.listPersistentVolumeClaimNames(ns),
  ]);
  const pods = podList.filter((p) => ordinalOf(cluster, p.metadata?.name ?? '') !== null);
  const running = pods.filter((p) => p.status?.phase === 'Running').map((p) => p.metadata!.name!);
  const raft = sts === null ? { leader: null, nodes: [], leaderAddress: null } : await observeRaft(nodes, running.map((pod) => ({ pod, address: addressOf(cr, pod) })));
  const state = cm?.data?.['RAFT3D_CLUSTER_STATE'];
  const observed: Observed = {
    name: cluster,
    generation: cr.metadata.generation,
    deleting: cr.metadata.deleting,
    desiredReplicas: cr.spec.replicas,
    recordedClusterId: cr.status.clusterId ?? '',
    desiredTemplateHash: templateHash(cr),
    desiredStorage: { size: cr.spec.storage.size, storageClassName: cr.spec.storage.storageClassName },
    children: {
      headlessService: headless !== null,
      clientService: client !== null,
      pdb: pdb !== null,
      // A Secret the user names is theirs to create; only the generated one is ours.
      tokenSecret: secret !== null || cr.spec.tokenSecretRef !== null,
      configMap: cm === null ? null : { state: state === 'new' || state === 'existing' ? (state as ClusterState) : null, clusterId: cm.data?.['RAFT3D_CLUSTER_ID'] ?? '' },
    },
    statefulSet: sts === null ? null : observeStatefulSet(sts),
    pods: pods.map((p) => observePod(cluster, p, nowMs)),
    pvcOrdinals: pvcNames.map((n) => pvcOrdinalOf(cluster, n)).filter((o): o is number => o !== null).sort((a, b) => a - b),
    raft: { leader: raft.leader, nodes: raft.nodes },
    nowMs,
  };
  return { observed, token: secretValue(secret?.data?.[tokenRef.key]), leaderAddress: raft.leaderAddress, statefulSet: sts, pods };
}

function secretValue(base64: string | undefined): string | undefined {
  if (base64 === undefined || base64 === '') return undefined;
  return Buffer.from(base64, 'base64').toString('utf8');
}

export function observeStatefulSet(sts: V1StatefulSet): ObservedStatefulSet {
  const claim = sts.spec?.volumeClaimTemplates?.find((t) => t.metadata?.name === 'data');
  const size = claim?.spec?.resources?.requests?.['storage'];
  return {
    replicas: sts.spec?.replicas ?? 1,
    templateHash: sts.metadata?.annotations?.[TEMPLATE_HASH_ANNOTATION] ?? null,
    storage: { size: size === undefined ? '' : String(size), storageClassName: claim?.spec?.storageClassName ?? null },
    currentRevision: sts.status?.currentRevision ?? null,
    updateRevision: sts.status?.updateRevision ?? null,
    updatedReplicas: sts.status?.updatedReplicas ?? 0,
    readyReplicas: sts.status?.readyReplicas ?? 0,
    statusReplicas: sts.status?.replicas ?? 0,
  };
}

export function observePod(cluster: string, pod: V1Pod, nowMs: number): ObservedPod {
  const name = pod.metadata?.name ?? '';
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  const isReady = ready?.status === 'True';
  const created = toMs(pod.metadata?.creationTimestamp) ?? nowMs;
  return {
    name,
    ordinal: ordinalOf(cluster, name) ?? -1,
    phase: pod.status?.phase ?? 'Unknown',
    ready: isReady,
    terminating: pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null,
    revision: pod.metadata?.labels?.['controller-revision-hash'] ?? null,
    createdMs: created,
    notReadySinceMs: isReady ? null : (toMs(ready?.lastTransitionTime) ?? created),
  };
}

/** client-node gives Date objects from typed lists and strings from watch events. */
export function toMs(v: unknown): number | null {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}
