// A container's environment as the kubelet builds it: envFrom (ConfigMaps and
// Secrets, optional prefix), then env in order with downward-API fieldRefs,
// configMapKeyRef / secretKeyRef and $(VAR) expansion of earlier variables.
// Values that are paths under a volume's mountPath are rewritten to the host
// directory that backs the volume (the box has no mount namespace per container).
import { arr, at, isObj, str, type Obj } from '../api/json.js';

export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
}

export interface EnvSources {
  readonly pod: Obj;
  readonly podIp: string;
  readonly hostIp: string;
  readonly configMap: (namespace: string, name: string) => Obj | null;
  readonly secret: (namespace: string, name: string) => Obj | null;
  /** mountPath → host directory, for path rewriting. */
  readonly mounts: readonly { readonly mountPath: string; readonly hostPath: string }[];
}

/** `$(VAR)` → value of an earlier variable; `$$(VAR)` → literal `$(VAR)`; unknown names stay as written. */
export function expand(value: string, vars: ReadonlyMap<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (all, name: string | undefined) => {
    if (all === '$$') return '$';
    return name !== undefined && vars.has(name) ? vars.get(name)! : all;
  });
}

function fieldRef(pod: Obj, path: string, podIp: string, hostIp: string): string {
  const m = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(path);
  if (m) return str(at(pod, 'metadata', m[1]!, m[2]!)) ?? '';
  switch (path) {
    case 'metadata.name':
      return str(at(pod, 'metadata', 'name')) ?? '';
    case 'metadata.namespace':
      return str(at(pod, 'metadata', 'namespace')) ?? '';
    case 'metadata.uid':
      return str(at(pod, 'metadata', 'uid')) ?? '';
    case 'spec.nodeName':
      return str(at(pod, 'spec', 'nodeName')) ?? '';
    case 'spec.serviceAccountName':
      return str(at(pod, 'spec', 'serviceAccountName')) ?? 'default';
    case 'status.podIP':
    case 'status.podIPs':
      return podIp;
    case 'status.hostIP':
    case 'status.hostIPs':
      return hostIp;
    default:
      throw new ContainerConfigError(`unsupported fieldRef ${path}`);
  }
}

function keyRef(kind: 'ConfigMap' | 'Secret', ref: Obj, src: EnvSources, ns: string): string | null {
  const name = str(ref['name']) ?? '';
  const key = str(ref['key']) ?? '';
  const o = kind === 'ConfigMap' ? src.configMap(ns, name) : src.secret(ns, name);
  const raw = o === null ? undefined : str(at(o, 'data', key));
  if (raw === undefined) {
    if (ref['optional'] === true) return null;
    throw new ContainerConfigError(o === null ? `${kind.toLowerCase()} "${name}" not found` : `couldn't find key ${key} in ${kind} ${ns}/${name}`);
  }
  return kind === 'Secret' ? Buffer.from(raw, 'base64').toString('utf8') : raw;
}

function rewritePath(value: string, mounts: EnvSources['mounts']): string {
  if (!value.startsWith('/')) return value;
  const sorted = [...mounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
  for (const m of sorted) {
    const base = m.mountPath.replace(/\/+$/, '');
    if (value === base) return m.hostPath;
    if (value.startsWith(`${base}/`)) return `${m.hostPath}${value.slice(base.length)}`;
  }
  return value;
}

export function resolveEnv(container: Obj, src: EnvSources): Record<string, string> {
  const ns = str(at(src.pod, 'metadata', 'namespace')) ?? '';
  const vars = new Map<string, string>();
  for (const from of arr(container['envFrom']).filter(isObj)) {
    const prefix = str(from['prefix']) ?? '';
    const cmRef = isObj(from['configMapRef']) ? from['configMapRef'] : null;
    const secRef = isObj(from['secretRef']) ? from['secretRef'] : null;
    const ref = cmRef ?? secRef;
    if (ref === null) continue;
    const name = str(ref['name']) ?? '';
    const o = cmRef !== null ? src.configMap(ns, name) : src.secret(ns, name);
    if (o === null) {
      if (ref['optional'] === true) continue;
      throw new ContainerConfigError(`${cmRef !== null ? 'configmap' : 'secret'} "${name}" not found`);
    }
    for (const [k, v] of Object.entries(isObj(o['data']) ? o['data'] : {})) {
      if (typeof v !== 'string') continue;
      vars.set(`${prefix}${k}`, secRef !== null ? Buffer.from(v, 'base64').toString('utf8') : v);
    }
  }
  for (const e of arr(container['env']).filter(isObj)) {
    const name = str(e['name']);
    if (name === undefined) continue;
    if (typeof e['value'] === 'string') {
      vars.set(name, expand(e['value'], vars));
      continue;
    }
    const from = isObj(e['valueFrom']) ? e['valueFrom'] : null;
    if (from === null) {
      vars.set(name, '');
      continue;
    }
    let value: string | null = null;
    if (isObj(from['fieldRef'])) value = fieldRef(src.pod, str(from['fieldRef']['fieldPath']) ?? '', src.podIp, src.hostIp);
    else if (isObj(from['configMapKeyRef'])) value = keyRef('ConfigMap', from['configMapKeyRef'], src, ns);
    else if (isObj(from['secretKeyRef'])) value = keyRef('Secret', from['secretKeyRef'], src, ns);
    else if (isObj(from['resourceFieldRef'])) value = '0';
    if (value !== null) vars.set(name, value);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of vars) out[k] = rewritePath(v, src.mounts);
  return out;
}
