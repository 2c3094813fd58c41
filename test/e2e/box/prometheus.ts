// A real Prometheus (Debian's package) as the Prometheus Operator would run it:
// its configuration generated from the PodMonitor / ServiceMonitor objects in the
// API server (Kubernetes service discovery against the fake API server, the
// operator's standard relabelings plus the monitor's own), and its rule files
// from the PrometheusRule objects. Scenarios query targets, series and alerts
// through its HTTP API.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { arr, at, isObj, str, type Obj } from './api/json.js';
import type { Box } from './box.js';

export const PROMETHEUS_BINARY = '/usr/bin/prometheus';

export function prometheusAvailable(): boolean {
  return existsSync(PROMETHEUS_BINARY);
}

function sanitize(label: string): string {
  return label.replace(/[^a-zA-Z0-9_]/g, '_');
}

function userRelabelings(list: unknown): Obj[] {
  return arr(list)
    .filter(isObj)
    .map((r) => ({
      ...(r['sourceLabels'] !== undefined ? { source_labels: r['sourceLabels'] } : {}),
      ...(r['targetLabel'] !== undefined ? { target_label: r['targetLabel'] } : {}),
      ...(r['regex'] !== undefined ? { regex: r['regex'] } : {}),
      ...(r['replacement'] !== undefined ? { replacement: r['replacement'] } : {}),
      ...(r['separator'] !== undefined ? { separator: r['separator'] } : {}),
      ...(r['action'] !== undefined ? { action: String(r['action']).toLowerCase() } : {}),
    }));
}

function selectorKeeps(selector: unknown, role: 'pod' | 'service'): Obj[] {
  const ml = at(selector, 'matchLabels');
  return Object.entries(isObj(ml) ? ml : {}).map(([k, v]) => ({
    action: 'keep',
    source_labels: [`__meta_kubernetes_${role}_label_${sanitize(k)}`, `__meta_kubernetes_${role}_labelpresent_${sanitize(k)}`],
    regex: `(${String(v)});true`,
  }));
}

function namespacesOf(monitor: Obj): string[] {
  const names = arr(at(monitor, 'spec', 'namespaceSelector', 'matchNames')).map(String);
  return names.length > 0 ? names : [str(at(monitor, 'metadata', 'namespace')) ?? 'default'];
}

function sd(apiUrl: string, role: string, monitor: Obj): Obj[] {
  return [{ role, api_server: apiUrl, tls_config: { insecure_skip_verify: true }, namespaces: { names: namespacesOf(monitor) } }];
}

