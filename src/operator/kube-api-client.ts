// KubeApi on @kubernetes/client-node 1.x: typed APIs for reads and writes,
// makeInformer for watches. Every patch names its Content-Type explicitly
// (merge patch), since the library's default has surprised users before.
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  PolicyV1Api,
  makeInformer,
  setHeaderOptions,
  type CoreV1Event,
  type KubernetesListObject,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Pod,
  type V1PodDisruptionBudget,
  type V1Secret,
  type V1Service,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import { KubeApiError, type KubeApi, type ResourceInformer, type WatchedKind } from './kube-api.js';
import { FIELD_MANAGER, GROUP, MANAGED_SELECTOR, PLURAL, VERSION } from './names.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

async function wrap<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ApiException) throw new KubeApiError(`${what}: ${error.code} ${summary(error.body)}`, error.code);
    throw error;
  }
}

async function orNull<T>(what: string, call: () => Promise<T>): Promise<T | null> {
  try {
    return await wrap(what, call);
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return null;
    throw error;
  }
}

function summary(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 300);
  if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string') return body.message;
  return '';
}

export class ClientNodeKubeApi implements KubeApi {
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly policy: PolicyV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(private readonly kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.policy = kc.makeApiClient(PolicyV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  async getCluster(namespace: string, name: string): Promise<unknown> {
    const obj: unknown = await orNull(`get ${PLURAL} ${namespace}/${name}`, () => this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name }));
    return obj;
  }

