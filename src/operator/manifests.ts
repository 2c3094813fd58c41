// Pure builders of the objects the operator owns for a Raft3DCluster
// (kubernetes.md §9): StatefulSet, headless and client Services, PodDisruptionBudget,
// bootstrap ConfigMap and token Secret. Same input, same output: the template hash
// on the StatefulSet tells whether the running template is the rendered one.
import { createHash, randomBytes } from 'node:crypto';
import type {
  V1ConfigMap,
  V1Container,
  V1EnvVar,
  V1OwnerReference,
  V1PodDisruptionBudget,
  V1PodSpec,
  V1PodTemplateSpec,
  V1Probe,
  V1Secret,
  V1Service,
  V1StatefulSet,
  V1StatefulSetSpec,
} from '@kubernetes/client-node';
import {
  API_VERSION,
  DATA_DIR,
  DATA_MOUNT,
  HTTP_PORT,
  KIND,
  RAFT_PORT,
  TEMPLATE_HASH_ANNOTATION,
  TOKEN_KEY,
  commonLabels,
  names,
  selectorLabels,
} from './names.js';
import type { Raft3DCluster } from './types.js';

export type ClusterState = 'new' | 'existing';

/** Pods start as a single seed and the operator grows the cluster, so one pod is "expected" at first boot. */
export const SEED_EXPECTED_REPLICAS = 1;
/** Ordinals the pods probe for an existing cluster: the CRD's maximum replicas. */
export const PROBED_ORDINALS = 9;

export function ownerReference(cr: Raft3DCluster): V1OwnerReference {
  return { apiVersion: API_VERSION, kind: KIND, name: cr.metadata.name, uid: cr.metadata.uid, controller: true, blockOwnerDeletion: true };
}

function meta(cr: Raft3DCluster, name: string, version: string): { name: string; namespace: string; labels: Record<string, string>; ownerReferences: V1OwnerReference[] } {
  return { name, namespace: cr.metadata.namespace, labels: commonLabels(cr.metadata.name, version), ownerReferences: [ownerReference(cr)] };
}

export function tokenSecretRef(cr: Raft3DCluster): { name: string; key: string } {
  return cr.spec.tokenSecretRef ?? { name: names.tokenSecret(cr.metadata.name), key: TOKEN_KEY };
}

function httpProbe(path: string, periodSeconds: number, timeoutSeconds: number, failureThreshold: number): V1Probe {
  return { httpGet: { path, port: 'http' }, periodSeconds, timeoutSeconds, failureThreshold, successThreshold: 1 };
}

function env(cr: Raft3DCluster): V1EnvVar[] {
  const cluster = cr.metadata.name;
  const host = `$(POD_NAME).${names.headlessService(cluster)}.$(POD_NAMESPACE).svc.${cr.spec.clusterDomain}`;
  const token = tokenSecretRef(cr);
  const r = cr.spec.raft;
  return [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: 'RAFT3D_K8S_HEADLESS_SERVICE', value: names.headlessService(cluster) },
    { name: 'RAFT3D_K8S_CLUSTER_DOMAIN', value: cr.spec.clusterDomain },
    // Constant on purpose: a template that changed with the size would roll every pod on each scale step.
    { name: 'RAFT3D_K8S_EXPECTED_REPLICAS', value: String(SEED_EXPECTED_REPLICAS) },
    { name: 'RAFT3D_K8S_MAX_REPLICAS', value: String(PROBED_ORDINALS) },
    { name: 'RAFT3D_ID', value: '$(POD_NAME)' },
    { name: 'RAFT3D_HTTP', value: `${host}:${HTTP_PORT}` },
    { name: 'RAFT3D_HTTP_LISTEN', value: `0.0.0.0:${HTTP_PORT}` },
    { name: 'RAFT3D_RAFT', value: `${host}:${RAFT_PORT}` },
    { name: 'RAFT3D_RAFT_LISTEN', value: `0.0.0.0:${RAFT_PORT}` },
    { name: 'RAFT3D_DATA', value: DATA_DIR },
    { name: 'RAFT3D_TICK_MS', value: String(r.tickMs) },
    { name: 'RAFT3D_HEARTBEAT_TICKS', value: String(r.heartbeatTicks) },
    { name: 'RAFT3D_ELECTION_TICKS', value: String(r.electionTicks) },
    { name: 'RAFT3D_SNAPSHOT_THRESHOLD', value: String(r.snapshotThreshold) },
    { name: 'RAFT3D_CLUSTER_TOKEN', valueFrom: { secretKeyRef: { name: token.name, key: token.key } } },
    { name: 'TMPDIR', value: '/tmp' },
  ];
}

