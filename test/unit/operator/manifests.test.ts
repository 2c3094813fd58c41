import { describe, test, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { V1Container, V1StatefulSet } from '@kubernetes/client-node';
import {
  desiredBootstrapConfigMap,
  desiredClientService,
  desiredHeadlessService,
  desiredPodDisruptionBudget,
  desiredStatefulSet,
  desiredTokenSecret,
  templateHash,
} from '../../../src/operator/manifests.js';
import { parseRaft3DCluster, InvalidResource, type Raft3DCluster } from '../../../src/operator/types.js';
import { crdValidator } from '../../support/k8s-schemas.js';

const crdPath = new URL('../../../charts/raft3d/crds/raft3d.io_raft3dclusters.yaml', import.meta.url);

function cr(spec: Record<string, unknown> = {}, name = 'farm'): Raft3DCluster {
  return parseRaft3DCluster({
    apiVersion: 'raft3d.io/v1alpha1',
    kind: 'Raft3DCluster',
    metadata: { name, namespace: 'prints', uid: 'uid-1', generation: 3, resourceVersion: '7' },
    spec: { image: 'raft3d:1.0.0', ...spec },
  });
}

type Model = new (data: never) => { validate(): void };
function validate(Model: Model, object: unknown): void {
  // Throws with the schema path on any invalid field.
  new Model(JSON.parse(JSON.stringify(object)) as never).validate();
}

function containerOf(sts: V1StatefulSet): V1Container {
  return sts.spec!.template.spec!.containers[0]!;
}

const variants: [string, Raft3DCluster][] = [
  ['defaults, 1 replica', cr({ replicas: 1 })],
  ['3 replicas with a storage class and resources', cr({ replicas: 3, storage: { size: '5Gi', storageClassName: 'fast' }, resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: 512 } } })],
  [
    '5 replicas with scheduling and a named token Secret',
    cr({
      replicas: 5,
      tokenSecretRef: { name: 'my-token', key: 'secret' },
      scheduling: {
        nodeSelector: { disk: 'ssd' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'raft3d', effect: 'NoSchedule' }],
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { 'app.kubernetes.io/instance': 'farm' } } }],
        priorityClassName: 'high',
      },
    }),
  ],
];

describe('manifests: valid Kubernetes objects', () => {
  test.each(variants)('%s: every object passes the Kubernetes schemas', (_label, c) => {
    for (const r of [1, c.spec.replicas]) validate(StatefulSet as Model, desiredStatefulSet(c, r, '1.0.0'));
    validate(Service as Model, desiredHeadlessService(c, '1.0.0'));
    validate(Service as Model, desiredClientService(c, '1.0.0'));
    validate(PodDisruptionBudget as Model, desiredPodDisruptionBudget(c, '1.0.0'));
    validate(ConfigMap as Model, desiredBootstrapConfigMap(c, 'new', '', '1.0.0'));
    validate(Secret as Model, desiredTokenSecret(c, '1.0.0'));
  });

  test('the validator does reject a broken object (so the checks above can fail)', () => {
    const sts = desiredStatefulSet(cr(), 1, '1.0.0');
    const broken = { ...sts, spec: { ...sts.spec, replicas: 'three' } };
    expect(() => validate(StatefulSet as Model, broken)).toThrow();
  });
});

