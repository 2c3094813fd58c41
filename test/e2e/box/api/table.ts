// Server-side printing (meta.k8s.io/v1 Table), which `kubectl get` asks for:
// NAME and AGE for everything, the usual columns of the kinds the scenarios look
// at, and a CRD's additionalPrinterColumns.
import { arr, at, isObj, nameOf, num, str, type Obj } from './json.js';
import type { ResourceType } from './resource-types.js';

interface Column {
  readonly name: string;
  readonly type: string;
  readonly priority?: number;
  readonly cell: (o: Obj) => unknown;
}

export function age(timestamp: unknown, now = Date.now()): string {
  const t = typeof timestamp === 'string' ? Date.parse(timestamp) : NaN;
  if (Number.isNaN(t)) return '<unknown>';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h` : `${Math.floor(h / 24)}d`;
}

/** The JSONPath subset of printer columns: `.a.b`, `[0]`, `[?(@.type=="Ready")]`. */
export function evalJsonPath(o: unknown, path: string): unknown {
  let cur: unknown[] = [o];
  const re = /\.([\w-]+)|\[(\d+)\]|\[\?\(@\.([\w-]+)\s*==\s*["']([^"']*)["']\)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (m[1] !== undefined && isObj(v) && v[m[1]] !== undefined) next.push(v[m[1]]);
      else if (m[2] !== undefined && Array.isArray(v) && v[Number(m[2])] !== undefined) next.push(v[Number(m[2])]);
      else if (m[3] !== undefined && Array.isArray(v)) for (const x of v) if (isObj(x) && String(x[m[3]]) === m[4]) next.push(x);
    }
    cur = next;
  }
  return cur.length === 0 ? undefined : cur.length === 1 ? cur[0] : cur;
}

const ageColumn: Column = { name: 'Age', type: 'string', cell: (o) => age(at(o, 'metadata', 'creationTimestamp')) };

function podStatus(o: Obj): string {
  if (at(o, 'metadata', 'deletionTimestamp') !== undefined) return 'Terminating';
  for (const c of arr(at(o, 'status', 'containerStatuses'))) {
    const waiting = str(at(c, 'state', 'waiting', 'reason'));
    if (waiting !== undefined) return waiting;
  }
  return str(at(o, 'status', 'phase')) ?? 'Unknown';
}

function builtinColumns(kind: string): Column[] {
  switch (kind) {
    case 'Pod':
      return [
        { name: 'Ready', type: 'string', cell: (o) => `${arr(at(o, 'status', 'containerStatuses')).filter((c) => at(c, 'ready') === true).length}/${arr(at(o, 'spec', 'containers')).length}` },
        { name: 'Status', type: 'string', cell: podStatus },
        { name: 'Restarts', type: 'string', cell: (o) => String(arr(at(o, 'status', 'containerStatuses')).reduce((n: number, c) => n + (num(at(c, 'restartCount')) ?? 0), 0)) },
        ageColumn,
        { name: 'IP', type: 'string', priority: 1, cell: (o) => str(at(o, 'status', 'podIP')) ?? '<none>' },
        { name: 'Node', type: 'string', priority: 1, cell: (o) => str(at(o, 'spec', 'nodeName')) ?? '<none>' },
      ];
    case 'StatefulSet':
      return [{ name: 'Ready', type: 'string', cell: (o) => `${num(at(o, 'status', 'readyReplicas')) ?? 0}/${num(at(o, 'spec', 'replicas')) ?? 0}` }, ageColumn];
    case 'Deployment':
      return [
        { name: 'Ready', type: 'string', cell: (o) => `${num(at(o, 'status', 'readyReplicas')) ?? 0}/${num(at(o, 'spec', 'replicas')) ?? 0}` },
        { name: 'Up-to-date', type: 'integer', cell: (o) => num(at(o, 'status', 'updatedReplicas')) ?? 0 },
        { name: 'Available', type: 'integer', cell: (o) => num(at(o, 'status', 'availableReplicas')) ?? 0 },
        ageColumn,
      ];
    case 'Service':
      return [
        { name: 'Type', type: 'string', cell: (o) => str(at(o, 'spec', 'type')) ?? 'ClusterIP' },
        { name: 'Cluster-IP', type: 'string', cell: (o) => str(at(o, 'spec', 'clusterIP')) ?? '<none>' },
        { name: 'Ports', type: 'string', cell: (o) => arr(at(o, 'spec', 'ports')).map((p) => `${String(at(p, 'port'))}/${String(at(p, 'protocol') ?? 'TCP')}`).join(',') || '<none>' },
        ageColumn,
      ];
    case 'PersistentVolumeClaim':
      return [
        { name: 'Status', type: 'string', cell: (o) => str(at(o, 'status', 'phase')) ?? '' },
        { name: 'Volume', type: 'string', cell: (o) => str(at(o, 'spec', 'volumeName')) ?? '' },
        { name: 'Capacity', type: 'string', cell: (o) => str(at(o, 'status', 'capacity', 'storage')) ?? '' },
        ageColumn,
      ];
    case 'Event':
      return [
        { name: 'Last Seen', type: 'string', cell: (o) => age(at(o, 'lastTimestamp') ?? at(o, 'eventTime') ?? at(o, 'metadata', 'creationTimestamp')) },
        { name: 'Type', type: 'string', cell: (o) => str(at(o, 'type')) ?? '' },
        { name: 'Reason', type: 'string', cell: (o) => str(at(o, 'reason')) ?? '' },
        { name: 'Object', type: 'string', cell: (o) => `${(str(at(o, 'involvedObject', 'kind')) ?? '').toLowerCase()}/${str(at(o, 'involvedObject', 'name')) ?? ''}` },
        { name: 'Message', type: 'string', cell: (o) => str(at(o, 'message')) ?? '' },
      ];
    default:
      return [ageColumn];
  }
}

function crdColumns(crd: Obj | null, version: string): Column[] | null {
  if (crd === null) return null;
  const v = arr(at(crd, 'spec', 'versions')).find((x) => at(x, 'name') === version);
  const cols = arr(at(v, 'additionalPrinterColumns'));
  if (cols.length === 0) return null;
  return cols.filter(isObj).map((c) => {
    const path = str(c['jsonPath']) ?? '';
    const type = str(c['type']) ?? 'string';
    return {
      name: str(c['name']) ?? '',
      type,
      priority: num(c['priority']) ?? 0,
      cell: (o: Obj) => {
        const value = evalJsonPath(o, path);
        if (type === 'date') return age(value);
        return value === undefined ? null : value;
      },
    };
  });
}

export function toTable(t: ResourceType, items: readonly Obj[], resourceVersion: string, crd: Obj | null): Obj {
  const columns: Column[] = [{ name: 'Name', type: 'string', cell: nameOf }, ...(crdColumns(crd, t.version) ?? builtinColumns(t.kind))];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c) => ({ name: c.name, type: c.type, format: c.name === 'Name' ? 'name' : '', description: '', priority: c.priority ?? 0 })),
    rows: items.map((o) => ({
      cells: columns.map((c) => c.cell(o)),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o['metadata'] },
    })),
  };
}
