// The Prometheus Operator's kinds, schemaless: enough for discovery to report
// monitoring.coreos.com/v1 (the chart renders its PodMonitor, ServiceMonitor and
// PrometheusRule only then) and for the objects to be stored and read back.
import type { Obj } from './api/json.js';

function crd(kind: string, plural: string): Obj {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.monitoring.coreos.com` },
    spec: {
      group: 'monitoring.coreos.com',
      scope: 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
}

export const MONITORING_CRDS: readonly Obj[] = [crd('PodMonitor', 'podmonitors'), crd('ServiceMonitor', 'servicemonitors'), crd('PrometheusRule', 'prometheusrules')];
