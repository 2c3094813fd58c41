// Owner references and the template hash, shared by the workload controllers.
import { createHash } from 'node:crypto';
import { arr, at, isObj, str, type Obj } from '../api/json.js';
import { apiVersionOf, type ResourceType } from '../api/resource-types.js';

export function controllerRef(owner: Obj, type: ResourceType): Obj {
  return { apiVersion: apiVersionOf(type), kind: type.kind, name: at(owner, 'metadata', 'name'), uid: at(owner, 'metadata', 'uid'), controller: true, blockOwnerDeletion: true };
}

export function isControlledBy(o: Obj, ownerUid: string): boolean {
  return arr(at(o, 'metadata', 'ownerReferences')).some((r) => isObj(r) && r['uid'] === ownerUid && r['controller'] === true);
}

export function templateHash(template: unknown): string {
  return createHash('sha256').update(JSON.stringify(template ?? {})).digest('hex').slice(0, 10);
}

export function isPodReady(pod: Obj): boolean {
  return arr(at(pod, 'status', 'conditions')).some((c) => isObj(c) && c['type'] === 'Ready' && c['status'] === 'True');
}

/** Since when the pod has been Ready (ms), or null. */
export function readySinceMs(pod: Obj): number | null {
  const c = arr(at(pod, 'status', 'conditions')).find((x) => isObj(x) && x['type'] === 'Ready' && x['status'] === 'True');
  const t = str(at(c, 'lastTransitionTime'));
  return t === undefined ? null : Date.parse(t);
}

export function isTerminating(o: Obj): boolean {
  return at(o, 'metadata', 'deletionTimestamp') !== undefined;
}
