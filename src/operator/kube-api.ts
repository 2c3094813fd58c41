// The small slice of the Kubernetes API the operator uses. The reconciler depends
// only on this interface: kube-api-client.ts implements it with
// @kubernetes/client-node, the tests with an in-memory fake.
import type { CoreV1Event, KubernetesObject, V1ConfigMap, V1Pod, V1PodDisruptionBudget, V1Secret, V1Service, V1StatefulSet } from '@kubernetes/client-node';

export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** 409: a stale resourceVersion precondition, or an object that already exists. */
export function isConflict(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 409;
}

export function isNotFound(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 404;
}

export type WatchedKind = 'raft3dclusters' | 'statefulsets' | 'pods';

/** What client-node's makeInformer returns, minus its cache (the reconciler reads live). */
export interface ResourceInformer {
  on(event: 'add' | 'update' | 'delete', cb: (obj: KubernetesObject) => void): void;
  on(event: 'error' | 'connect', cb: (err?: unknown) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  list(): readonly KubernetesObject[];
}

export interface KubeApi {
  getCluster(namespace: string, name: string): Promise<unknown>;
  /** Merge patch of the status subresource. */
  patchClusterStatus(namespace: string, name: string, status: Record<string, unknown>): Promise<void>;

  getStatefulSet(namespace: string, name: string): Promise<V1StatefulSet | null>;
  createStatefulSet(namespace: string, body: V1StatefulSet): Promise<void>;
  /** PUT: body.metadata.resourceVersion is the precondition (409 when stale). */
  replaceStatefulSet(namespace: string, name: string, body: V1StatefulSet): Promise<void>;
  /** Merge patch of spec.replicas with a resourceVersion precondition (409 when stale). */
  scaleStatefulSet(namespace: string, name: string, replicas: number, resourceVersion: string): Promise<void>;

  getService(namespace: string, name: string): Promise<V1Service | null>;
  createService(namespace: string, body: V1Service): Promise<void>;
  getPodDisruptionBudget(namespace: string, name: string): Promise<V1PodDisruptionBudget | null>;
  createPodDisruptionBudget(namespace: string, body: V1PodDisruptionBudget): Promise<void>;
  getConfigMap(namespace: string, name: string): Promise<V1ConfigMap | null>;
  createConfigMap(namespace: string, body: V1ConfigMap): Promise<void>;
  /** Merge patch of data (keys given are set; others stay). */
  patchConfigMapData(namespace: string, name: string, data: Record<string, string>): Promise<void>;
  getSecret(namespace: string, name: string): Promise<V1Secret | null>;
  createSecret(namespace: string, body: V1Secret): Promise<void>;

  listPods(namespace: string, labelSelector: string): Promise<V1Pod[]>;
  /** Deletes only the pod with this uid (a replacement with the same name is left alone). */
  deletePod(namespace: string, name: string, uid: string): Promise<void>;
  listPersistentVolumeClaimNames(namespace: string): Promise<string[]>;
  createEvent(namespace: string, event: CoreV1Event): Promise<void>;

  /** namespace null: every namespace. */
  informer(kind: WatchedKind, namespace: string | null): ResourceInformer;
}
