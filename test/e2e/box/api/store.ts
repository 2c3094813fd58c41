// The state of the fake API server: objects by kind, one resourceVersion counter
// for everything (like etcd's revision), a bounded window of past changes from
// which watches resume (older versions get 410 Gone), and the write semantics the
// clients depend on: optimistic concurrency, generation, status and scale
// subresources, graceful deletion, finalizers.
import { randomUUID } from 'node:crypto';
import { ApiError, alreadyExists, badRequest, conflict, invalid, notFound } from './errors.js';
import { applyDefaults, ClusterIpAllocator } from './defaults.js';
import { arr, at, clone, deepEqual, isObj, jsonPath, meta, nameOf, num, setAt, str, type Obj } from './json.js';
import { APPLY_PATCH, JSON_PATCH, MERGE_PATCH, PatchError, STRATEGIC_PATCH, jsonPatch, mergePatch, strategicMerge } from './patch.js';
import { BUILTIN_TYPES, apiVersionOf, groupResource, typesFromCrd, type ResourceType } from './resource-types.js';
import { selectorString, type Matcher } from './selectors.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  readonly type: EventType | 'BOOKMARK' | 'ERROR';
  readonly object: Obj;
}

interface Change {
  readonly rv: number;
  readonly gr: string;
  readonly namespace: string;
  readonly object: Obj | null;
  readonly prev: Obj | null;
}

interface Watcher {
  readonly gr: string;
  readonly namespace: string | null;
  readonly label: Matcher;
  readonly field: Matcher;
  readonly send: (ev: WatchEvent) => void;
}

export type Subresource = 'status' | 'scale' | null;

export interface DeleteOptions {
  readonly gracePeriodSeconds?: number;
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  readonly propagationPolicy?: string;
}

export interface ListResult {
  readonly items: Obj[];
  readonly resourceVersion: string;
}

