// Discovery documents (/api, /apis, /api/v1, /apis/<group>/<version>), built
// from the kinds the store serves at the moment: a new CRD appears at once.
import type { Obj } from './json.js';
import { apiVersionOf, type ResourceType } from './resource-types.js';

export const KUBE_VERSION = { major: '1', minor: '31', gitVersion: 'v1.31.0', gitCommit: 'cluster-in-a-box', gitTreeState: 'clean', buildDate: '2024-08-13T00:00:00Z', goVersion: 'go1.22.5', compiler: 'gc', platform: 'linux/amd64' };

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function coreVersions(address: string): Obj {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: address }] };
}

function groupDoc(group: string, types: readonly ResourceType[]): Obj {
  const versions = [...new Set(types.filter((t) => t.group === group).map((t) => t.version))];
  const entries = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: entries, preferredVersion: entries[0] };
}

export function groupList(types: readonly ResourceType[]): Obj {
  const groups = [...new Set(types.map((t) => t.group).filter((g) => g !== ''))].sort();
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((g) => groupDoc(g, types)) };
}

export function group(types: readonly ResourceType[], name: string): Obj | null {
  return types.some((t) => t.group === name) ? groupDoc(name, types) : null;
}

export function resourceList(types: readonly ResourceType[], groupName: string, version: string): Obj | null {
  const mine = types.filter((t) => t.group === groupName && t.version === version);
  if (mine.length === 0) return null;
  const resources: Obj[] = [];
  for (const t of mine) {
    resources.push({
      name: t.resource,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: VERBS,
      ...(t.shortNames.length > 0 ? { shortNames: t.shortNames } : {}),
      ...(t.categories.length > 0 ? { categories: t.categories } : {}),
    });
    if (t.status) resources.push({ name: `${t.resource}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
    if (t.scale !== null) resources.push({ name: `${t.resource}/scale`, singularName: '', namespaced: t.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    if (t.kind === 'Pod' && t.group === '') resources.push({ name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group: groupName, version }), resources };
}
