// The least OpenAPI v3 that makes kubectl trust the server with validation: a
// root listing every group-version, and per group-version a PATCH operation per
// kind that accepts `fieldValidation`. With it, kubectl create/apply skip their
// client-side schema download (which needs full schemas) and send
// fieldValidation=Strict instead, which the box accepts and does not enforce.
import type { Obj } from './json.js';
import { apiVersionOf, type ResourceType } from './resource-types.js';

function gvPath(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group === '' ? `api/${t.version}` : `apis/${t.group}/${t.version}`;
}

export function openApiRoot(types: readonly ResourceType[]): Obj {
  const paths: Obj = {};
  for (const t of types) paths[gvPath(t)] = { serverRelativeURL: `/openapi/v3/${gvPath(t)}?hash=box` };
  return { paths };
}

export function openApiGroupVersion(types: readonly ResourceType[], path: string): Obj | null {
  const mine = types.filter((t) => gvPath(t) === path);
  if (mine.length === 0) return null;
  const paths: Obj = {};
  for (const t of mine) {
    const item = t.namespaced ? `/${gvPath(t)}/namespaces/{namespace}/${t.resource}/{name}` : `/${gvPath(t)}/${t.resource}/{name}`;
    paths[item] = {
      patch: {
        operationId: `patch${t.kind}`,
        'x-kubernetes-group-version-kind': { group: t.group, version: t.version, kind: t.kind },
        parameters: [{ name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } }],
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.31.0' }, paths, components: { schemas: {} }, 'x-box-apiVersions': mine.map(apiVersionOf) };
}