export function podMonitorJobs(pm: Obj, apiUrl: string): Obj[] {
  const ns = str(at(pm, 'metadata', 'namespace')) ?? '';
  const name = str(at(pm, 'metadata', 'name')) ?? '';
  return arr(at(pm, 'spec', 'podMetricsEndpoints'))
    .filter(isObj)
    .map((ep, i) => ({
      job_name: `podMonitor/${ns}/${name}/${i}`,
      honor_labels: false,
      kubernetes_sd_configs: sd(apiUrl, 'pod', pm),
      ...(ep['interval'] !== undefined ? { scrape_interval: ep['interval'] } : {}),
      ...(ep['scrapeTimeout'] !== undefined ? { scrape_timeout: ep['scrapeTimeout'] } : {}),
      metrics_path: ep['path'] ?? '/metrics',
      relabel_configs: [
        { source_labels: ['job'], target_label: '__tmp_prometheus_job_name' },
        { action: 'drop', source_labels: ['__meta_kubernetes_pod_phase'], regex: '(Failed|Succeeded)' },
        ...selectorKeeps(at(pm, 'spec', 'selector'), 'pod'),
        { action: 'keep', source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: String(ep['port'] ?? '') },
        { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
        { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
        { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
        { target_label: 'job', replacement: `${ns}/${name}` },
        { target_label: 'endpoint', replacement: String(ep['port'] ?? '') },
        ...userRelabelings(ep['relabelings']),
      ],
    }));
}

export function serviceMonitorJobs(sm: Obj, apiUrl: string): Obj[] {
  const ns = str(at(sm, 'metadata', 'namespace')) ?? '';
  const name = str(at(sm, 'metadata', 'name')) ?? '';
  return arr(at(sm, 'spec', 'endpoints'))
    .filter(isObj)
    .map((ep, i) => ({
      job_name: `serviceMonitor/${ns}/${name}/${i}`,
      honor_labels: ep['honorLabels'] === true,
      kubernetes_sd_configs: sd(apiUrl, 'endpoints', sm),
      ...(ep['interval'] !== undefined ? { scrape_interval: ep['interval'] } : {}),
      ...(ep['scrapeTimeout'] !== undefined ? { scrape_timeout: ep['scrapeTimeout'] } : {}),
      metrics_path: ep['path'] ?? '/metrics',
      relabel_configs: [
        { source_labels: ['job'], target_label: '__tmp_prometheus_job_name' },
        ...selectorKeeps(at(sm, 'spec', 'selector'), 'service'),
        { action: 'keep', source_labels: ['__meta_kubernetes_endpoint_port_name'], regex: String(ep['port'] ?? '') },
        { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
        { source_labels: ['__meta_kubernetes_service_name'], target_label: 'service' },
        { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
        { source_labels: ['__meta_kubernetes_service_name'], target_label: 'job' },
        { target_label: 'endpoint', replacement: String(ep['port'] ?? '') },
        ...userRelabelings(ep['relabelings']),
      ],
    }));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export class PrometheusRunner {
  private proc: ChildProcess | null = null;
  private port = 0;
  readonly dir: string;

  constructor(
    private readonly box: Box,
    private readonly evaluationInterval = '5s',
  ) {
    this.dir = join(box.dir, 'prometheus');
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Writes prometheus.yml and rules.yml from the monitoring objects now in the API server. */
  configure(): { jobs: number; rules: number } {
    mkdirSync(this.dir, { recursive: true });
    const apiUrl = this.box.api.url;
    const jobs = [
      ...this.box.list('monitoring.coreos.com/v1', 'PodMonitor', null).flatMap((pm) => podMonitorJobs(pm, apiUrl)),
      ...this.box.list('monitoring.coreos.com/v1', 'ServiceMonitor', null).flatMap((sm) => serviceMonitorJobs(sm, apiUrl)),
    ];
    const groups = this.box.list('monitoring.coreos.com/v1', 'PrometheusRule', null).flatMap((r) => arr(at(r, 'spec', 'groups')));
    writeFileSync(join(this.dir, 'rules.yml'), stringify({ groups }));
    writeFileSync(
      join(this.dir, 'prometheus.yml'),
      stringify({ global: { scrape_interval: '15s', evaluation_interval: this.evaluationInterval }, rule_files: [join(this.dir, 'rules.yml')], scrape_configs: jobs }),
    );
    return { jobs: jobs.length, rules: groups.reduce((n: number, g) => n + arr(at(g, 'rules')).length, 0) };
  }

  async start(): Promise<void> {
    this.configure();
    this.port = await freePort();
    const log = openSync(join(this.dir, 'prometheus.log'), 'a');
    try {
      this.proc = spawn(
        PROMETHEUS_BINARY,
        [`--config.file=${join(this.dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(this.dir, 'data')}`, `--web.listen-address=127.0.0.1:${this.port}`, '--log.level=warn'],
        { stdio: ['ignore', log, log] },
      );
    } finally {
      closeSync(log);
    }
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) return;
      } catch {
        // Not up yet.
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error('prometheus did not become ready within 30 s');
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (p === null || p.exitCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private async api(path: string): Promise<unknown> {
    const res = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(5000) });
    const body: unknown = await res.json();
    if (!isObj(body) || body['status'] !== 'success') throw new Error(`prometheus ${path}: ${JSON.stringify(body)}`);
    return body['data'];
  }

  /** Instant query → [{labels, value}]. */
  async query(expr: string): Promise<{ labels: Record<string, string>; value: number }[]> {
    const data = await this.api(`/api/v1/query?query=${encodeURIComponent(expr)}`);
    return arr(at(data, 'result'))
      .filter(isObj)
      .map((r) => ({ labels: (isObj(r['metric']) ? r['metric'] : {}) as Record<string, string>, value: Number(arr(r['value'])[1]) }));
  }

  async activeTargets(): Promise<{ job: string; pod: string; health: string; labels: Record<string, string> }[]> {
    const data = await this.api('/api/v1/targets?state=active');
    return arr(at(data, 'activeTargets'))
      .filter(isObj)
      .map((t) => {
        const labels = (isObj(t['labels']) ? t['labels'] : {}) as Record<string, string>;
        return { job: labels['job'] ?? '', pod: labels['pod'] ?? '', health: String(t['health']), labels };
      });
  }

  async alerts(): Promise<{ name: string; state: string; labels: Record<string, string> }[]> {
    const data = await this.api('/api/v1/alerts');
    return arr(at(data, 'alerts'))
      .filter(isObj)
      .map((a) => {
        const labels = (isObj(a['labels']) ? a['labels'] : {}) as Record<string, string>;
        return { name: labels['alertname'] ?? '', state: String(a['state']), labels };
      });
  }
}