export function nowTimestamp(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Only these parts of an object count for `metadata.generation`. */
function specPart(o: Obj): Obj {
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
}

export class Store {
  private revision = 1;
  private readonly objects = new Map<string, Map<string, Obj>>();
  private history: Change[] = [];
  /** Changes at or below this revision are no longer available to watches. */
  private compacted = 0;
  private readonly watchers = new Set<Watcher>();
  private readonly pending: Change[] = [];
  private delivering: Change | null = null;
  private readonly types = new Map<string, ResourceType>();
  private readonly ips = new ClusterIpAllocator();

  constructor(private readonly historyLimit = 5000) {
    for (const t of BUILTIN_TYPES) this.registerType(t);
  }

  get resourceVersion(): string {
    return String(this.revision);
  }

  // ---- kinds

  private registerType(t: ResourceType): void {
    this.types.set(`${apiVersionOf(t)}/${t.resource}`, t);
  }

  allTypes(): ResourceType[] {
    return [...this.types.values()];
  }

  typeFor(group: string, version: string, resource: string): ResourceType | undefined {
    return this.types.get(`${group === '' ? version : `${group}/${version}`}/${resource}`);
  }

  typeForKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.allTypes().find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
  }

  mustType(apiVersion: string, kind: string): ResourceType {
    const t = this.typeForKind(apiVersion, kind);
    if (t === undefined) throw new ApiError(404, 'NotFound', `no kind ${kind} in ${apiVersion}`);
    return t;
  }

  private syncCrdTypes(): void {
    for (const [key, t] of [...this.types]) if (!BUILTIN_TYPES.includes(t)) this.types.delete(key);
    for (const crd of this.bucket('customresourcedefinitions.apiextensions.k8s.io').values()) for (const t of typesFromCrd(crd)) this.registerType(t);
  }

  // ---- reads

  private bucket(gr: string): Map<string, Obj> {
    let b = this.objects.get(gr);
    if (b === undefined) {
      b = new Map();
      this.objects.set(gr, b);
    }
    return b;
  }

  private current(t: ResourceType, namespace: string, name: string): Obj | undefined {
    return this.bucket(groupResource(t)).get(`${t.namespaced ? namespace : ''}/${name}`);
  }

  get(t: ResourceType, namespace: string, name: string, sub: Subresource = null): Obj {
    const o = this.current(t, namespace, name);
    if (o === undefined) throw notFound(groupResource(t), name);
    if (sub === 'scale') return this.scaleOf(t, o);
    return this.present(t, o);
  }

  tryGet(t: ResourceType, namespace: string, name: string): Obj | null {
    const o = this.current(t, namespace, name);
    return o === undefined ? null : this.present(t, o);
  }

  list(t: ResourceType, namespace: string | null, label: Matcher = () => true, field: Matcher = () => true): ListResult {
    const items: Obj[] = [];
    for (const o of this.bucket(groupResource(t)).values()) {
      if (namespace !== null && t.namespaced && (at(o, 'metadata', 'namespace') ?? '') !== namespace) continue;
      if (label(o) && field(o)) items.push(this.present(t, o));
    }
    items.sort((a, b) => `${str(at(a, 'metadata', 'namespace')) ?? ''}/${nameOf(a)}`.localeCompare(`${str(at(b, 'metadata', 'namespace')) ?? ''}/${nameOf(b)}`));
    return { items, resourceVersion: this.resourceVersion };
  }

  private present(t: ResourceType, o: Obj): Obj {
    const copy = clone(o);
    copy['apiVersion'] = apiVersionOf(t);
    copy['kind'] = t.kind;
    return copy;
  }

  private scaleOf(t: ResourceType, o: Obj): Obj {
    if (t.scale === null) throw notFound(`${groupResource(t)}/scale`, nameOf(o));
    const m = meta(o);
    const selectorPath = t.scale.labelSelectorPath;
    const selector = selectorPath !== undefined ? str(at(o, ...jsonPath(selectorPath))) ?? '' : selectorString(at(o, 'spec', 'selector'));
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: m['name'], namespace: m['namespace'], uid: m['uid'], resourceVersion: m['resourceVersion'], creationTimestamp: m['creationTimestamp'] },
      spec: { replicas: num(at(o, ...jsonPath(t.scale.specReplicasPath))) ?? 0 },
      status: { replicas: num(at(o, ...jsonPath(t.scale.statusReplicasPath))) ?? 0, selector },
    };
  }

  // ---- writes

  private commit(t: ResourceType, namespace: string, name: string, next: Obj | null, prev: Obj | null): Obj | null {
    const gr = groupResource(t);
    const key = `${t.namespaced ? namespace : ''}/${name}`;
    this.revision++;
    let stored: Obj | null = null;
    if (next === null) {
      this.bucket(gr).delete(key);
    } else {
      stored = clone(next);
      meta(stored)['resourceVersion'] = String(this.revision);
      delete stored['apiVersion'];
      delete stored['kind'];
      this.bucket(gr).set(key, stored);
    }
    const deleted = prev === null ? null : clone(prev);
    if (next === null && deleted !== null) meta(deleted)['resourceVersion'] = String(this.revision);
    const change: Change = { rv: this.revision, gr, namespace: t.namespaced ? namespace : '', object: stored === null ? null : this.present(t, stored), prev: deleted === null ? null : this.present(t, deleted) };
    this.history.push(change);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.compacted = dropped[dropped.length - 1]!.rv;
    }
    this.enqueue(change);
    if (t.kind === 'CustomResourceDefinition' && t.group === 'apiextensions.k8s.io') this.afterCrdChange(next, prev);
    return stored === null ? null : this.present(t, stored);
  }

  private afterCrdChange(next: Obj | null, prev: Obj | null): void {
    this.syncCrdTypes();
    if (next === null && prev !== null) {
      // Deleting a CRD deletes every object of its kind.
      for (const t of typesFromCrd(prev)) {
        for (const o of [...this.bucket(groupResource(t)).values()]) this.commit(t, str(at(o, 'metadata', 'namespace')) ?? '', nameOf(o), null, o);
      }
    }
  }

  create(t: ResourceType, namespace: string, body: unknown, dryRun = false): Obj {
    if (!isObj(body)) throw badRequest('the body must be an object');
    const o = clone(body);
    const m = meta(o);
    if (t.namespaced) {
      const ns = str(m['namespace']) ?? namespace;
      if (ns !== namespace && namespace !== '') throw badRequest(`the namespace of the object (${ns}) does not match the namespace of the request (${namespace})`);
      if (ns === '') throw badRequest('a namespace is required');
      const nsType = this.typeFor('', 'v1', 'namespaces')!;
      if (this.current(nsType, '', ns) === undefined) throw notFound('namespaces', ns);
      const nsObj = this.current(nsType, '', ns)!;
      if (at(nsObj, 'metadata', 'deletionTimestamp') !== undefined) throw new ApiError(403, 'BadRequest', `namespace ${ns} is being terminated`);
      m['namespace'] = ns;
      namespace = ns;
    } else {
      delete m['namespace'];
    }
    let name = str(m['name']) ?? '';
    if (name === '' && typeof m['generateName'] === 'string') name = `${m['generateName']}${randomUUID().slice(0, 5)}`;
    if (name === '') throw invalid('metadata.name: Required value');
    m['name'] = name;
    if (this.current(t, namespace, name) !== undefined) throw alreadyExists(groupResource(t), name);
    m['uid'] = randomUUID();
    m['creationTimestamp'] = nowTimestamp();
    m['generation'] = 1;
    delete m['resourceVersion'];
    delete m['deletionTimestamp'];
    if (t.status) delete o['status'];
    applyDefaults(t, o, null, this.ips);
    if (dryRun) return this.present(t, o);
    return this.commit(t, namespace, name, o, null)!;
  }

  /** PUT of the object or of its status / scale subresource. */
  update(t: ResourceType, namespace: string, name: string, body: unknown, sub: Subresource = null, dryRun = false): Obj {
    if (!isObj(body)) throw badRequest('the body must be an object');
    const old = this.current(t, namespace, name);
    if (old === undefined) throw notFound(groupResource(t), name);
    const wantedRv = str(at(body, 'metadata', 'resourceVersion'));
    if (wantedRv !== undefined && wantedRv !== '' && wantedRv !== str(at(old, 'metadata', 'resourceVersion'))) {
      throw conflict(groupResource(t), name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    let next: Obj;
    if (sub === 'scale') {
      if (t.scale === null) throw notFound(`${groupResource(t)}/scale`, name);
      next = clone(old);
      const replicas = num(at(body, 'spec', 'replicas'));
      if (replicas === undefined || replicas < 0) throw invalid('spec.replicas: must be a non-negative integer');
      setAt(next, jsonPath(t.scale.specReplicasPath), replicas);
    } else if (sub === 'status') {
      next = clone(old);
      if (body['status'] === undefined) delete next['status'];
      else next['status'] = clone(body['status']);
    } else {
      next = clone(body);
      const m = meta(next);
      const om = meta(old);
      for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'namespace', 'name']) {
        if (om[k] === undefined) delete m[k];
        else m[k] = om[k];
      }
      if (t.status) {
        if (old['status'] === undefined) delete next['status'];
        else next['status'] = clone(old['status']);
      }
      applyDefaults(t, next, old, this.ips);
    }
    const stored = this.store(t, namespace, name, next, old, dryRun);
    return sub === 'scale' ? this.scaleOf(t, stored) : stored;
  }

  private store(t: ResourceType, namespace: string, name: string, next: Obj, old: Obj, dryRun: boolean): Obj {
    delete next['apiVersion'];
    delete next['kind'];
    meta(next)['resourceVersion'] = at(old, 'metadata', 'resourceVersion');
    if (!deepEqual(specPart(next), specPart(old))) meta(next)['generation'] = (num(at(old, 'metadata', 'generation')) ?? 0) + 1;
    if (dryRun) return this.present(t, next);
    if (deepEqual(next, old)) return this.present(t, old);
    // A deleting object whose last finalizer went away is gone (pods wait for their kubelet instead).
    const deleting = at(next, 'metadata', 'deletionTimestamp') !== undefined;
    if (deleting && arr(at(next, 'metadata', 'finalizers')).length === 0 && t.kind !== 'Pod') {
      this.commit(t, namespace, name, null, next);
      return this.present(t, next);
    }
    return this.commit(t, namespace, name, next, old)!;
  }

  patch(t: ResourceType, namespace: string, name: string, contentType: string, patch: unknown, sub: Subresource = null, dryRun = false): Obj {
    const old = this.current(t, namespace, name);
    if (old === undefined) {
      if (contentType === APPLY_PATCH && sub === null) return this.create(t, namespace, patch, dryRun);
      throw notFound(groupResource(t), name);
    }
    const base = sub === 'scale' ? this.scaleOf(t, old) : this.present(t, old);
    let patched: unknown;
    try {
      switch (contentType) {
        case MERGE_PATCH:
          patched = mergePatch(base, patch);
          break;
        case JSON_PATCH:
          patched = jsonPatch(base, patch);
          break;
        case STRATEGIC_PATCH:
          if (t.schema !== null || !BUILTIN_TYPES.includes(t)) {
            throw new ApiError(415, 'UnsupportedMediaType', 'strategic merge patch is not supported for custom resources');
          }
          patched = strategicMerge(base, patch);
          break;
        case APPLY_PATCH:
          patched = strategicMerge(base, patch);
          break;
        default:
          throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${[JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH].join(', ')}`);
      }
    } catch (error) {
      if (error instanceof PatchError) throw new ApiError(error.status, error.status === 400 ? 'BadRequest' : 'Invalid', error.message);
      throw error;
    }
    if (!isObj(patched)) throw invalid('the patch does not yield an object');
    // A resourceVersion in the patch is a precondition; otherwise the patch applies to the current version.
    const wantedRv = str(at(patched, 'metadata', 'resourceVersion'));
    if (contentType !== APPLY_PATCH && wantedRv !== undefined && wantedRv !== str(at(old, 'metadata', 'resourceVersion'))) {
      throw conflict(groupResource(t), name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    meta(patched)['resourceVersion'] = at(old, 'metadata', 'resourceVersion');
    const wantedUid = str(at(patched, 'metadata', 'uid'));
    if (wantedUid !== undefined && wantedUid !== str(at(old, 'metadata', 'uid'))) {
      throw conflict(groupResource(t), name, `Precondition failed: UID in precondition: ${wantedUid}, UID in object meta: ${str(at(old, 'metadata', 'uid'))}`);
    }
    return this.update(t, namespace, name, patched, sub, dryRun);
  }

  delete(t: ResourceType, namespace: string, name: string, opts: DeleteOptions = {}, dryRun = false): Obj {
    const old = this.current(t, namespace, name);
    if (old === undefined) throw notFound(groupResource(t), name);
    const pre = opts.preconditions ?? {};
    if (pre.uid !== undefined && pre.uid !== '' && pre.uid !== str(at(old, 'metadata', 'uid'))) {
      throw conflict(groupResource(t), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${str(at(old, 'metadata', 'uid'))}`);
    }
    if (pre.resourceVersion !== undefined && pre.resourceVersion !== '' && pre.resourceVersion !== str(at(old, 'metadata', 'resourceVersion'))) {
      throw conflict(groupResource(t), name, 'Precondition failed: resourceVersion');
    }
    if (dryRun) return this.present(t, old);
    if (opts.propagationPolicy === 'Orphan') this.orphanDependents(str(at(old, 'metadata', 'uid')) ?? '');
    const finalizers = arr(at(old, 'metadata', 'finalizers'));
    // A pod on a node is stopped by its kubelet, which deletes it for good afterwards.
    const graceful = t.kind === 'Pod' && t.group === '' && typeof at(old, 'spec', 'nodeName') === 'string';
    const grace = opts.gracePeriodSeconds ?? num(at(old, 'spec', 'terminationGracePeriodSeconds')) ?? 30;
    if (finalizers.length === 0 && (!graceful || grace <= 0)) {
      this.commit(t, namespace, name, null, old);
      return this.present(t, old);
    }
    const next = clone(old);
    const m = meta(next);
    const previousGrace = num(m['deletionGracePeriodSeconds']);
    if (m['deletionTimestamp'] !== undefined && previousGrace !== undefined && graceful && grace >= previousGrace) return this.present(t, old);
    if (m['deletionTimestamp'] !== undefined && !graceful) return this.present(t, old);
    m['deletionTimestamp'] = nowTimestamp(Date.now() + (graceful ? grace * 1000 : 0));
    if (graceful) m['deletionGracePeriodSeconds'] = grace;
    return this.commit(t, namespace, name, next, old)!;
  }

  /** Removes the owner references to `uid` from every object (propagationPolicy Orphan). */
  private orphanDependents(uid: string): void {
    if (uid === '') return;
    for (const t of this.allTypes()) {
      for (const o of [...this.bucket(groupResource(t)).values()]) {
        const refs = arr(at(o, 'metadata', 'ownerReferences'));
        if (!refs.some((r) => isObj(r) && r['uid'] === uid)) continue;
        const next = clone(o);
        meta(next)['ownerReferences'] = refs.filter((r) => !(isObj(r) && r['uid'] === uid));
        this.commit(t, str(at(o, 'metadata', 'namespace')) ?? '', nameOf(o), next, o);
      }
    }
  }

  // ---- watches

  /**
   * Streams changes after `resourceVersion` ('' or '0': the current objects as ADDED first).
   * Throws 410 when that version has left the window. Returns the unsubscriber.
   */
  watch(t: ResourceType, namespace: string | null, resourceVersion: string, label: Matcher, field: Matcher, send: (ev: WatchEvent) => void): () => void {
    const w: Watcher = { gr: groupResource(t), namespace: t.namespaced ? namespace : null, label, field, send };
    if (resourceVersion === '' || resourceVersion === '0') {
      for (const o of this.list(t, namespace, label, field).items) send({ type: 'ADDED', object: o });
    } else {
      const from = Number(resourceVersion);
      if (!Number.isInteger(from) || from < 0) throw badRequest(`invalid resourceVersion ${resourceVersion}`);
      if (from < this.compacted) throw new ApiError(410, 'Expired', `too old resource version: ${from} (${this.compacted + 1})`);
      // Changes still on their way reach the new watcher through the delivery loop instead.
      const undelivered = this.delivering?.rv ?? this.pending[0]?.rv ?? Infinity;
      for (const c of this.history) if (c.rv > from && c.rv < undelivered) this.deliver(w, c);
    }
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  /**
   * Watchers may write from their callbacks; those changes queue up behind the one being
   * delivered, so that every watcher sees every change in resourceVersion order.
   */
  private enqueue(change: Change): void {
    this.pending.push(change);
    if (this.delivering !== null) return;
    try {
      for (let c = this.pending.shift(); c !== undefined; c = this.pending.shift()) {
        this.delivering = c;
        for (const w of this.watchers) this.deliver(w, c);
      }
    } finally {
      this.delivering = null;
    }
  }

  private deliver(w: Watcher, c: Change): void {
    if (c.gr !== w.gr) return;
    if (w.namespace !== null && c.namespace !== w.namespace) return;
    const matches = (o: Obj | null): boolean => o !== null && w.label(o) && w.field(o);
    const now = matches(c.object);
    const before = matches(c.prev);
    if (now && before) w.send({ type: 'MODIFIED', object: c.object! });
    else if (now) w.send({ type: 'ADDED', object: c.object! });
    else if (before) w.send({ type: 'DELETED', object: c.object ?? c.prev! });
  }

  /** Fault knob: every watch resumed from a version up to now gets 410 Gone. */
  compactHistory(): void {
    this.compacted = this.revision;
    this.history = [];
  }

  /** Every stored object of every kind (for the garbage collector and debugging). */
  everything(): { type: ResourceType; object: Obj }[] {
    const out: { type: ResourceType; object: Obj }[] = [];
    for (const t of this.allTypes()) {
      if (t.version !== this.preferredVersion(t)) continue;
      for (const o of this.bucket(groupResource(t)).values()) out.push({ type: t, object: this.present(t, o) });
    }
    return out;
  }

  private preferredVersion(t: ResourceType): string {
    return this.allTypes().find((x) => groupResource(x) === groupResource(t))!.version;
  }
}