  async patchClusterStatus(namespace: string, name: string, status: Record<string, unknown>): Promise<void> {
    await wrap(`patch ${PLURAL}/status ${namespace}/${name}`, () =>
      this.custom.patchNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: { status }, fieldManager: FIELD_MANAGER }, mergePatch),
    );
  }

  getStatefulSet(namespace: string, name: string): Promise<V1StatefulSet | null> {
    return orNull(`get statefulset ${namespace}/${name}`, () => this.apps.readNamespacedStatefulSet({ namespace, name }));
  }

  async createStatefulSet(namespace: string, body: V1StatefulSet): Promise<void> {
    await wrap(`create statefulset ${namespace}/${body.metadata?.name}`, () => this.apps.createNamespacedStatefulSet({ namespace, body, fieldManager: FIELD_MANAGER }));
  }

  async replaceStatefulSet(namespace: string, name: string, body: V1StatefulSet): Promise<void> {
    await wrap(`replace statefulset ${namespace}/${name}`, () => this.apps.replaceNamespacedStatefulSet({ namespace, name, body, fieldManager: FIELD_MANAGER }));
  }

  async scaleStatefulSet(namespace: string, name: string, replicas: number, resourceVersion: string): Promise<void> {
    // resourceVersion in a patch body is an optimistic-concurrency precondition: 409 when stale.
    const body = { metadata: { resourceVersion }, spec: { replicas } };
    await wrap(`scale statefulset ${namespace}/${name}`, () => this.apps.patchNamespacedStatefulSet({ namespace, name, body, fieldManager: FIELD_MANAGER }, mergePatch));
  }

  getService(namespace: string, name: string): Promise<V1Service | null> {
    return orNull(`get service ${namespace}/${name}`, () => this.core.readNamespacedService({ namespace, name }));
  }

  async createService(namespace: string, body: V1Service): Promise<void> {
    await wrap(`create service ${namespace}/${body.metadata?.name}`, () => this.core.createNamespacedService({ namespace, body, fieldManager: FIELD_MANAGER }));
  }

  getPodDisruptionBudget(namespace: string, name: string): Promise<V1PodDisruptionBudget | null> {
    return orNull(`get pdb ${namespace}/${name}`, () => this.policy.readNamespacedPodDisruptionBudget({ namespace, name }));
  }

  async createPodDisruptionBudget(namespace: string, body: V1PodDisruptionBudget): Promise<void> {
    await wrap(`create pdb ${namespace}/${body.metadata?.name}`, () => this.policy.createNamespacedPodDisruptionBudget({ namespace, body, fieldManager: FIELD_MANAGER }));
  }

  getConfigMap(namespace: string, name: string): Promise<V1ConfigMap | null> {
    return orNull(`get configmap ${namespace}/${name}`, () => this.core.readNamespacedConfigMap({ namespace, name }));
  }

  async createConfigMap(namespace: string, body: V1ConfigMap): Promise<void> {
    await wrap(`create configmap ${namespace}/${body.metadata?.name}`, () => this.core.createNamespacedConfigMap({ namespace, body, fieldManager: FIELD_MANAGER }));
  }

  async patchConfigMapData(namespace: string, name: string, data: Record<string, string>): Promise<void> {
    await wrap(`patch configmap ${namespace}/${name}`, () => this.core.patchNamespacedConfigMap({ namespace, name, body: { data }, fieldManager: FIELD_MANAGER }, mergePatch));
  }

  getSecret(namespace: string, name: string): Promise<V1Secret | null> {
    return orNull(`get secret ${namespace}/${name}`, () => this.core.readNamespacedSecret({ namespace, name }));
  }

  async createSecret(namespace: string, body: V1Secret): Promise<void> {
    await wrap(`create secret ${namespace}/${body.metadata?.name}`, () => this.core.createNamespacedSecret({ namespace, body, fieldManager: FIELD_MANAGER }));
  }

  async listPods(namespace: string, labelSelector: string): Promise<V1Pod[]> {
    const list = await wrap(`list pods ${namespace}`, () => this.core.listNamespacedPod({ namespace, labelSelector }));
    return list.items;
  }

  async deletePod(namespace: string, name: string, uid: string): Promise<void> {
    await orNull(`delete pod ${namespace}/${name}`, () => this.core.deleteNamespacedPod({ namespace, name, body: { preconditions: { uid } } }));
  }

  async listPersistentVolumeClaimNames(namespace: string): Promise<string[]> {
    const list = await wrap(`list pvcs ${namespace}`, () => this.core.listNamespacedPersistentVolumeClaim({ namespace }));
    return list.items.map((p) => p.metadata?.name ?? '').filter((n) => n !== '');
  }

  async createEvent(namespace: string, event: CoreV1Event): Promise<void> {
    await wrap(`create event ${namespace}`, () => this.core.createNamespacedEvent({ namespace, body: event }));
  }

  informer(kind: WatchedKind, namespace: string | null): ResourceInformer {
    const nsPath = namespace === null ? '' : `/namespaces/${namespace}`;
    switch (kind) {
      case 'raft3dclusters': {
        const list = async (): Promise<KubernetesListObject<KubernetesObject>> => {
          const raw: unknown =
            namespace === null
              ? await this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })
              : await this.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL });
          return raw as KubernetesListObject<KubernetesObject>;
        };
        return makeInformer(this.kc, `/apis/${GROUP}/${VERSION}${nsPath}/${PLURAL}`, list);
      }
      case 'statefulsets':
        return makeInformer(
          this.kc,
          `/apis/apps/v1${nsPath}/statefulsets`,
          () => (namespace === null ? this.apps.listStatefulSetForAllNamespaces({ labelSelector: MANAGED_SELECTOR }) : this.apps.listNamespacedStatefulSet({ namespace, labelSelector: MANAGED_SELECTOR })),
          MANAGED_SELECTOR,
        );
      case 'pods':
        return makeInformer(
          this.kc,
          `/api/v1${nsPath}/pods`,
          () => (namespace === null ? this.core.listPodForAllNamespaces({ labelSelector: MANAGED_SELECTOR }) : this.core.listNamespacedPod({ namespace, labelSelector: MANAGED_SELECTOR })),
          MANAGED_SELECTOR,
        );
    }
  }
}
