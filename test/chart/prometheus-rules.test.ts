// The PrometheusRule's expressions checked and unit-tested with promtool (Debian's
// `prometheus` package; .ci/run installs it). Missing promtool fails under CI=true and
// skips with a printed reason elsewhere.
import { describe, test, expect } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { findOnPath } from '../../scripts/k8s-tools.mjs';
import { at, only, renderChart } from '../support/helm.js';

const promtool = findOnPath('promtool');
const ci = process.env['CI'] === 'true';

function available(): boolean {
  if (promtool) return true;
  if (ci) throw new Error('promtool is missing: .ci/run installs Debian\'s prometheus package, which provides it');
  console.warn('SKIPPED promtool checks: promtool is not on PATH (apt-get install -y prometheus provides it)');
  return false;
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const groups = at(only(renderChart({ set: { 'monitoring.force': true } }), 'PrometheusRule'), 'spec', 'groups') as { name: string; rules: Rule[] }[];

function promtoolRun(args: string[], cwd: string): { code: number; output: string } {
  try {
    return { code: 0, output: execFileSync(promtool!, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 }) };
  } catch (error) {
    const e = error as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

function inTempDir<T>(files: Record<string, unknown>, run: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'raft3d-rules-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), typeof content === 'string' ? content : stringify(content));
    return run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const series = (metric: string, labels: Record<string, string>, values: string): { series: string; values: string } => ({
  series: `${metric}{${Object.entries({ namespace: 'raft3d', raft3d_cluster: 'demo', ...labels }).map(([k, v]) => `${k}="${v}"`).join(', ')}}`,
  values,
});
const cluster = { namespace: 'raft3d', raft3d_cluster: 'demo' };

// Alert unit tests. Annotations are stripped from the copy under test (promtool would
// otherwise compare their rendered text); `check rules` validates their templates.
const UNIT_TESTS = [
  {
    interval: '1m',
    input_series: [
      series('raft_has_leader', { pod: 'demo-0' }, '1 1 0x10'),
      series('raft_has_leader', { pod: 'demo-1' }, '1 1 0x10'),
      series('raft_has_leader', { namespace: 'other' , pod: 'demo-0' }, '0x12'),
    ],
    alert_rule_test: [
      { eval_time: '2m', alertname: 'Raft3DNoLeader', exp_alerts: [] },
      { eval_time: '5m', alertname: 'Raft3DNoLeader', exp_alerts: [{ exp_labels: { severity: 'critical', ...cluster } }] },
    ],
  },
  {
    interval: '1m',
    input_series: [series('raft_is_leader', { pod: 'demo-0' }, '1x10'), series('raft_is_leader', { pod: 'demo-1' }, '0 0 1x8')],
    alert_rule_test: [
      { eval_time: '2m', alertname: 'Raft3DMultipleLeaders', exp_alerts: [] },
      { eval_time: '5m', alertname: 'Raft3DMultipleLeaders', exp_alerts: [{ exp_labels: { severity: 'critical', ...cluster } }] },
    ],
  },
  {
    interval: '1m',
    input_series: [series('raft_leader_changes_seen_total', { pod: 'demo-0' }, '0+1x20'), series('raft_leader_changes_seen_total', { pod: 'demo-1' }, '0x20')],
    alert_rule_test: [
      { eval_time: '2m', alertname: 'Raft3DLeaderFlapping', exp_alerts: [] },
      { eval_time: '10m', alertname: 'Raft3DLeaderFlapping', exp_alerts: [{ exp_labels: { severity: 'warning', ...cluster } }] },
    ],
  },
  {
    interval: '1m',
    input_series: [
      series('raft_failure_tolerance', { pod: 'demo-0' }, '1 1 0x10'),
      series('raft_failure_tolerance', { pod: 'demo-1' }, '0x12'),
      series('raft_members', { pod: 'demo-0', role: 'voter' }, '3x12'),
      // A one-voter cluster never tolerates a failure: no alert for it.
      series('raft_failure_tolerance', { raft3d_cluster: 'single', pod: 'single-0' }, '0x12'),
      series('raft_members', { raft3d_cluster: 'single', pod: 'single-0', role: 'voter' }, '1x12'),
    ],
    alert_rule_test: [
      { eval_time: '5m', alertname: 'Raft3DFailureToleranceZero', exp_alerts: [] },
      { eval_time: '8m', alertname: 'Raft3DFailureToleranceZero', exp_alerts: [{ exp_labels: { severity: 'warning', ...cluster } }] },
    ],
  },
  {
    interval: '1m',
    input_series: [series('raft_proposals_failed_total', { pod: 'demo-0' }, '0x5 1+2x10')],
    alert_rule_test: [
      { eval_time: '5m', alertname: 'Raft3DProposalsFailing', exp_alerts: [] },
      { eval_time: '14m', alertname: 'Raft3DProposalsFailing', exp_alerts: [{ exp_labels: { severity: 'warning', ...cluster } }] },
    ],
  },
  {
    interval: '1m',
    input_series: [series('raft_peer_lag_entries', { pod: 'demo-0', peer: 'demo-2' }, '0 5000x10'), series('raft_peer_lag_entries', { pod: 'demo-0', peer: 'demo-1' }, '3x11')],
    alert_rule_test: [
      { eval_time: '3m', alertname: 'Raft3DMemberLagging', exp_alerts: [] },
      { eval_time: '8m', alertname: 'Raft3DMemberLagging', exp_alerts: [{ exp_labels: { severity: 'warning', ...cluster, peer: 'demo-2' } }] },
    ],
  },
  {
    interval: '1m',
    input_series: [
      series('raft_wal_fsync_duration_seconds_bucket', { pod: 'demo-0', le: '0.01' }, '0+10x20'),
      series('raft_wal_fsync_duration_seconds_bucket', { pod: 'demo-0', le: '0.5' }, '0+100x20'),
      series('raft_wal_fsync_duration_seconds_bucket', { pod: 'demo-0', le: '+Inf' }, '0+100x20'),
    ],
    alert_rule_test: [{ eval_time: '18m', alertname: 'Raft3DSlowFsync', exp_alerts: [{ exp_labels: { severity: 'warning', ...cluster, pod: 'demo-0' } }] }],
  },
  {
    interval: '1m',
    input_series: [
      series('raft3d_operator_blocked', { reason: 'WouldLoseQuorum' }, '0 1x15'),
      series('raft3d_operator_blocked', { reason: 'NoLeader' }, '0x16'),
    ],
    alert_rule_test: [
      { eval_time: '5m', alertname: 'Raft3DOperatorBlocked', exp_alerts: [] },
      { eval_time: '12m', alertname: 'Raft3DOperatorBlocked', exp_alerts: [{ exp_labels: { severity: 'warning', ...cluster, reason: 'WouldLoseQuorum' } }] },
    ],
  },
];

describe('PrometheusRule', () => {
  test('promtool check rules accepts every expression and annotation template', () => {
    if (!available()) return;
    const result = inTempDir({ 'rules.yaml': { groups } }, (dir) => promtoolRun(['check', 'rules', 'rules.yaml'], dir));
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(result.code).toBe(0);
  });

  test('promtool check rules rejects a broken expression (the check can fail)', () => {
    if (!available()) return;
    const broken = [{ name: 'x', rules: [{ alert: 'Broken', expr: 'max by (namespace (raft_has_leader) == 0' }] }];
    const result = inTempDir({ 'rules.yaml': { groups: broken } }, (dir) => promtoolRun(['check', 'rules', 'rules.yaml'], dir));
    expect(result.code).not.toBe(0);
  });

  test('promtool test rules: each alert fires when it should, for this cluster only', () => {
    if (!available()) return;
    const bare = groups.map((g) => ({ name: g.name, rules: g.rules.map(({ annotations: _a, ...rest }) => rest) }));
    const tests = { rule_files: ['rules.yaml'], evaluation_interval: '1m', tests: UNIT_TESTS };
    const result = inTempDir({ 'rules.yaml': { groups: bare }, 'tests.yaml': tests }, (dir) => promtoolRun(['test', 'rules', 'tests.yaml'], dir));
    expect(result.output).toMatch(/SUCCESS/);
    expect(result.code).toBe(0);
    expect(UNIT_TESTS.flatMap((t) => t.alert_rule_test.map((a) => a.alertname))).toEqual(expect.arrayContaining(groups[0]!.rules.map((r) => r.alert).filter((a) => a !== 'Raft3DMemberDown')));
  });
});
