// In-memory KubeApi for the reconciler tests: objects with uids and
// resourceVersions, 409 on stale preconditions and duplicates, merge patches,
// informers that deliver add/update/delete and can be broken on demand, and a
// log of every write so tests can check that no step was repeated.
import type { CoreV1Event, KubernetesObject, V1ConfigMap, V1Pod, V1PodDisruptionBudget, V1Secret, V1Service, V1StatefulSet } from '@kubernetes/client-node';
import { KubeApiError, type KubeApi, type ResourceInformer, type WatchedKind } from '../../../src/operator/kube-api.js';

/** 'raft': membership calls recorded by the simulated nodes, in the same timeline. */
export type Kind = WatchedKind | 'services' | 'pdbs' | 'configmaps' | 'secrets' | 'pvcs' | 'events' | 'raft';

export interface Write {
  readonly op: string;
  readonly kind: Kind;
  readonly name: string;
  readonly detail?: unknown;
}

type Obj = KubernetesObject & Record<string, unknown>;

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return clone(patch);
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

class FakeInformer implements ResourceInformer {
  private readonly handlers: Record<string, ((arg: never) => void)[]> = { add: [], update: [], delete: [], error: [], connect: [] };
  running = false;
  constructor(
    private readonly kube: FakeKube,
    readonly kind: WatchedKind,
    private readonly namespace: string | null,
  ) {}
  on(event: 'add' | 'update' | 'delete', cb: (obj: KubernetesObject) => void): void;
  on(event: 'error' | 'connect', cb: (err?: unknown) => void): void;
  on(event: string, cb: (arg: never) => void): void {
    this.handlers[event]!.push(cb);
  }
  async start(): Promise<void> {
    if (this.kube.failInformerStarts > 0) {
      this.kube.failInformerStarts--;
      throw new KubeApiError('list failed', 500);
    }
    if (this.kube.failInformerListsQuietly > 0) {
      // What client-node does when its list fails: report "error", then resolve start().
      this.kube.failInformerListsQuietly--;
      this.emit('error', new KubeApiError('list failed', 500));
      return;
    }
    this.running = true;
    this.emit('connect');
  }
  async stop(): Promise<void> {
    this.running = false;
  }
  list(): readonly KubernetesObject[] {
    return this.kube.all(this.kind).filter((o) => this.namespace === null || o.metadata?.namespace === this.namespace);
  }
  deliver(event: 'add' | 'update' | 'delete', obj: KubernetesObject): void {
    if (!this.running) return;
    if (this.namespace !== null && obj.metadata?.namespace !== this.namespace) return;
    this.emit(event, obj);
  }
  fail(error: unknown): void {
    if (!this.running) return;
    // client-node's informer stops for good after an error.
    this.running = false;
    this.emit('error', error);
  }
  private emit(event: string, arg?: unknown): void {
    for (const h of this.handlers[event]!) (h as (a: unknown) => void)(arg);
  }
}

export class FakeKube implements KubeApi {
  private readonly store = new Map<string, Obj>();
  private rv = 1;
  private uid = 1;
  readonly writes: Write[] = [];
  readonly events: CoreV1Event[] = [];
  readonly informers: FakeInformer[] = [];
  failInformerStarts = 0;
  failInformerListsQuietly = 0;
  now = (): number => Date.now();

  // ---- test helpers ----
  put(kind: Kind, obj: Obj): Obj {
    const key = this.key(kind, obj.metadata!.namespace!, obj.metadata!.name!);
    const existing = this.store.get(key);
    const stored = clone(obj);
    stored.metadata = {
      ...stored.metadata,
      uid: existing?.metadata?.uid ?? stored.metadata?.uid ?? `uid-${this.uid++}`,
      resourceVersion: String(this.rv++),
      creationTimestamp: (existing?.metadata?.creationTimestamp ?? stored.metadata?.creationTimestamp ?? new Date(this.now()).toISOString()) as unknown as Date,
    };
    if (kind === 'raft3dclusters') {
      const oldSpec = JSON.stringify(existing?.['spec']);
      const gen = existing?.metadata?.generation ?? 0;
      stored.metadata.generation = existing === undefined || oldSpec !== JSON.stringify(stored['spec']) ? gen + 1 : gen;
    }
    this.store.set(key, stored);
    this.notify(kind, existing === undefined ? 'add' : 'update', stored);
    return clone(stored);
  }
  get(kind: Kind, namespace: string, name: string): Obj | null {
    const o = this.store.get(this.key(kind, namespace, name));
    return o === undefined ? null : clone(o);
  }
  remove(kind: Kind, namespace: string, name: string): void {
    const key = this.key(kind, namespace, name);
    const o = this.store.get(key);
    if (o === undefined) return;
    this.store.delete(key);
    this.notify(kind, 'delete', o);
  }
  all(kind: Kind): Obj[] {
    return [...this.store.entries()].filter(([k]) => k.startsWith(`${kind}/`)).map(([, v]) => clone(v));
  }
  breakInformers(): void {
    for (const i of this.informers) i.fail(new Error('watch closed: connection reset'));
  }
  runningInformers(): number {
    return this.informers.filter((i) => i.running).length;
  }

