// The fake API server's semantics without the wire: selectors, patches,
// optimistic concurrency, generation, subresources, graceful deletion and the
// watch window that answers 410 Gone.
import { describe, expect, test } from '@jest/globals';
import { ApiError } from '../box/api/errors.js';
import { at, type Obj } from '../box/api/json.js';
import { JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, strategicMerge } from '../box/api/patch.js';
import { parseFieldSelector, parseLabelSelector } from '../box/api/selectors.js';
import { Store, type WatchEvent } from '../box/api/store.js';

function fresh(historyLimit = 5000): Store {
  const s = new Store(historyLimit);
  s.create(s.typeFor('', 'v1', 'namespaces')!, '', { metadata: { name: 'ns' } });
  return s;
}

function errorOf(f: () => unknown): ApiError {
  try {
    f();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('no error thrown');
}

const sts = (s: Store) => s.typeFor('apps', 'v1', 'statefulsets')!;
const pods = (s: Store) => s.typeFor('', 'v1', 'pods')!;

describe('selectors', () => {
  const o = (labels: Record<string, string>): Obj => ({ metadata: { labels }, status: { phase: 'Running' } });
  test('equality, inequality, sets and existence', () => {
    const m = parseLabelSelector('app=a,tier!=db,env in (prod, stage),team,!legacy');
    expect(m(o({ app: 'a', tier: 'web', env: 'prod', team: 'x' }))).toBe(true);
    expect(m(o({ app: 'a', tier: 'db', env: 'prod', team: 'x' }))).toBe(false);
    expect(m(o({ app: 'a', env: 'dev', team: 'x' }))).toBe(false);
    expect(m(o({ app: 'a', env: 'prod' }))).toBe(false);
    expect(m(o({ app: 'a', env: 'prod', team: 'x', legacy: '1' }))).toBe(false);
    expect(parseLabelSelector('env notin (prod)')(o({}))).toBe(true);
  });
  test('field selectors on nested fields', () => {
    expect(parseFieldSelector('status.phase=Running')(o({}))).toBe(true);
    expect(parseFieldSelector('status.phase!=Running')(o({}))).toBe(false);
  });
});

describe('patches', () => {
  test('strategic merge: containers and env merged by name, $patch delete, $setElementOrder', () => {
    const base = { spec: { containers: [{ name: 'a', image: 'x:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }, { name: 'b', image: 'y' }] } };
    const out = strategicMerge(base, {
      spec: {
        containers: [{ name: 'a', image: 'x:2', env: [{ name: 'B', $patch: 'delete' }, { name: 'C', value: '3' }] }],
        '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }],
      },
    });
    expect(at(out, 'spec', 'containers')).toEqual([
      { name: 'b', image: 'y' },
      { name: 'a', image: 'x:2', env: [{ name: 'A', value: '1' }, { name: 'C', value: '3' }] },
    ]);
  });

  test('a resourceVersion in a merge patch is a precondition: 409 when stale', () => {
    const s = fresh();
    const created = s.create(sts(s), 'ns', { metadata: { name: 'x' }, spec: { replicas: 1, template: {} } });
    const rv = String(at(created, 'metadata', 'resourceVersion'));
    s.patch(sts(s), 'ns', 'x', MERGE_PATCH, { metadata: { resourceVersion: rv }, spec: { replicas: 2 } });
    const e = errorOf(() => s.patch(sts(s), 'ns', 'x', MERGE_PATCH, { metadata: { resourceVersion: rv }, spec: { replicas: 3 } }));
    expect(e.status).toBe(409);
    expect(at(s.get(sts(s), 'ns', 'x'), 'spec', 'replicas')).toBe(2);
  });

  test('JSON patch, and 415 for an unknown patch type', () => {
    const s = fresh();
    s.create(sts(s), 'ns', { metadata: { name: 'x' }, spec: { replicas: 1 } });
    s.patch(sts(s), 'ns', 'x', JSON_PATCH, [{ op: 'replace', path: '/spec/replicas', value: 4 }]);
    expect(at(s.get(sts(s), 'ns', 'x'), 'spec', 'replicas')).toBe(4);
    expect(errorOf(() => s.patch(sts(s), 'ns', 'x', 'application/x-nonsense', {})).status).toBe(415);
    s.patch(sts(s), 'ns', 'x', STRATEGIC_PATCH, { metadata: { labels: { a: 'b' } } });
    expect(at(s.get(sts(s), 'ns', 'x'), 'metadata', 'labels')).toEqual({ a: 'b' });
  });
});

describe('writes', () => {
  test('update: 409 on a stale resourceVersion; generation counts spec changes only; status ignored on the main resource', () => {
    const s = fresh();
    const v1 = s.create(sts(s), 'ns', { metadata: { name: 'x' }, spec: { replicas: 1 }, status: { replicas: 9 } });
    expect(at(v1, 'status')).toBeUndefined();
    expect(at(v1, 'metadata', 'generation')).toBe(1);
    const v2 = s.update(sts(s), 'ns', 'x', { ...v1, metadata: { ...(v1['metadata'] as Obj), labels: { l: '1' } } });
    expect(at(v2, 'metadata', 'generation')).toBe(1);
    const v3 = s.update(sts(s), 'ns', 'x', { ...v2, spec: { replicas: 2 }, status: { replicas: 7 } });
    expect(at(v3, 'metadata', 'generation')).toBe(2);
    expect(at(v3, 'status')).toBeUndefined();
    expect(errorOf(() => s.update(sts(s), 'ns', 'x', { ...v2, spec: { replicas: 5 } })).status).toBe(409);
    const v4 = s.update(sts(s), 'ns', 'x', { ...v3, status: { replicas: 2 } }, 'status');
    expect(at(v4, 'status', 'replicas')).toBe(2);
    expect(at(v4, 'metadata', 'generation')).toBe(2);
  });

  test('scale subresource reads and writes spec.replicas', () => {
    const s = fresh();
    s.create(sts(s), 'ns', { metadata: { name: 'x' }, spec: { replicas: 1, selector: { matchLabels: { a: 'b' } } } });
    expect(at(s.get(sts(s), 'ns', 'x', 'scale'), 'status', 'selector')).toBe('a=b');
    const scale = s.update(sts(s), 'ns', 'x', { spec: { replicas: 5 } }, 'scale');
    expect(scale['kind']).toBe('Scale');
    expect(at(s.get(sts(s), 'ns', 'x'), 'spec', 'replicas')).toBe(5);
  });

  test('a pod on a node is deleted gracefully: deletionTimestamp first, gone after the final delete', () => {
    const s = fresh();
    const p = s.create(pods(s), 'ns', { metadata: { name: 'p' }, spec: { nodeName: 'n', terminationGracePeriodSeconds: 45, containers: [] } });
    const deleting = s.delete(pods(s), 'ns', 'p');
    expect(at(deleting, 'metadata', 'deletionGracePeriodSeconds')).toBe(45);
    expect(s.tryGet(pods(s), 'ns', 'p')).not.toBeNull();
    expect(errorOf(() => s.delete(pods(s), 'ns', 'p', { gracePeriodSeconds: 0, preconditions: { uid: 'other' } })).status).toBe(409);
    s.delete(pods(s), 'ns', 'p', { gracePeriodSeconds: 0, preconditions: { uid: String(at(p, 'metadata', 'uid')) } });
    expect(s.tryGet(pods(s), 'ns', 'p')).toBeNull();
  });

  test('Secret stringData becomes base64 data; a CRD adds its kind with schema defaults', () => {
    const s = fresh();
    const sec = s.create(s.typeFor('', 'v1', 'secrets')!, 'ns', { metadata: { name: 't' }, stringData: { token: 'abc' } });
    expect(at(sec, 'data', 'token')).toBe(Buffer.from('abc').toString('base64'));
    s.create(s.typeFor('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!, '', {
      metadata: { name: 'things.x.io' },
      spec: {
        group: 'x.io',
        scope: 'Namespaced',
        names: { kind: 'Thing', plural: 'things' },
        versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer', default: 3 } } } } } } }],
      },
    });
    const thing = s.create(s.typeFor('x.io', 'v1', 'things')!, 'ns', { metadata: { name: 'a' }, spec: {} });
    expect(at(thing, 'spec', 'size')).toBe(3);
  });
});

describe('watches', () => {
  test('resume after a version replays the changes since; a version older than the window is 410 Gone', () => {
    const s = fresh(3);
    const t = s.typeFor('', 'v1', 'configmaps')!;
    const first = s.create(t, 'ns', { metadata: { name: 'a' } });
    const rv = String(at(first, 'metadata', 'resourceVersion'));
    s.create(t, 'ns', { metadata: { name: 'b' } });
    const seen: WatchEvent[] = [];
    const stop = s.watch(t, 'ns', rv, () => true, () => true, (e) => seen.push(e));
    expect(seen.map((e) => [e.type, at(e.object, 'metadata', 'name')])).toEqual([['ADDED', 'b']]);
    s.delete(t, 'ns', 'a');
    expect(seen.map((e) => e.type)).toEqual(['ADDED', 'DELETED']);
    stop();
    for (const n of ['c', 'd', 'e', 'f']) s.create(t, 'ns', { metadata: { name: n } });
    expect(errorOf(() => s.watch(t, 'ns', rv, () => true, () => true, () => undefined)).status).toBe(410);
  });

  test('an object leaving the label selector is DELETED for that watch; a change made from a callback comes after', () => {
    const s = fresh();
    const t = s.typeFor('', 'v1', 'configmaps')!;
    const a = s.create(t, 'ns', { metadata: { name: 'a', labels: { k: 'v' } } });
    const seen: string[] = [];
    s.watch(t, 'ns', s.resourceVersion, parseLabelSelector('k=v'), () => true, (e) => {
      seen.push(`${e.type}:${String(at(e.object, 'metadata', 'name'))}`);
      if (e.type === 'DELETED') s.create(t, 'ns', { metadata: { name: 'b', labels: { k: 'v' } } });
    });
    s.update(t, 'ns', 'a', { ...a, metadata: { ...(a['metadata'] as Obj), labels: { k: 'w' } } });
    expect(seen).toEqual(['DELETED:a', 'ADDED:b']);
  });
});