describe('manifests: safety settings', () => {
  const c = cr({ replicas: 3, storage: { size: '2Gi', storageClassName: 'fast' } });
  const sts = desiredStatefulSet(c, 1, '1.0.0');
  const spec = sts.spec!;
  const pod = spec.template.spec!;
  const ctr = containerOf(sts);

  test('StatefulSet: Parallel, governing headless Service, retained PVCs, selector, replicas as asked', () => {
    expect(sts.metadata!.name).toBe('farm');
    expect(spec.podManagementPolicy).toBe('Parallel');
    expect(spec.serviceName).toBe('farm-headless');
    expect(spec.replicas).toBe(1);
    expect(spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'raft3d', 'app.kubernetes.io/instance': 'farm', 'app.kubernetes.io/component': 'server' } });
    expect(spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    expect(spec.minReadySeconds).toBe(10);
    expect(spec.volumeClaimTemplates).toEqual([
      expect.objectContaining({ metadata: expect.objectContaining({ name: 'data' }), spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } }, storageClassName: 'fast' } }),
    ]);
  });

  test('probes on /health/*: startup and liveness local, readiness on /health/ready', () => {
    expect(ctr.startupProbe).toEqual({ httpGet: { path: '/health/live', port: 'http' }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 60, successThreshold: 1 });
    expect(ctr.livenessProbe).toEqual({ httpGet: { path: '/health/live', port: 'http' }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 6, successThreshold: 1 });
    expect(ctr.readinessProbe).toEqual({ httpGet: { path: '/health/ready', port: 'http' }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2, successThreshold: 1 });
    expect(ctr.lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    expect(ctr.command).toEqual(['node', 'dist/main.js']);
    expect(ctr.ports).toEqual([
      { name: 'http', containerPort: 8001, protocol: 'TCP' },
      { name: 'raft', containerPort: 9001, protocol: 'TCP' },
    ]);
  });

  test('security: non-root 10001, read-only root with an emptyDir /tmp, no capabilities, no API token', () => {
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(ctr.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }]);
    expect(ctr.volumeMounts).toEqual([
      { name: 'data', mountPath: '/var/lib/raft3d' },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    expect(pod.terminationGracePeriodSeconds).toBe(45);
  });

  test('preferred anti-affinity by default; a given affinity replaces it', () => {
    expect(pod.affinity).toEqual({
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: spec.selector!.matchLabels } } },
        ],
      },
    });
    const own = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }] } } };
    expect(desiredStatefulSet(cr({ scheduling: { affinity: own } }), 1, 'v').spec!.template.spec!.affinity).toEqual(own);
  });

  test('environment: downward API identity, stable DNS addresses, Kubernetes mode, token from the Secret, bootstrap ConfigMap', () => {
    const env = new Map(ctr.env!.map((e) => [e.name, e]));
    expect(env.get('POD_NAME')).toEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    expect(env.get('POD_NAMESPACE')).toEqual({ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } });
    expect(env.get('RAFT3D_K8S_HEADLESS_SERVICE')?.value).toBe('farm-headless');
    expect(env.get('RAFT3D_K8S_CLUSTER_DOMAIN')?.value).toBe('cluster.local');
    expect(env.get('RAFT3D_K8S_EXPECTED_REPLICAS')?.value).toBe('1');
    expect(env.get('RAFT3D_RAFT')?.value).toBe('$(POD_NAME).farm-headless.$(POD_NAMESPACE).svc.cluster.local:9001');
    expect(env.get('RAFT3D_HTTP')?.value).toBe('$(POD_NAME).farm-headless.$(POD_NAMESPACE).svc.cluster.local:8001');
    expect(env.get('RAFT3D_CLUSTER_TOKEN')).toEqual({ name: 'RAFT3D_CLUSTER_TOKEN', valueFrom: { secretKeyRef: { name: 'farm-token', key: 'token' } } });
    expect(env.get('RAFT3D_ELECTION_TICKS')?.value).toBe('10');
    expect(env.get('TMPDIR')?.value).toBe('/tmp');
    // $(VAR) expansion only sees variables defined earlier in the list.
    const names = ctr.env!.map((e) => e.name);
    expect(names.indexOf('POD_NAME')).toBeLessThan(names.indexOf('RAFT3D_RAFT'));
    expect(ctr.envFrom).toEqual([{ configMapRef: { name: 'farm-bootstrap' } }]);
    const named = containerOf(desiredStatefulSet(cr({ tokenSecretRef: { name: 'mine', key: 'k' } }), 1, 'v'));
    expect(named.env!.find((e) => e.name === 'RAFT3D_CLUSTER_TOKEN')?.valueFrom).toEqual({ secretKeyRef: { name: 'mine', key: 'k' } });
  });

  test('Services: headless publishes not-ready pods on raft 9001 and http 8001; the client Service serves http', () => {
    const h = desiredHeadlessService(c, '1.0.0');
    expect(h.metadata!.name).toBe('farm-headless');
    expect(h.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(h.spec!.ports).toEqual([
      { name: 'http', port: 8001, targetPort: 'http', protocol: 'TCP' },
      { name: 'raft', port: 9001, targetPort: 'raft', protocol: 'TCP' },
    ]);
    const s = desiredClientService(c, '1.0.0');
    expect(s.metadata!.name).toBe('farm');
    expect(s.spec!.publishNotReadyAddresses).toBeUndefined();
    expect(s.spec!.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
  });

  test('PodDisruptionBudget: maxUnavailable 1 over the server pods', () => {
    const pdb = desiredPodDisruptionBudget(c, '1.0.0');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: spec.selector!.matchLabels } });
    expect(pdb.spec!.minAvailable).toBeUndefined();
  });

  test('every object: owner reference to the resource (controller), common labels', () => {
    const objects = [sts, desiredHeadlessService(c, '1.0.0'), desiredClientService(c, '1.0.0'), desiredPodDisruptionBudget(c, '1.0.0'), desiredBootstrapConfigMap(c, 'new', '', '1.0.0'), desiredTokenSecret(c, '1.0.0')];
    for (const o of objects) {
      expect(o.metadata!.ownerReferences).toEqual([{ apiVersion: 'raft3d.io/v1alpha1', kind: 'Raft3DCluster', name: 'farm', uid: 'uid-1', controller: true, blockOwnerDeletion: true }]);
      expect(o.metadata!.namespace).toBe('prints');
      expect(o.metadata!.labels).toEqual({
        'app.kubernetes.io/name': 'raft3d', 'app.kubernetes.io/instance': 'farm', 'app.kubernetes.io/component': 'server', 'app.kubernetes.io/managed-by': 'raft3d-operator', 'app.kubernetes.io/version': '1.0.0',
      });
    }
    expect(desiredBootstrapConfigMap(c, 'existing', 'c1', 'v').data).toEqual({ RAFT3D_CLUSTER_STATE: 'existing', RAFT3D_CLUSTER_ID: 'c1' });
    const t1 = desiredTokenSecret(c, 'v').stringData!['token']!;
    expect(t1).toMatch(/^[0-9a-f]{64}$/);
    expect(desiredTokenSecret(c, 'v').stringData!['token']).not.toBe(t1);
  });

  test('template hash: follows the template, not the size or the operator version', () => {
    expect(templateHash(c)).toBe(templateHash(cr({ replicas: 3, storage: { size: '2Gi', storageClassName: 'fast' } })));
    expect(templateHash(cr({ replicas: 1 }))).toBe(templateHash(cr({ replicas: 7 })));
    expect(templateHash(cr({ image: 'raft3d:1.0.1' }))).not.toBe(templateHash(cr()));
    expect(desiredStatefulSet(c, 1, 'a').spec!.template).toEqual(desiredStatefulSet(c, 3, 'b').spec!.template);
    expect(desiredStatefulSet(c, 1, 'a').metadata!.annotations).toEqual({ 'raft3d.io/template-hash': templateHash(c) });
  });
});

