// Plain JSON objects as the fake API server stores them, with the few typed
// accessors everything else uses. Objects are deep-copied on the way in and out
// so that no caller can change stored state behind the server's back.

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}

export function obj(v: unknown): Obj {
  return isObj(v) ? v : {};
}

export function meta(o: Obj): Obj {
  if (!isObj(o['metadata'])) o['metadata'] = {};
  return o['metadata'] as Obj;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function labelsOf(o: Obj): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(meta(o)['labels']))) if (typeof v === 'string') out[k] = v;
  return out;
}

export function nameOf(o: Obj): string {
  return str(meta(o)['name']) ?? '';
}

export function namespaceOf(o: Obj): string {
  return str(meta(o)['namespace']) ?? '';
}

export function uidOf(o: Obj): string {
  return str(meta(o)['uid']) ?? '';
}

/** Reads a nested field by path: at(o, 'spec', 'template', 'spec'). */
export function at(v: unknown, ...path: (string | number)[]): unknown {
  let cur = v;
  for (const key of path) {
    if (typeof key === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[key];
    } else {
      if (!isObj(cur)) return undefined;
      cur = cur[key];
    }
  }
  return cur;
}

/** Sets a nested field, creating objects on the way. */
export function setAt(o: Obj, path: readonly string[], value: unknown): void {
  let cur = o;
  for (const key of path.slice(0, -1)) {
    if (!isObj(cur[key])) cur[key] = {};
    cur = cur[key] as Obj;
  }
  cur[path[path.length - 1]!] = value;
}

/** `.spec.replicas` → ['spec', 'replicas'] (the CRD scale subresource paths). */
export function jsonPath(path: string): string[] {
  return path.replace(/^\./, '').split('.').filter((p) => p !== '');
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a)) {
    if (!isObj(b)) return false;
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}
