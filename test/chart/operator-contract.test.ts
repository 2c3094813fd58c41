// The chart and the operator agree: the operator accepts the Raft3DCluster the chart
// renders, and the chart's PodMonitor, NetworkPolicy, Ingress and helm test address the
// pods, ports and Services the operator creates from it.
import { describe, test, expect } from '@jest/globals';
import type { V1Container, V1Service } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { desiredClientService, desiredHeadlessService, podTemplate } from '../../src/operator/manifests.js';
import { OPERATOR_ENV, loadOperatorConfig } from '../../src/operator/operator-config.js';
import { parseRaft3DCluster } from '../../src/operator/types.js';
import { at, only, renderChart, repoRoot, type Rendered } from '../support/helm.js';
import { restrictedViolations, type PodSpecLike } from '../support/pod-security.js';
import { ruleTable } from '../support/rbac.js';

const everything = renderChart({
  apiVersions: ['monitoring.coreos.com/v1'],
  set: {
    'ingress.enabled': true,
    'networkPolicy.enabled': true,
    'cluster.storage.storageClassName': 'fast',
    'cluster.tokenSecretRef.name': 'demo-token-custom',
    'cluster.scheduling.nodeSelector.disk': 'ssd',
    'cluster.raft.tickMs': 50,
  },
});

/** The rendered custom resource as the API server would hand it to the operator. */
function asStored(objects: Rendered[]): ReturnType<typeof parseRaft3DCluster> {
  const cr = only(objects, 'Raft3DCluster');
  return parseRaft3DCluster({ ...cr, metadata: { ...cr.metadata, uid: 'uid-1', generation: 1, resourceVersion: '1' } });
}

const cr = asStored(everything);
const template = podTemplate(cr);
const labels = template.metadata?.labels ?? {};
const container = template.spec!.containers[0] as V1Container;
const portNames = (container.ports ?? []).map((p) => p.name);

function labelsMatch(selector: Record<string, string>, target: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => target[k] === v);
}

describe('operator ⇄ chart contract', () => {
  test('the operator parses the chart\'s Raft3DCluster with every value intact', () => {
    expect(asStored(renderChart({})).spec).toEqual({
      replicas: 3,
      image: 'raft3d:0.1.0',
      imagePullPolicy: 'IfNotPresent',
      clusterDomain: 'cluster.local',
      storage: { size: '1Gi', storageClassName: null },
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
      raft: { tickMs: 100, heartbeatTicks: 1, electionTicks: 10, snapshotThreshold: 10000 },
      scheduling: {},
      tokenSecretRef: null,
      terminationGracePeriodSeconds: 45,
    });
    expect(cr.spec.storage.storageClassName).toBe('fast');
    expect(cr.spec.tokenSecretRef).toEqual({ name: 'demo-token-custom', key: 'token' });
    expect(cr.spec.scheduling.nodeSelector).toEqual({ disk: 'ssd' });
    expect(cr.spec.raft.tickMs).toBe(50);
  });

  test('the PodMonitor selects the operator\'s server pods on a port they expose', () => {
    const monitor = only(everything, 'PodMonitor');
    expect(labelsMatch(at(monitor, 'spec', 'selector', 'matchLabels') as Record<string, string>, labels)).toBe(true);
    expect(portNames).toContain(at(monitor, 'spec', 'podMetricsEndpoints', 0, 'port'));
    // The relabeling copies this label into raft3d_cluster.
    expect(labels['app.kubernetes.io/instance']).toBe('demo');
  });

  test('the NetworkPolicy covers the server pods and names ports they expose; peers reach each other', () => {
    const policy = only(everything, 'NetworkPolicy');
    expect(labelsMatch(at(policy, 'spec', 'podSelector', 'matchLabels') as Record<string, string>, labels)).toBe(true);
    const rules = at(policy, 'spec', 'ingress') as { from: { podSelector?: { matchLabels: Record<string, string> } }[]; ports: { port: string }[] }[];
    for (const rule of rules) for (const p of rule.ports) expect(portNames).toContain(p.port);
    const raftRule = rules.find((r) => r.ports.some((p) => p.port === 'raft'))!;
    expect(raftRule.from.some((peer) => peer.podSelector !== undefined && labelsMatch(peer.podSelector.matchLabels, labels))).toBe(true);
  });

  test('the Ingress and the helm test use the client Service and a port it has', () => {
    const client: V1Service = desiredClientService(cr, '0.1.0');
    const backend = at(only(everything, 'Ingress'), 'spec', 'rules', 0, 'http', 'paths', 0, 'backend', 'service') as { name: string; port: { name: string } };
    expect(backend.name).toBe(client.metadata!.name);
    expect(client.spec!.ports!.map((p) => p.name)).toContain(backend.port.name);
    expect(backend.name).not.toBe(desiredHeadlessService(cr, '0.1.0').metadata!.name);
    const env = at(only(everything, 'Pod'), 'spec', 'containers', 0, 'env') as { name: string; value: string }[];
    const url = new URL(env.find((e) => e.name === 'RAFT3D_URL')!.value);
    expect(url.hostname).toBe(client.metadata!.name);
    expect(Number(url.port || 80)).toBe(client.spec!.ports![0]!.port);
  });

  test('server pods meet the restricted Pod Security profile that k8s/namespace.yaml enforces', () => {
    expect(restrictedViolations(template.spec as unknown as PodSpecLike)).toEqual([]);
  });

  test('the operator pods never match the server selector', () => {
    const operatorLabels = at(only(everything, 'Deployment'), 'spec', 'template', 'metadata', 'labels') as Record<string, string>;
    const serverSelector = Object.fromEntries(Object.entries(labels).filter(([k]) => k !== 'app.kubernetes.io/managed-by'));
    expect(labelsMatch(serverSelector, operatorLabels)).toBe(false);
  });
});