describe('the resource', () => {
  test('parse applies the CRD defaults', () => {
    const c = cr();
    expect(c.spec).toEqual({
      replicas: 3,
      image: 'raft3d:1.0.0',
      imagePullPolicy: 'IfNotPresent',
      clusterDomain: 'cluster.local',
      storage: { size: '1Gi', storageClassName: null },
      resources: {},
      raft: { tickMs: 100, heartbeatTicks: 1, electionTicks: 10, snapshotThreshold: 10000 },
      scheduling: {},
      tokenSecretRef: null,
      terminationGracePeriodSeconds: 45,
    });
    expect(c.metadata).toEqual({ name: 'farm', namespace: 'prints', uid: 'uid-1', generation: 3, resourceVersion: '7', deleting: false });
    expect(c.status).toEqual({});
  });

  test.each([
    [{ replicas: 10 }],
    [{ replicas: 0 }],
    [{ imagePullPolicy: 'Sometimes' }],
    [{ raft: { heartbeatTicks: 5, electionTicks: 5 } }],
  ])('parse rejects %p', (spec) => {
    expect(() => cr(spec)).toThrow(InvalidResource);
  });

  test('a resource with every field validates against the CRD schema; the CRD rejects what the parser rejects', () => {
    const crd = parse(readFileSync(crdPath, 'utf8'));
    const check = crdValidator(crd, 'v1alpha1');
    const full = {
      apiVersion: 'raft3d.io/v1alpha1',
      kind: 'Raft3DCluster',
      metadata: { name: 'farm' },
      spec: {
        replicas: 5, image: 'raft3d:1', imagePullPolicy: 'Always', clusterDomain: 'cluster.local', storage: { size: '1Gi', storageClassName: 'x' },
        resources: { requests: { cpu: '100m' }, limits: { memory: '1Gi' } }, raft: { tickMs: 50, heartbeatTicks: 1, electionTicks: 10, snapshotThreshold: 100 },
        scheduling: { nodeSelector: { a: 'b' }, tolerations: [], affinity: {}, topologySpreadConstraints: [], priorityClassName: 'p' },
        tokenSecretRef: { name: 't', key: 'k' }, terminationGracePeriodSeconds: 45,
      },
    };
    expect(check(full)).toEqual([]);
    expect(check({ ...full, spec: { ...full.spec, replicas: 10 } })).not.toEqual([]);
    expect(check({ ...full, spec: { ...full.spec, imagePullPolicy: 'Sometimes' } })).not.toEqual([]);
    expect(check({ ...full, spec: { ...full.spec, image: undefined } })).not.toEqual([]);
  });
});