function container(cr: Raft3DCluster): V1Container {
  const resources = cr.spec.resources;
  return {
    name: 'raft3d',
    image: cr.spec.image,
    imagePullPolicy: cr.spec.imagePullPolicy,
    command: ['node', 'dist/main.js'],
    ports: [
      { name: 'http', containerPort: HTTP_PORT, protocol: 'TCP' },
      { name: 'raft', containerPort: RAFT_PORT, protocol: 'TCP' },
    ],
    env: env(cr),
    // RAFT3D_CLUSTER_STATE / RAFT3D_CLUSTER_ID, read once at container start (kubernetes.md §3.2).
    envFrom: [{ configMapRef: { name: names.bootstrapConfigMap(cr.metadata.name) } }],
    startupProbe: httpProbe('/health/live', 5, 2, 60),
    livenessProbe: httpProbe('/health/live', 10, 3, 6),
    readinessProbe: httpProbe('/health/ready', 5, 2, 2),
    lifecycle: { preStop: { sleep: { seconds: 5 } } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
    ...(resources.requests || resources.limits
      ? { resources: { ...(resources.requests ? { requests: resources.requests } : {}), ...(resources.limits ? { limits: resources.limits } : {}) } }
      : {}),
    volumeMounts: [
      { name: 'data', mountPath: DATA_MOUNT },
      { name: 'tmp', mountPath: '/tmp' },
    ],
  };
}

function podSpec(cr: Raft3DCluster): V1PodSpec {
  const s = cr.spec.scheduling;
  const selector = selectorLabels(cr.metadata.name);
  return {
    terminationGracePeriodSeconds: cr.spec.terminationGracePeriodSeconds,
    // Server pods never call the Kubernetes API.
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    },
    // Soft by default: kind and minikube have a single node.
    affinity: s.affinity ?? {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } },
        ],
      },
    },
    ...(s.nodeSelector && Object.keys(s.nodeSelector).length > 0 ? { nodeSelector: s.nodeSelector } : {}),
    ...(s.tolerations && s.tolerations.length > 0 ? { tolerations: s.tolerations } : {}),
    ...(s.topologySpreadConstraints && s.topologySpreadConstraints.length > 0 ? { topologySpreadConstraints: s.topologySpreadConstraints } : {}),
    ...(s.priorityClassName ? { priorityClassName: s.priorityClassName } : {}),
    containers: [container(cr)],
    volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }],
  };
}

export function podTemplate(cr: Raft3DCluster): V1PodTemplateSpec {
  return {
    metadata: {
      // No version label here: changing it would roll every pod.
      labels: { ...selectorLabels(cr.metadata.name), 'app.kubernetes.io/managed-by': 'raft3d-operator' },
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(HTTP_PORT), 'prometheus.io/path': '/metrics' },
    },
    spec: podSpec(cr),
  };
}

/** The StatefulSet fields the operator may change after creation (template and rollout settings). */
export function mutableStatefulSetSpec(cr: Raft3DCluster): Pick<V1StatefulSetSpec, 'template' | 'minReadySeconds' | 'updateStrategy' | 'persistentVolumeClaimRetentionPolicy'> {
  return {
    template: podTemplate(cr),
    minReadySeconds: 10,
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
    // Retain on scale-down too: an unsafe shrink must never destroy the copies needed to regain quorum.
    persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
  };
}

export function templateHash(cr: Raft3DCluster): string {
  return createHash('sha256').update(JSON.stringify(mutableStatefulSetSpec(cr))).digest('hex').slice(0, 16);
}

export function desiredStatefulSet(cr: Raft3DCluster, replicas: number, version: string): V1StatefulSet {
  const cluster = cr.metadata.name;
  const storage = cr.spec.storage;
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { ...meta(cr, names.statefulSet(cluster), version), annotations: { [TEMPLATE_HASH_ANNOTATION]: templateHash(cr) } },
    spec: {
      serviceName: names.headlessService(cluster),
      // OrderedReady would deadlock a cluster that lost quorum: no pod is Ready, so no pod would be started.
      podManagementPolicy: 'Parallel',
      replicas,
      selector: { matchLabels: selectorLabels(cluster) },
      ...mutableStatefulSetSpec(cr),
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: 'data', labels: selectorLabels(cluster) },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: storage.size } },
            ...(storage.storageClassName ? { storageClassName: storage.storageClassName } : {}),
          },
        },
      ],
    },
  };
}

export function desiredHeadlessService(cr: Raft3DCluster, version: string): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(cr, names.headlessService(cr.metadata.name), version),
    spec: {
      clusterIP: 'None',
      // Peers must find each other before they are Ready (first boot, quorum loss).
      publishNotReadyAddresses: true,
      selector: selectorLabels(cr.metadata.name),
      ports: [
        { name: 'http', port: HTTP_PORT, targetPort: 'http', protocol: 'TCP' },
        { name: 'raft', port: RAFT_PORT, targetPort: 'raft', protocol: 'TCP' },
      ],
    },
  };
}

export function desiredClientService(cr: Raft3DCluster, version: string): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(cr, names.clientService(cr.metadata.name), version),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(cr.metadata.name),
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

export function desiredPodDisruptionBudget(cr: Raft3DCluster, version: string): V1PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(cr, names.pdb(cr.metadata.name), version),
    // maxUnavailable, not minAvailable: a one-replica install must still be drainable.
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(cr.metadata.name) } },
  };
}

export function desiredBootstrapConfigMap(cr: Raft3DCluster, state: ClusterState, clusterId: string, version: string): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(cr, names.bootstrapConfigMap(cr.metadata.name), version),
    data: bootstrapData(state, clusterId),
  };
}

export function bootstrapData(state: ClusterState, clusterId: string): Record<string, string> {
  return { RAFT3D_CLUSTER_STATE: state, RAFT3D_CLUSTER_ID: clusterId };
}

export function desiredTokenSecret(cr: Raft3DCluster, version: string, token: string = randomBytes(32).toString('hex')): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(cr, names.tokenSecret(cr.metadata.name), version),
    type: 'Opaque',
    stringData: { [TOKEN_KEY]: token },
  };
}
