// What the real API server fills in on create and update: structural-schema
// defaults of custom resources, Secret stringData, Service cluster IPs, the
// defaults of the built-in workload kinds the controllers of the box rely on.
import { arr, isObj, meta, str, type Obj } from './json.js';
import type { ResourceType } from './resource-types.js';

/** Applies `default:` values of an openAPIV3Schema, as the server does for custom resources. */
export function applySchemaDefaults(value: unknown, schema: unknown): unknown {
  if (!isObj(schema)) return value;
  if (value === undefined) return value;
  if (isObj(value) && isObj(schema['properties'])) {
    for (const [k, sub] of Object.entries(schema['properties'])) {
      if (!isObj(sub)) continue;
      if (value[k] === undefined && sub['default'] !== undefined) value[k] = structuredClone(sub['default']);
      if (value[k] !== undefined) value[k] = applySchemaDefaults(value[k], sub);
    }
  } else if (Array.isArray(value) && isObj(schema['items'])) {
    return value.map((v) => applySchemaDefaults(v, schema['items']));
  }
  return value;
}

export class ClusterIpAllocator {
  private next = 10;
  allocate(): string {
    const n = this.next++;
    return `10.96.${Math.floor(n / 250)}.${(n % 250) + 1}`;
  }
}

function secretData(o: Obj): void {
  const string = o['stringData'];
  if (!isObj(string)) return;
  const data: Obj = isObj(o['data']) ? o['data'] : {};
  for (const [k, v] of Object.entries(string)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  o['data'] = data;
  delete o['stringData'];
}

function podDefaults(o: Obj): void {
  const spec: Obj = isObj(o['spec']) ? o['spec'] : {};
  o['spec'] = spec;
  spec['restartPolicy'] ??= 'Always';
  spec['terminationGracePeriodSeconds'] ??= 30;
  spec['dnsPolicy'] ??= 'ClusterFirst';
  spec['schedulerName'] ??= 'default-scheduler';
}

function workloadDefaults(kind: string, o: Obj): void {
  const spec: Obj = isObj(o['spec']) ? o['spec'] : {};
  o['spec'] = spec;
  spec['replicas'] ??= 1;
  spec['revisionHistoryLimit'] ??= 10;
  if (kind === 'StatefulSet') {
    spec['podManagementPolicy'] ??= 'OrderedReady';
    spec['updateStrategy'] ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
    spec['persistentVolumeClaimRetentionPolicy'] ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
  }
  if (kind === 'Deployment') spec['strategy'] ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
  const template = isObj(spec['template']) ? spec['template'] : null;
  if (template !== null && isObj(template['spec'])) podDefaults(template);
}

function serviceDefaults(o: Obj, ips: ClusterIpAllocator, old: Obj | null): void {
  const spec: Obj = isObj(o['spec']) ? o['spec'] : {};
  o['spec'] = spec;
  spec['type'] ??= 'ClusterIP';
  const oldIp = old === null ? undefined : str((old['spec'] as Obj | undefined)?.['clusterIP']);
  if (spec['clusterIP'] === undefined || spec['clusterIP'] === '') spec['clusterIP'] = oldIp ?? ips.allocate();
  spec['clusterIPs'] = [spec['clusterIP']];
  spec['sessionAffinity'] ??= 'None';
  for (const p of arr(spec['ports'])) {
    if (!isObj(p)) continue;
    p['protocol'] ??= 'TCP';
    p['targetPort'] ??= p['port'];
  }
}

/** Mutates `o` (a fresh copy) before it is stored by a create (old = null) or an update. */
export function applyDefaults(type: ResourceType, o: Obj, old: Obj | null, ips: ClusterIpAllocator): void {
  if (type.schema !== null) applySchemaDefaults(o, type.schema);
  switch (type.kind) {
    case 'Secret':
      secretData(o);
      o['type'] ??= 'Opaque';
      break;
    case 'Pod':
      podDefaults(o);
      if (old === null) o['status'] = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] };
      break;
    case 'StatefulSet':
    case 'Deployment':
    case 'ReplicaSet':
      if (type.group === 'apps') workloadDefaults(type.kind, o);
      break;
    case 'Service':
      serviceDefaults(o, ips, old);
      break;
    case 'Namespace':
      if (old === null) o['status'] = { phase: 'Active' };
      break;
    case 'PersistentVolumeClaim':
      if (old === null) o['status'] = { phase: 'Pending' };
      break;
    case 'CustomResourceDefinition':
      if (type.group === 'apiextensions.k8s.io') crdStatus(o);
      break;
  }
  const m = meta(o);
  if (!isObj(m['labels'])) delete m['labels'];
}

function crdStatus(o: Obj): void {
  const names = isObj(o['spec']) && isObj((o['spec'] as Obj)['names']) ? ((o['spec'] as Obj)['names'] as Obj) : {};
  const now = new Date().toISOString();
  const versions = arr(isObj(o['spec']) ? (o['spec'] as Obj)['versions'] : []).filter(isObj);
  o['status'] = {
    acceptedNames: names,
    storedVersions: versions.filter((v) => v['storage'] === true).map((v) => v['name']),
    conditions: [
      { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: now },
      { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: now },
    ],
  };
}
