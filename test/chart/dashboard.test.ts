// The Grafana dashboard and the alert rules use only metrics a node exposes, scoped to
// one cluster, and show what the issue asks for.
import { describe, test, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { at, chartDir, only, renderChart } from '../support/helm.js';
import { NODE_METRICS, OPERATOR_METRICS, metricNames } from '../support/metric-names.js';

interface Panel {
  id: number;
  title: string;
  type: string;
  datasource: { uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { expr: string; refId: string }[];
}

const dashboard = JSON.parse(readFileSync(join(chartDir, 'files', 'dashboard.json'), 'utf8')) as { panels: Panel[]; templating: { list: { name: string }[] } };
const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));

describe('Grafana dashboard', () => {
  test('shows leader, term, commit/applied index, proposal rate and latency, fsync latency and member lag', () => {
    const byTitle = (re: RegExp): Panel => {
      const found = dashboard.panels.filter((p) => re.test(p.title));
      expect(found.length).toBeGreaterThanOrEqual(1);
      return found[0]!;
    };
    const uses = (panel: Panel, metric: string): void => expect(panel.targets.flatMap((t) => metricNames(t.expr))).toContain(metric);
    uses(byTitle(/^Leader$/), 'raft_is_leader');
    uses(byTitle(/^Term$/), 'raft_term');
    uses(byTitle(/Commit and applied/), 'raft_commit_index');
    uses(byTitle(/Commit and applied/), 'raft_applied_index');
    uses(byTitle(/^Proposals$/), 'raft_proposals_committed_total');
    uses(byTitle(/Write latency/), 'http_request_duration_seconds');
    uses(byTitle(/fsync/), 'raft_wal_fsync_duration_seconds');
    uses(byTitle(/lag/i), 'raft_peer_lag_entries');
  });

  test('every query uses known metrics and is scoped to the selected namespace and cluster', () => {
    expect(exprs.length).toBeGreaterThanOrEqual(12);
    for (const expr of exprs) {
      for (const name of metricNames(expr)) expect({ expr, name, known: NODE_METRICS.has(name) }).toEqual({ expr, name, known: true });
      for (const selector of expr.match(/\{[^}]*\}/g) ?? []) expect(selector).toContain('namespace="$namespace", raft3d_cluster="$cluster"');
    }
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'namespace', 'cluster']);
  });

  test('panels have unique ids, a Prometheus data source variable and do not overlap', () => {
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      expect(p.datasource.uid).toBe('${datasource}');
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });
});

describe('alert rules', () => {
  test('use only metrics a node or the operator exposes (plus Prometheus\' up)', () => {
    const rule = only(renderChart({ set: { 'monitoring.force': true } }), 'PrometheusRule');
    for (const r of at(rule, 'spec', 'groups', 0, 'rules') as { alert: string; expr: string }[]) {
      const names = metricNames(r.expr);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect({ alert: r.alert, name, known: NODE_METRICS.has(name) || OPERATOR_METRICS.has(name) || name === 'up' }).toEqual({ alert: r.alert, name, known: true });
    }
  });
});

describe('metricNames (it must be able to fail)', () => {
  test('finds metric names, skips functions, labels, grouping and strings', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (pod, le) (rate(raft_wal_fsync_duration_seconds_bucket{namespace="x", route=~"/api/v1/.*"}[5m])))')).toEqual(['raft_wal_fsync_duration_seconds']);
    expect(metricNames('max by (namespace) (raft_failure_tolerance{a="b"}) == 0 and max(raft_members{role="voter"}) >= 3')).toEqual(['raft_failure_tolerance', 'raft_members']);
    expect(metricNames('rate(raft_bogus_total[1m])')).toEqual(['raft_bogus_total']);
  });
});
