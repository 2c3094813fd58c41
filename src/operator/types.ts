// The Raft3DCluster resource as the operator sees it. The CRD
// (charts/raft3d/crds/raft3d.io_raft3dclusters.yaml) validates and defaults it on
// the API server; this parser applies the same defaults so that a resource from
// a test or an older server reads the same, and narrows the JSON to types.
import type { V1Affinity, V1Toleration, V1TopologySpreadConstraint } from '@kubernetes/client-node';
import { z } from 'zod';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface Raft3DClusterSpec {
  readonly replicas: number;
  readonly image: string;
  readonly imagePullPolicy: PullPolicy;
  readonly clusterDomain: string;
  readonly storage: { readonly size: string; readonly storageClassName: string | null };
  readonly resources: { readonly requests?: Record<string, string>; readonly limits?: Record<string, string> };
  readonly raft: { readonly tickMs: number; readonly heartbeatTicks: number; readonly electionTicks: number; readonly snapshotThreshold: number };
  readonly scheduling: {
    readonly nodeSelector?: Record<string, string>;
    readonly tolerations?: V1Toleration[];
    readonly affinity?: V1Affinity;
    readonly topologySpreadConstraints?: V1TopologySpreadConstraint[];
    readonly priorityClassName?: string;
  };
  readonly tokenSecretRef: { readonly name: string; readonly key: string } | null;
  readonly terminationGracePeriodSeconds: number;
}

export type ConditionType = 'Available' | 'Progressing' | 'Degraded' | 'Blocked';

export interface Condition {
  readonly type: ConditionType;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration: number;
}

export type MembershipChangeType = 'scale_up' | 'transfer' | 'remove' | 'scale_down' | 'drift_repair' | 'bootstrap' | 'adopt';

export interface Raft3DClusterStatus {
  readonly observedGeneration?: number;
  readonly clusterId?: string;
  readonly replicas?: number;
  readonly readyReplicas?: number;
  readonly voters?: number;
  readonly selector?: string;
  readonly leader?: string;
  readonly term?: number;
  readonly members?: readonly { readonly id: string; readonly role: 'voter' | 'learner'; readonly ready: boolean }[];
  readonly lastMembershipChange?: { readonly type: MembershipChangeType; readonly member: string; readonly at: string; readonly result: string };
  readonly conditions?: readonly Condition[];
}

export interface Raft3DCluster {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly uid: string;
    readonly generation: number;
    readonly resourceVersion: string;
    readonly deleting: boolean;
  };
  readonly spec: Raft3DClusterSpec;
  readonly status: Raft3DClusterStatus;
}

const quantity = z.union([z.string(), z.number()]).transform(String);
const objectish = z.record(z.string(), z.unknown());

const specSchema = z.object({
  replicas: z.number().int().min(1).max(9).default(3),
  image: z.string().min(1),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
  clusterDomain: z.string().min(1).default('cluster.local'),
  storage: z
    .object({ size: z.string().min(1).default('1Gi'), storageClassName: z.string().nullable().default(null) })
    .default({ size: '1Gi', storageClassName: null }),
  resources: z
    .object({ requests: z.record(z.string(), quantity).optional(), limits: z.record(z.string(), quantity).optional() })
    .default({}),
  raft: z
    .object({
      tickMs: z.number().int().min(5).max(1000).default(100),
      heartbeatTicks: z.number().int().min(1).max(100).default(1),
      electionTicks: z.number().int().min(2).max(1000).default(10),
      snapshotThreshold: z.number().int().min(1).default(10000),
    })
    .default({ tickMs: 100, heartbeatTicks: 1, electionTicks: 10, snapshotThreshold: 10000 })
    .refine((r) => r.electionTicks > r.heartbeatTicks, { message: 'electionTicks must be larger than heartbeatTicks' }),
  scheduling: z
    .object({
      nodeSelector: z.record(z.string(), z.string()).optional(),
      tolerations: z.array(objectish).optional(),
      affinity: objectish.optional(),
      topologySpreadConstraints: z.array(objectish).optional(),
      priorityClassName: z.string().optional(),
    })
    .default({}),
  tokenSecretRef: z
    .object({ name: z.string().min(1), key: z.string().min(1).default('token') })
    .nullable()
    .default(null),
  terminationGracePeriodSeconds: z.number().int().min(10).max(600).default(45),
});

const conditionSchema = z.object({
  type: z.enum(['Available', 'Progressing', 'Degraded', 'Blocked']),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().default(''),
  message: z.string().default(''),
  lastTransitionTime: z.string().default(''),
  observedGeneration: z.number().int().default(0),
});

const statusSchema = z
  .object({
    observedGeneration: z.number().int().optional(),
    clusterId: z.string().optional(),
    replicas: z.number().int().optional(),
    readyReplicas: z.number().int().optional(),
    voters: z.number().int().optional(),
    selector: z.string().optional(),
    leader: z.string().optional(),
    term: z.number().int().optional(),
    members: z.array(z.object({ id: z.string(), role: z.enum(['voter', 'learner']), ready: z.boolean() })).optional(),
    lastMembershipChange: z
      .object({
        type: z.enum(['scale_up', 'transfer', 'remove', 'scale_down', 'drift_repair', 'bootstrap', 'adopt']),
        member: z.string(),
        at: z.string(),
        result: z.string(),
      })
      .optional(),
    conditions: z.array(conditionSchema).optional(),
  })
  .default({});

const timestamp = z.union([z.string(), z.date()]);

const resourceSchema = z.object({
  apiVersion: z.string().default('raft3d.io/v1alpha1'),
  kind: z.string().default('Raft3DCluster'),
  metadata: z.object({
    name: z.string().min(1),
    namespace: z.string().min(1),
    uid: z.string().default(''),
    generation: z.number().int().default(1),
    resourceVersion: z.string().default(''),
    deletionTimestamp: timestamp.nullable().optional(),
  }),
  spec: specSchema,
  status: statusSchema,
});

export class InvalidResource extends Error {
  override readonly name = 'InvalidResource';
}

/** Narrows a Raft3DCluster read from the API (or a test) and applies the CRD's defaults. */
export function parseRaft3DCluster(obj: unknown): Raft3DCluster {
  const parsed = resourceSchema.safeParse(obj);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidResource(`invalid Raft3DCluster: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown error'}`);
  }
  const { metadata, spec, status, apiVersion, kind } = parsed.data;
  const { deletionTimestamp, ...meta } = metadata;
  return {
    apiVersion,
    kind,
    metadata: { ...meta, deleting: deletionTimestamp !== undefined && deletionTimestamp !== null },
    // The scheduling fields are passed through to the pod template; the API server validates them there.
    spec: spec as Raft3DClusterSpec,
    status: status as Raft3DClusterStatus,
  };
}
