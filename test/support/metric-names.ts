// The metric names a Raft3D node exposes (issue 4's fixed list) and a reader for the
// metric names a PromQL expression uses.

export const NODE_METRICS: ReadonlySet<string> = new Set([
  'raft_term',
  'raft_state',
  'raft_has_leader',
  'raft_is_leader',
  'raft_is_learner',
  'raft_leader_changes_seen_total',
  'raft_commit_index',
  'raft_applied_index',
  'raft_last_log_index',
  'raft_snapshot_index',
  'raft_members',
  'raft_peer_lag_entries',
  'raft_failure_tolerance',
  'raft_cluster_healthy',
  'raft_proposals_committed_total',
  'raft_proposals_failed_total',
  'raft_snapshots_total',
  'raft_wal_fsync_duration_seconds',
  'raft_snapshot_duration_seconds',
  'http_request_duration_seconds',
  'http_requests_total',
  'raft3d_printers',
  'raft3d_filaments',
  'raft3d_print_jobs',
]);

/** The operator's metrics (kubernetes.md §10.2). */
export const OPERATOR_METRICS: ReadonlySet<string> = new Set([
  'raft3d_operator_reconcile_total',
  'raft3d_operator_reconcile_duration_seconds',
  'raft3d_operator_membership_changes_total',
  'raft3d_operator_blocked',
  'raft3d_operator_desired_replicas',
  'raft3d_operator_observed_voters',
  'raft3d_operator_informer_restarts_total',
]);

const HISTOGRAMS = ['raft_wal_fsync_duration_seconds', 'raft_snapshot_duration_seconds', 'http_request_duration_seconds'];

const PROMQL_WORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset',
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group',
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'changes', 'resets', 'abs', 'absent', 'absent_over_time',
  'histogram_quantile', 'label_replace', 'label_join', 'clamp_min', 'clamp_max', 'vector', 'scalar', 'time',
  'max_over_time', 'min_over_time', 'avg_over_time', 'sum_over_time', 'count_over_time', 'last_over_time',
  'le', 'label_values',
]);

/**
 * Metric names in a PromQL expression: identifiers that are not functions, keywords,
 * label names (inside {} or after by/without) or strings. Histogram series suffixes
 * (_bucket, _sum, _count) are reduced to the histogram's name.
 */
export function metricNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const withoutMatchers = withoutStrings.replace(/\{[^}]*\}/g, '{}');
  const withoutGrouping = withoutMatchers.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const withoutRanges = withoutGrouping.replace(/\[[^\]]*\]/g, '[]');
  const names = new Set<string>();
  for (const m of withoutRanges.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = m[0];
    if (PROMQL_WORDS.has(word) || /^\d/.test(word)) continue;
    // A function call: an identifier directly followed by "(".
    if (withoutRanges.slice(m.index + word.length).trimStart().startsWith('(') && !NODE_METRICS.has(word)) continue;
    const base = HISTOGRAMS.find((h) => word === `${h}_bucket` || word === `${h}_sum` || word === `${h}_count`);
    names.add(base ?? word);
  }
  return [...names].sort();
}
