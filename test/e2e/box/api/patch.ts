// The patch types the real API server accepts, as far as kubectl, helm and the
// operator use them: JSON merge patch (RFC 7386), JSON patch (RFC 6902), strategic
// merge patch (lists of named items merged by key, with the $patch / $setElementOrder
// / $retainKeys / $deleteFromPrimitiveList directives), and server-side apply, which
// is approximated as a strategic merge of the applied configuration (no field
// ownership: the box has one writer per field).
import { clone, isObj, type Obj } from './json.js';

export class PatchError extends Error {
  override readonly name = 'PatchError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export const MERGE_PATCH = 'application/merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';
export const STRATEGIC_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer ${path}`, 422);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: unknown, parts: readonly string[]): { parent: Obj | unknown[]; key: string } {
  let cur: unknown = doc;
  for (const p of parts.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (isObj(cur)) cur = cur[p];
    else cur = undefined;
    if (cur === undefined) throw new PatchError(`path not found: /${parts.join('/')}`, 422);
  }
  if (!Array.isArray(cur) && !isObj(cur)) throw new PatchError(`path not found: /${parts.join('/')}`, 422);
  return { parent: cur, key: parts[parts.length - 1]! };
}

function getPointer(doc: unknown, parts: readonly string[]): unknown {
  let cur = doc;
  for (const p of parts) {
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (isObj(cur)) cur = cur[p];
    else return undefined;
  }
  return cur;
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch must be an array of operations', 400);
  let doc = clone(target);
  for (const raw of ops) {
    if (!isObj(raw) || typeof raw['op'] !== 'string' || typeof raw['path'] !== 'string') throw new PatchError('invalid JSON patch operation', 400);
    const parts = pointer(raw['path']);
    const op = raw['op'];
    if (op === 'test') {
      if (JSON.stringify(getPointer(doc, parts)) !== JSON.stringify(raw['value'])) throw new PatchError(`test failed at ${raw['path']}`, 422);
      continue;
    }
    let value: unknown = raw['value'];
    if (op === 'copy' || op === 'move') {
      if (typeof raw['from'] !== 'string') throw new PatchError(`${op} needs from`, 400);
      const from = pointer(raw['from']);
      value = clone(getPointer(doc, from));
      if (value === undefined) throw new PatchError(`path not found: ${raw['from']}`, 422);
      if (op === 'move') doc = remove(doc, from);
    }
    if (op === 'remove') {
      doc = remove(doc, parts);
      continue;
    }
    if (parts.length === 0) {
      doc = clone(value);
      continue;
    }
    const { parent, key } = parentOf(doc, parts);
    if (Array.isArray(parent)) {
      const i = key === '-' ? parent.length : Number(key);
      if (op === 'replace') parent[i] = clone(value);
      else parent.splice(i, 0, clone(value));
    } else {
      if (op === 'replace' && !(key in parent)) throw new PatchError(`path not found: ${raw['path']}`, 422);
      parent[key] = clone(value);
    }
  }
  return doc;
}

function remove(doc: unknown, parts: readonly string[]): unknown {
  const { parent, key } = parentOf(doc, parts);
  if (Array.isArray(parent)) parent.splice(Number(key), 1);
  else {
    if (!(key in parent)) throw new PatchError(`path not found: /${parts.join('/')}`, 422);
    delete parent[key];
  }
  return doc;
}

/** Merge keys of the built-in lists of named items (the `patchMergeKey` of the Go types). */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
};
/** Primitive lists whose patch strategy is merge. */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

function keyFor(field: string, items: readonly unknown[]): string | null {
  const known = MERGE_KEYS[field];
  if (known !== undefined) return known;
  // ports: containerPort in containers, port in services; both carry unique values.
  if (field === 'ports') {
    if (items.every((i) => isObj(i) && 'containerPort' in i)) return 'containerPort';
    if (items.every((i) => isObj(i) && 'port' in i)) return 'port';
  }
  return null;
}

export function strategicMerge(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  if (patch['$patch'] === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return clone(rest);
  }
  if (patch['$patch'] === 'delete') return undefined;
  const out: Obj = isObj(target) ? clone(target) : {};
  const retain = Array.isArray(patch['$retainKeys']) ? new Set(patch['$retainKeys'].map(String)) : null;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const drop = new Set((Array.isArray(v) ? v : []).map((x) => JSON.stringify(x)));
      if (Array.isArray(out[field])) out[field] = (out[field] as unknown[]).filter((x) => !drop.has(JSON.stringify(x)));
      continue;
    }
    if (v === null) {
      delete out[k];
    } else if (Array.isArray(v)) {
      out[k] = mergeList(k, out[k], v);
    } else if (isObj(v)) {
      const merged = strategicMerge(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else {
      out[k] = v;
    }
  }
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith('$setElementOrder/') || !Array.isArray(v)) continue;
    const field = k.slice('$setElementOrder/'.length);
    if (Array.isArray(out[field])) out[field] = reorder(field, out[field] as unknown[], v);
  }
  if (retain !== null) for (const k of Object.keys(out)) if (!retain.has(k)) delete out[k];
  return out;
}

function mergeList(field: string, current: unknown, patch: readonly unknown[]): unknown[] {
  const cur = Array.isArray(current) ? current : [];
  if (patch.some((i) => isObj(i) && i['$patch'] === 'replace')) return clone(patch.filter((i) => !(isObj(i) && i['$patch'] === 'replace')));
  if (MERGED_PRIMITIVE_LISTS.has(field)) {
    const out = [...cur];
    for (const x of patch) if (!out.some((y) => JSON.stringify(y) === JSON.stringify(x))) out.push(clone(x));
    return out;
  }
  const key = keyFor(field, [...cur, ...patch]);
  if (key === null || !patch.every(isObj)) return clone([...patch]);
  const out: unknown[] = cur.map((x) => clone(x));
  for (const item of patch as Obj[]) {
    const i = out.findIndex((x) => isObj(x) && x[key] === item[key]);
    if (item['$patch'] === 'delete') {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    if (i >= 0) out[i] = strategicMerge(out[i], item);
    else out.push(strategicMerge(undefined, item));
  }
  return out;
}

function reorder(field: string, items: unknown[], order: readonly unknown[]): unknown[] {
  const key = keyFor(field, items);
  const id = (x: unknown): string => JSON.stringify(key !== null && isObj(x) ? x[key] : isObj(x) ? x : x);
  const wanted = order.map(id);
  const rank = (x: unknown): number => {
    const i = wanted.indexOf(id(x));
    return i < 0 ? wanted.length : i;
  };
  return [...items].sort((a, b) => rank(a) - rank(b));
}
