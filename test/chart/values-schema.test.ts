// values.yaml satisfies values.schema.json, and the schema is strict where it matters.
import { describe, test, expect } from '@jest/globals';
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { chartDir } from '../support/helm.js';

const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as Record<string, unknown>;
const defaults = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

function withValue(path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(defaults);
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path[path.length - 1]!] = value;
  return copy;
}

describe('values.schema.json', () => {
  test('accepts the defaults', () => {
    expect(validate(defaults) ? [] : validate.errors).toEqual([]);
  });

  test('every object with fixed keys forbids unknown keys', () => {
    const loose: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const n = node as Record<string, unknown>;
      if (n['properties'] !== undefined && n['additionalProperties'] !== false) loose.push(path || '/');
      for (const [k, v] of Object.entries((n['properties'] as Record<string, unknown> | undefined) ?? {})) walk(v, `${path}/${k}`);
    };
    walk(schema, '');
    expect(loose).toEqual([]);
  });

  test.each([
    [['cluster', 'replicas'], 0],
    [['cluster', 'replicas'], 10],
    [['cluster', 'replicas'], '3'],
    [['cluster', 'name'], 'Farm'],
    [['ingress', 'pathPrefix'], '/'],
    [['ingress', 'pathPrefix'], '/metrics'],
    [['operator', 'scope'], 'all'],
    [['monitoring', 'interval'], 'often'],
    [['cluster', 'storage', 'size'], '1 GB'],
    [['cluster', 'unknown'], true],
    [['networkPolicy', 'allowedNamespaces'], ['Not_A_Namespace']],
  ])('rejects %j = %j', (path, value) => {
    expect(validate(withValue(path, value))).toBe(false);
  });

  test('values.yaml documents every key the schema knows at the top level', () => {
    expect(Object.keys(defaults).sort()).toEqual(Object.keys(schema['properties'] as object).sort());
  });
});
