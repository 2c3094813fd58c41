// Validation of rendered objects: built-in kinds with the kubernetes-models schemas,
// Prometheus Operator kinds with @kubernetes-models/prometheus-operator, custom
// resources with the CRD's openAPIV3Schema through ajv.
import { Ajv, type ValidateFunction } from 'ajv';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { K8sObject } from './helm.js';

type Model = new (data: never) => { validate(): void };

const MODELS: ReadonlyMap<string, Model> = new Map<string, Model>([
  ['apiextensions.k8s.io/v1/CustomResourceDefinition', CustomResourceDefinition],
  ['apps/v1/Deployment', Deployment],
  ['apps/v1/StatefulSet', StatefulSet],
  ['v1/ConfigMap', ConfigMap],
  ['v1/Namespace', Namespace],
  ['v1/Pod', Pod],
  ['v1/Secret', Secret],
  ['v1/Service', Service],
  ['v1/ServiceAccount', ServiceAccount],
  ['networking.k8s.io/v1/Ingress', Ingress],
  ['networking.k8s.io/v1/NetworkPolicy', NetworkPolicy],
  ['policy/v1/PodDisruptionBudget', PodDisruptionBudget],
  ['rbac.authorization.k8s.io/v1/ClusterRole', ClusterRole],
  ['rbac.authorization.k8s.io/v1/ClusterRoleBinding', ClusterRoleBinding],
  ['rbac.authorization.k8s.io/v1/Role', Role],
  ['rbac.authorization.k8s.io/v1/RoleBinding', RoleBinding],
  ['monitoring.coreos.com/v1/PodMonitor', PodMonitor],
  ['monitoring.coreos.com/v1/PrometheusRule', PrometheusRule],
  ['monitoring.coreos.com/v1/ServiceMonitor', ServiceMonitor],
]);

/** Kinds this module knows a schema for (built-in and Prometheus Operator). */
export function hasModel(object: K8sObject): boolean {
  return MODELS.has(`${object.apiVersion}/${object.kind}`);
}

/** Schema errors of a built-in or Prometheus Operator object ([] when valid). */
export function validateModel(object: K8sObject): string[] {
  const Model = MODELS.get(`${object.apiVersion}/${object.kind}`);
  if (!Model) return [`no schema for ${object.apiVersion} ${object.kind}`];
  try {
    new Model(object as never).validate();
    return [];
  } catch (error) {
    return [`${object.kind} ${object.metadata.name}: ${error instanceof Error ? error.message : String(error)}`];
  }
}

type Schema = Record<string, unknown>;

/**
 * Converts a CRD's structural openAPIV3Schema into plain JSON Schema. Objects with
 * `properties` get `additionalProperties: false` unless they preserve unknown fields:
 * the API server would silently prune such fields, so a value the chart renders there
 * would never reach the operator.
 */
export function structuralToJsonSchema(node: unknown): Schema {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return {};
  const src = node as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(src)) {
    if (key.startsWith('x-kubernetes-') || key === 'nullable' || key === 'format' || key === 'default') continue;
    if (key === 'properties') {
      const props: Schema = {};
      for (const [name, child] of Object.entries(value as Schema)) props[name] = structuralToJsonSchema(child);
      out[key] = props;
    } else if (key === 'items' || key === 'additionalProperties') {
      out[key] = typeof value === 'boolean' ? value : structuralToJsonSchema(value);
    } else if (key === 'anyOf' || key === 'allOf' || key === 'oneOf') {
      out[key] = (value as unknown[]).map(structuralToJsonSchema);
    } else {
      out[key] = value;
    }
  }
  if (src['x-kubernetes-int-or-string'] === true) {
    delete out['type'];
    if (!out['anyOf']) out['anyOf'] = [{ type: 'integer' }, { type: 'string' }];
  }
  if (src['nullable'] === true && typeof out['type'] === 'string') out['type'] = [out['type'], 'null'];
  if (src['properties'] !== undefined && src['additionalProperties'] === undefined && src['x-kubernetes-preserve-unknown-fields'] !== true) {
    out['additionalProperties'] = false;
  }
  return out;
}

/** A validator for the custom resources of one CRD version; returns error strings. */
export function crdValidator(crd: K8sObject, version: string): (object: K8sObject) => string[] {
  const versions = (crd['spec'] as { versions: { name: string; schema: { openAPIV3Schema: unknown } }[] }).versions;
  const v = versions.find((x) => x.name === version);
  if (!v) throw new Error(`CRD ${crd.metadata.name} has no version ${version}`);
  const ajv = new Ajv({ allErrors: true, strict: true });
  const validate: ValidateFunction = ajv.compile(structuralToJsonSchema(v.schema.openAPIV3Schema));
  return (object) => {
    const data: unknown = object;
    if (validate(data)) return [];
    return (validate.errors ?? []).map((e) => `${object.kind} ${object.metadata.name}${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  };
}
