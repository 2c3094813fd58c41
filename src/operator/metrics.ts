// The operator's own Prometheus metrics (kubernetes.md §10.2), in a registry of
// its own. The cluster label is raft3d_cluster: many Prometheus setups already
// use "cluster" as an external label.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal = new Counter({ name: 'raft3d_operator_reconcile_total', help: 'Reconcile passes by result', labelNames: ['result'] as const, registers: [this.registry] });
  readonly reconcileDuration = new Histogram({
    name: 'raft3d_operator_reconcile_duration_seconds',
    help: 'Duration of one reconcile pass',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly membershipChanges = new Counter({
    name: 'raft3d_operator_membership_changes_total',
    help: 'Membership steps requested by the operator',
    labelNames: ['namespace', 'raft3d_cluster', 'type'] as const,
    registers: [this.registry],
  });
  readonly blocked = new Gauge({ name: 'raft3d_operator_blocked', help: '1 while the operator refuses to act, by reason', labelNames: ['namespace', 'raft3d_cluster', 'reason'] as const, registers: [this.registry] });
  readonly desiredReplicas = new Gauge({ name: 'raft3d_operator_desired_replicas', help: 'spec.replicas of the resource', labelNames: ['namespace', 'raft3d_cluster'] as const, registers: [this.registry] });
  readonly observedVoters = new Gauge({ name: 'raft3d_operator_observed_voters', help: 'Voters in the leader\'s configuration', labelNames: ['namespace', 'raft3d_cluster'] as const, registers: [this.registry] });
  readonly informerRestarts = new Counter({ name: 'raft3d_operator_informer_restarts_total', help: 'Informers re-created after an error, a close or a silent watch', labelNames: ['resource'] as const, registers: [this.registry] });

  constructor(defaults = false) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }

  /** Exactly one blocked reason is 1 for a cluster (or none). */
  setBlocked(namespace: string, cluster: string, reason: string | null, reasons: readonly string[]): void {
    for (const r of reasons) this.blocked.set({ namespace, raft3d_cluster: cluster, reason: r }, r === reason ? 1 : 0);
  }

  /** Drops the series of a deleted resource. */
  forget(namespace: string, cluster: string, reasons: readonly string[]): void {
    for (const g of [this.desiredReplicas, this.observedVoters]) g.remove({ namespace, raft3d_cluster: cluster });
    for (const reason of reasons) this.blocked.remove({ namespace, raft3d_cluster: cluster, reason });
  }
}
