// One reconcile pass for one Raft3DCluster: read it live, observe, plan, execute
// at most one action, write the status, emit Events, update metrics. Level
// triggered and idempotent: everything is derived from what is observed now, so
// a pass that is repeated, interrupted or run by a freshly restarted operator
// converges to the same place without repeating a membership step.
import type { Logger } from 'pino';
import { execute, RetrySoon, type EventType, type Failpoint } from './executor.js';
import { isConflict, type KubeApi } from './kube-api.js';
import type { OperatorMetrics } from './metrics.js';
import { API_VERSION, KIND } from './names.js';
import { NodeApiError, type NodeClient } from './node-client.js';
import { observe, type AddressOf } from './observe.js';
import { BLOCKED_REASONS, plan, REQUEUE_STEADY_MS, type Plan } from './planner.js';
import { computeStatus, statusPatch, type MembershipChange } from './status.js';
import { InvalidResource, parseRaft3DCluster, type Raft3DCluster } from './types.js';

/** After an action, look again soon: the next step usually waits on what it started. */
export const REQUEUE_AFTER_ACTION_MS = 1000;
export const REQUEUE_AFTER_CONFLICT_MS = 1000;
export const REQUEUE_AFTER_NODE_ERROR_MS = 2000;

export interface ReconcilerDeps {
  readonly kube: KubeApi;
  readonly nodes: NodeClient;
  readonly metrics: OperatorMetrics;
  readonly logger: Logger;
  /** Operator version, for the app.kubernetes.io/version label. */
  readonly version: string;
  readonly addressOf: AddressOf;
  /** Wall clock in ms (Kubernetes timestamps are wall-clock). */
  readonly clock: () => number;
  readonly failpoint: (name: Failpoint) => void;
  /** reportingInstance of the Events (the operator pod's name). */
  readonly instance: string;
}

export type PassResult = 'ok' | 'requeue' | 'error' | 'blocked';

export interface PassOutcome {
  readonly requeueMs: number | null;
  readonly result: PassResult;
  readonly plan: Plan | null;
}