  // ---- KubeApi ----
  async getCluster(namespace: string, name: string): Promise<unknown> {
    return this.get('raft3dclusters', namespace, name);
  }
  async patchClusterStatus(namespace: string, name: string, status: Record<string, unknown>): Promise<void> {
    const cur = this.must('raft3dclusters', namespace, name);
    this.writes.push({ op: 'patch-status', kind: 'raft3dclusters', name, detail: status });
    const next = { ...cur, status: mergePatch(cur['status'] ?? {}, status) };
    this.update('raft3dclusters', next);
  }
  async getStatefulSet(namespace: string, name: string): Promise<V1StatefulSet | null> {
    return this.get('statefulsets', namespace, name) as V1StatefulSet | null;
  }
  async createStatefulSet(namespace: string, body: V1StatefulSet): Promise<void> {
    this.create('statefulsets', namespace, body as Obj);
  }
  async replaceStatefulSet(namespace: string, name: string, body: V1StatefulSet): Promise<void> {
    const cur = this.must('statefulsets', namespace, name);
    if (body.metadata?.resourceVersion !== cur.metadata?.resourceVersion) throw new KubeApiError('conflict: stale resourceVersion', 409);
    this.writes.push({ op: 'replace', kind: 'statefulsets', name, detail: body.metadata?.annotations });
    this.update('statefulsets', { ...(clone(body) as Obj), status: cur['status'] });
  }
  async scaleStatefulSet(namespace: string, name: string, replicas: number, resourceVersion: string): Promise<void> {
    const cur = this.must('statefulsets', namespace, name) as Obj & V1StatefulSet;
    if (resourceVersion !== cur.metadata?.resourceVersion) throw new KubeApiError('conflict: stale resourceVersion', 409);
    this.writes.push({ op: 'scale', kind: 'statefulsets', name, detail: { from: cur.spec?.replicas, to: replicas } });
    this.update('statefulsets', { ...cur, spec: { ...cur.spec!, replicas } });
  }
  async getService(namespace: string, name: string): Promise<V1Service | null> {
    return this.get('services', namespace, name) as V1Service | null;
  }
  async createService(namespace: string, body: V1Service): Promise<void> {
    this.create('services', namespace, body as Obj);
  }
  async getPodDisruptionBudget(namespace: string, name: string): Promise<V1PodDisruptionBudget | null> {
    return this.get('pdbs', namespace, name) as V1PodDisruptionBudget | null;
  }
  async createPodDisruptionBudget(namespace: string, body: V1PodDisruptionBudget): Promise<void> {
    this.create('pdbs', namespace, body as Obj);
  }
  async getConfigMap(namespace: string, name: string): Promise<V1ConfigMap | null> {
    return this.get('configmaps', namespace, name) as V1ConfigMap | null;
  }
  async createConfigMap(namespace: string, body: V1ConfigMap): Promise<void> {
    this.create('configmaps', namespace, body as Obj);
  }
  async patchConfigMapData(namespace: string, name: string, data: Record<string, string>): Promise<void> {
    const cur = this.must('configmaps', namespace, name);
    this.writes.push({ op: 'patch', kind: 'configmaps', name, detail: data });
    this.update('configmaps', { ...cur, data: mergePatch(cur['data'] ?? {}, data) });
  }
  async getSecret(namespace: string, name: string): Promise<V1Secret | null> {
    return this.get('secrets', namespace, name) as V1Secret | null;
  }
  async createSecret(namespace: string, body: V1Secret): Promise<void> {
    const data: Record<string, string> = { ...body.data };
    for (const [k, v] of Object.entries(body.stringData ?? {})) data[k] = Buffer.from(v, 'utf8').toString('base64');
    const { stringData: _omit, ...rest } = body;
    this.create('secrets', namespace, { ...rest, data } as Obj);
  }
  async listPods(namespace: string, labelSelector: string): Promise<V1Pod[]> {
    const want = labelSelector.split(',').map((kv) => kv.split('=') as [string, string]);
    return this.all('pods').filter((p) => p.metadata?.namespace === namespace && want.every(([k, v]) => p.metadata?.labels?.[k] === v)) as V1Pod[];
  }
  async deletePod(namespace: string, name: string, uid: string): Promise<void> {
    const cur = this.get('pods', namespace, name);
    if (cur === null) return;
    if (cur.metadata?.uid !== uid) throw new KubeApiError('conflict: uid precondition failed', 409);
    this.writes.push({ op: 'delete', kind: 'pods', name });
    this.update('pods', { ...cur, metadata: { ...cur.metadata, deletionTimestamp: new Date(this.now()).toISOString() as unknown as Date } });
  }
  async listPersistentVolumeClaimNames(namespace: string): Promise<string[]> {
    return this.all('pvcs').filter((p) => p.metadata?.namespace === namespace).map((p) => p.metadata!.name!);
  }
  async createEvent(_namespace: string, event: CoreV1Event): Promise<void> {
    this.events.push(clone(event));
  }
  informer(kind: WatchedKind, namespace: string | null): ResourceInformer {
    const inf = new FakeInformer(this, kind, namespace);
    this.informers.push(inf);
    return inf;
  }

  // ---- internals ----
  private key(kind: Kind, ns: string, name: string): string {
    return `${kind}/${ns}/${name}`;
  }
  private must(kind: Kind, ns: string, name: string): Obj {
    const o = this.get(kind, ns, name);
    if (o === null) throw new KubeApiError(`${kind} ${ns}/${name} not found`, 404);
    return o;
  }
  private create(kind: Kind, namespace: string, body: Obj): void {
    const name = body.metadata?.name ?? '';
    if (this.get(kind, namespace, name) !== null) throw new KubeApiError(`${kind} ${namespace}/${name} already exists`, 409);
    this.writes.push({ op: 'create', kind, name, detail: kind === 'statefulsets' ? { replicas: (body as V1StatefulSet).spec?.replicas } : kind === 'configmaps' ? body['data'] : undefined });
    this.put(kind, { ...body, metadata: { ...body.metadata, namespace } });
  }
  private update(kind: Kind, obj: Obj): void {
    this.put(kind, obj);
  }
  private notify(kind: Kind, event: 'add' | 'update' | 'delete', obj: Obj): void {
    for (const i of this.informers) if (i.kind === kind) i.deliver(event, clone(obj));
  }
}