/**
 * The permission each call of the operator's KubeApi needs. A new method in
 * src/operator/kube-api.ts fails the test below until it is added here and the chart's
 * Role grants it.
 */
const PERMISSIONS: Record<string, readonly (readonly [string, string])[]> = {
  getCluster: [['raft3d.io/raft3dclusters', 'get']],
  patchClusterStatus: [['raft3d.io/raft3dclusters/status', 'patch']],
  getStatefulSet: [['apps/statefulsets', 'get']],
  createStatefulSet: [['apps/statefulsets', 'create']],
  replaceStatefulSet: [['apps/statefulsets', 'update']],
  scaleStatefulSet: [['apps/statefulsets', 'patch']],
  getService: [['core/services', 'get']],
  createService: [['core/services', 'create']],
  getPodDisruptionBudget: [['policy/poddisruptionbudgets', 'get']],
  createPodDisruptionBudget: [['policy/poddisruptionbudgets', 'create']],
  getConfigMap: [['core/configmaps', 'get']],
  createConfigMap: [['core/configmaps', 'create']],
  patchConfigMapData: [['core/configmaps', 'patch']],
  getSecret: [['core/secrets', 'get']],
  createSecret: [['core/secrets', 'create']],
  listPods: [['core/pods', 'list']],
  deletePod: [['core/pods', 'delete']],
  listPersistentVolumeClaimNames: [['core/persistentvolumeclaims', 'list']],
  createEvent: [['core/events', 'create']],
};
const WATCHED: Record<string, string> = { raft3dclusters: 'raft3d.io/raft3dclusters', statefulsets: 'apps/statefulsets', pods: 'core/pods' };

describe('operator RBAC ⇄ the operator\'s Kubernetes calls', () => {
  const source = readFileSync(join(repoRoot, 'src', 'operator', 'kube-api.ts'), 'utf8');
  const body = /export interface KubeApi \{([\s\S]*?)\n\}/.exec(source)?.[1] ?? '';
  const methods = [...body.matchAll(/^\s+([a-zA-Z]+)\(/gm)].map((m) => m[1]!).filter((m) => m !== 'informer');
  const watched = [...(/export type WatchedKind = ([^;]+);/.exec(source)?.[1] ?? '').matchAll(/'([a-z0-9]+)'/g)].map((m) => m[1]!);

  test('every call of the KubeApi interface has a known permission', () => {
    expect(methods.length).toBeGreaterThan(10);
    expect(methods.sort()).toEqual(Object.keys(PERMISSIONS).sort());
    expect(watched.sort()).toEqual(Object.keys(WATCHED).sort());
  });

  test.each(['namespace', 'cluster'])('scope=%s: the Role grants exactly those permissions', (scope) => {
    const objects = renderChart({ set: { 'operator.scope': scope } });
    const role = only(objects, scope === 'cluster' ? 'ClusterRole' : 'Role');
    const needed: Record<string, Set<string>> = {};
    const need = (resource: string, verb: string): void => void (needed[resource] ??= new Set()).add(verb);
    for (const perms of Object.values(PERMISSIONS)) for (const [resource, verb] of perms) need(resource, verb);
    for (const resource of Object.values(WATCHED)) {
      need(resource, 'list');
      need(resource, 'watch');
    }
    expect(ruleTable(role)).toEqual(Object.fromEntries(Object.entries(needed).map(([r, verbs]) => [r, [...verbs].sort()])));
  });
});

describe('operator Deployment ⇄ the operator\'s configuration', () => {
  type EnvVar = { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } };
  /** The container environment as the kubelet resolves it for pod demo-raft3d-operator-x in namespace raft3d. */
  const resolvedEnv = (scope: string, port = 8081): Record<string, string> => {
    const deployment = only(renderChart({ set: { 'operator.scope': scope, 'operator.metricsPort': port } }), 'Deployment');
    const env = at(deployment, 'spec', 'template', 'spec', 'containers', 0, 'env') as EnvVar[];
    const fields: Record<string, string> = { 'metadata.name': 'demo-raft3d-operator-x', 'metadata.namespace': 'raft3d' };
    return Object.fromEntries(env.map((e) => [e.name, e.value ?? fields[e.valueFrom?.fieldRef?.fieldPath ?? ''] ?? '']));
  };

  test('sets only variables the operator reads (plus POD_NAMESPACE and TMPDIR)', () => {
    for (const name of Object.keys(resolvedEnv('namespace'))) expect([name, name in OPERATOR_ENV || name === 'POD_NAMESPACE' || name === 'TMPDIR']).toEqual([name, true]);
  });

  test('namespace scope watches the release namespace; cluster scope every namespace; probes on the metrics port', () => {
    const own = loadOperatorConfig(resolvedEnv('namespace', 9090));
    expect(own).toMatchObject({ namespace: 'raft3d', listenHost: '0.0.0.0', listenPort: 9090, logLevel: 'info', instance: 'demo-raft3d-operator-x', failpoint: null });
    expect(loadOperatorConfig(resolvedEnv('cluster')).namespace).toBeNull();
  });
});