export class Reconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  async reconcile(namespace: string, name: string): Promise<PassOutcome> {
    const { metrics } = this.deps;
    const end = metrics.reconcileDuration.startTimer();
    try {
      const outcome = await this.pass(namespace, name);
      metrics.reconcileTotal.inc({ result: outcome.result });
      return outcome;
    } catch (error) {
      metrics.reconcileTotal.inc({ result: 'error' });
      throw error;
    } finally {
      end();
    }
  }

  private async pass(namespace: string, name: string): Promise<PassOutcome> {
    const { kube, nodes, logger, metrics } = this.deps;
    const raw = await kube.getCluster(namespace, name);
    if (raw === null) {
      metrics.forget(namespace, name, BLOCKED_REASONS);
      return { requeueMs: null, result: 'ok', plan: null };
    }
    let cr: Raft3DCluster;
    try {
      cr = parseRaft3DCluster(raw);
    } catch (error) {
      if (!(error instanceof InvalidResource)) throw error;
      logger.error({ namespace, name, err: error.message }, 'invalid Raft3DCluster: waiting for it to be fixed');
      return { requeueMs: null, result: 'error', plan: null };
    }

    const nowMs = this.deps.clock();
    const nowIso = new Date(nowMs).toISOString();
    const observation = await observe(cr, kube, nodes, this.deps.addressOf, nowMs);
    const o = observation.observed;
    const p = plan(o);
    const log = logger.child({ namespace, raft3d_cluster: name });
    const emit = (type: EventType, reason: string, message: string): Promise<void> => this.emit(cr, type, reason, message, nowMs);

    let change: MembershipChange | null = null;
    let result: PassResult = p.kind === 'blocked' ? 'blocked' : 'ok';
    let requeueMs: number | null;
    let acted = false;
    if (p.kind === 'act') {
      log.info({ action: p.action }, p.message);
      try {
        change = await execute(p.action, { cr, observation, kube, nodes, version: this.deps.version, nowIso, emit, failpoint: this.deps.failpoint });
        acted = true;
        if (change !== null) metrics.membershipChanges.inc({ namespace, raft3d_cluster: name, type: change.type });
        requeueMs = REQUEUE_AFTER_ACTION_MS;
      } catch (error) {
        if (isConflict(error) || error instanceof RetrySoon) {
          log.info({ err: (error as Error).message }, 'the world moved during the step: observing again');
          result = 'requeue';
          requeueMs = REQUEUE_AFTER_CONFLICT_MS;
        } else if (error instanceof NodeApiError) {
          log.warn({ err: error.message, status: error.status, code: error.code }, 'a node refused or did not answer: retrying');
          result = 'requeue';
          requeueMs = REQUEUE_AFTER_NODE_ERROR_MS;
        } else {
          throw error;
        }
      }
    } else {
      if (p.kind !== 'steady') log.debug({ kind: p.kind, reason: p.reason }, p.message);
      requeueMs = p.kind === 'steady' ? REQUEUE_STEADY_MS : p.requeueMs;
    }

    await this.transitionEvents(cr, p, emit);
    if (!o.deleting) {
      const recordedId = acted && p.kind === 'act' && p.action.type === 'record-cluster-id' ? p.action.clusterId : undefined;
      const next = computeStatus(o, p, cr.status, change, nowIso, recordedId);
      const patch = statusPatch(cr.status, next);
      if (patch !== null) {
        await kube.patchClusterStatus(namespace, name, patch);
        this.deps.failpoint('after-status-update');
      }
    }
    metrics.desiredReplicas.set({ namespace, raft3d_cluster: name }, cr.spec.replicas);
    if (o.raft.leader !== null) metrics.observedVoters.set({ namespace, raft3d_cluster: name }, o.raft.leader.members.filter((m) => m.role === 'voter').length);
    metrics.setBlocked(namespace, name, p.kind === 'blocked' ? p.reason : null, BLOCKED_REASONS);
    return { requeueMs, result, plan: p };
  }

  /** Warnings when the situation changes, judged against the status written by the previous pass. */
  private async transitionEvents(cr: Raft3DCluster, p: Plan, emit: (type: EventType, reason: string, message: string) => Promise<void>): Promise<void> {
    const prev = new Map((cr.status.conditions ?? []).map((c) => [c.type, c]));
    if (p.kind === 'blocked') {
      const b = prev.get('Blocked');
      if (b?.status !== 'True' || b.reason !== p.reason) await emit('Warning', p.reason, p.message);
    }
    if (p.kind === 'wait' && p.reason === 'JoinStalled' && prev.get('Progressing')?.reason !== 'JoinStalled') await emit('Warning', 'JoinStalled', p.message);
    if (p.kind === 'steady') {
      const issue = p.issues.find((i) => i.reason !== 'EvenReplicas');
      const d = prev.get('Degraded');
      if (issue !== undefined && (d?.status !== 'True' || d.reason !== issue.reason)) await emit('Warning', issue.reason, issue.message);
    }
    if (cr.status.observedGeneration !== cr.metadata.generation && cr.spec.replicas % 2 === 0) {
      await emit('Warning', 'EvenReplicas', `${cr.spec.replicas} voters tolerate no more failures than ${cr.spec.replicas - 1}; an odd size is recommended`);
    }
  }

  private async emit(cr: Raft3DCluster, type: EventType, reason: string, message: string, nowMs: number): Promise<void> {
    const ns = cr.metadata.namespace;
    const at = new Date(nowMs);
    try {
      await this.deps.kube.createEvent(ns, {
        metadata: { generateName: `${cr.metadata.name}.`, namespace: ns },
        involvedObject: { apiVersion: API_VERSION, kind: KIND, name: cr.metadata.name, namespace: ns, uid: cr.metadata.uid },
        type,
        reason,
        message,
        source: { component: 'raft3d-operator' },
        reportingComponent: 'raft3d-operator',
        reportingInstance: this.deps.instance,
        firstTimestamp: at,
        lastTimestamp: at,
        count: 1,
      });
    } catch (error) {
      // Events are advice to humans; losing one never blocks a step.
      this.deps.logger.warn({ err: error instanceof Error ? error.message : String(error), reason }, 'could not record an Event');
    }
  }
}
