// A real Prometheus (Debian's package) as the Prometheus Operator would run it:
// its configuration generated from the PodMonitor / ServiceMonitor objects in the
// API server (the operator's standard relabelings plus the monitor's own), and its
// rule files from the PrometheusRule objects. Debian builds Prometheus without
// Kubernetes service discovery, so the box plays that part: it writes file_sd
// target files carrying the same __meta_kubernetes_* labels that discovery would,
// from the pods and Endpoints in the API server, and rewrites them on every change.
// Scenarios query targets, series and alerts through its HTTP API.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeFileSync } from 'node:fs';
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

export interface DiscoveryJob {
  readonly job: string;
  readonly role: 'pod' | 'endpoints';
  readonly namespaces: readonly string[];
}

/** Where a job's discovered targets go; the box's service discovery fills the file. */
export type TargetFile = (d: DiscoveryJob) => string;

function sd(file: TargetFile, job: string, role: 'pod' | 'endpoints', monitor: Obj): Obj[] {
  return [{ files: [file({ job, role, namespaces: namespacesOf(monitor) })], refresh_interval: '5s' }];
}

export function podMonitorJobs(pm: Obj, file: TargetFile): Obj[] {
  const ns = str(at(pm, 'metadata', 'namespace')) ?? '';
  const name = str(at(pm, 'metadata', 'name')) ?? '';
  return arr(at(pm, 'spec', 'podMetricsEndpoints'))
    .filter(isObj)
    .map((ep, i) => ({
      job_name: `podMonitor/${ns}/${name}/${i}`,
      honor_labels: false,
      file_sd_configs: sd(file, `podMonitor/${ns}/${name}/${i}`, 'pod', pm),
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

export function serviceMonitorJobs(sm: Obj, file: TargetFile): Obj[] {
  const ns = str(at(sm, 'metadata', 'namespace')) ?? '';
  const name = str(at(sm, 'metadata', 'name')) ?? '';
  return arr(at(sm, 'spec', 'endpoints'))
    .filter(isObj)
    .map((ep, i) => ({
      job_name: `serviceMonitor/${ns}/${name}/${i}`,
      honor_labels: ep['honorLabels'] === true,
      file_sd_configs: sd(file, `serviceMonitor/${ns}/${name}/${i}`, 'endpoints', sm),
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

function labelMeta(prefix: string, o: Obj): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kind of ['label', 'annotation'] as const) {
    const values = at(o, 'metadata', `${kind}s`);
    for (const [k, v] of Object.entries(isObj(values) ? values : {})) {
      out[`${prefix}_${kind}_${sanitize(k)}`] = String(v);
      out[`${prefix}_${kind}present_${sanitize(k)}`] = 'true';
    }
  }
  return out;
}

function podMeta(pod: Obj): Record<string, string> {
  const owner = arr(at(pod, 'metadata', 'ownerReferences')).filter(isObj).find((r) => r['controller'] === true);
  const ready = arr(at(pod, 'status', 'conditions')).some((c) => isObj(c) && c['type'] === 'Ready' && c['status'] === 'True');
  return {
    __meta_kubernetes_namespace: str(at(pod, 'metadata', 'namespace')) ?? '',
    __meta_kubernetes_pod_name: str(at(pod, 'metadata', 'name')) ?? '',
    __meta_kubernetes_pod_uid: str(at(pod, 'metadata', 'uid')) ?? '',
    __meta_kubernetes_pod_ip: str(at(pod, 'status', 'podIP')) ?? '',
    __meta_kubernetes_pod_host_ip: str(at(pod, 'status', 'hostIP')) ?? '',
    __meta_kubernetes_pod_node_name: str(at(pod, 'spec', 'nodeName')) ?? '',
    __meta_kubernetes_pod_phase: str(at(pod, 'status', 'phase')) ?? '',
    __meta_kubernetes_pod_ready: String(ready),
    ...(owner !== undefined ? { __meta_kubernetes_pod_controller_kind: String(owner['kind']), __meta_kubernetes_pod_controller_name: String(owner['name']) } : {}),
    ...labelMeta('__meta_kubernetes_pod', pod),
  };
}

/** What Kubernetes discovery's `pod` role yields: one target per container port of every pod with an IP. */
export function podTargets(box: Box, namespaces: readonly string[]): Obj[] {
  const groups: Obj[] = [];
  for (const ns of namespaces) {
    for (const pod of box.list('v1', 'Pod', ns)) {
      const ip = str(at(pod, 'status', 'podIP'));
      if (ip === undefined) continue;
      for (const c of arr(at(pod, 'spec', 'containers')).filter(isObj)) {
        for (const port of arr(c['ports']).filter(isObj)) {
          groups.push({
            targets: [`${ip}:${String(port['containerPort'])}`],
            labels: {
              ...podMeta(pod),
              __meta_kubernetes_pod_container_name: String(c['name']),
              __meta_kubernetes_pod_container_image: String(c['image'] ?? ''),
              __meta_kubernetes_pod_container_port_name: String(port['name'] ?? ''),
              __meta_kubernetes_pod_container_port_number: String(port['containerPort']),
              __meta_kubernetes_pod_container_port_protocol: String(port['protocol'] ?? 'TCP'),
            },
          });
        }
      }
    }
  }
  return groups;
}

/** What Kubernetes discovery's `endpoints` role yields: one target per address and port of every Endpoints. */
export function endpointsTargets(box: Box, namespaces: readonly string[]): Obj[] {
  const groups: Obj[] = [];
  for (const ns of namespaces) {
    for (const ep of box.list('v1', 'Endpoints', ns)) {
      const name = str(at(ep, 'metadata', 'name')) ?? '';
      const svc = box.get('v1', 'Service', ns, name);
      for (const subset of arr(ep['subsets']).filter(isObj)) {
        const addresses = [...arr(subset['addresses']).map((a) => [a, true] as const), ...arr(subset['notReadyAddresses']).map((a) => [a, false] as const)];
        for (const [address, ready] of addresses) {
          if (!isObj(address)) continue;
          const podName = str(at(address, 'targetRef', 'name'));
          const pod = podName === undefined ? null : box.get('v1', 'Pod', ns, podName);
          for (const port of arr(subset['ports']).filter(isObj)) {
            groups.push({
              targets: [`${String(address['ip'])}:${String(port['port'])}`],
              labels: {
                ...(pod !== null ? podMeta(pod) : {}),
                __meta_kubernetes_namespace: ns,
                __meta_kubernetes_endpoints_name: name,
                __meta_kubernetes_service_name: name,
                ...(svc !== null ? labelMeta('__meta_kubernetes_service', svc) : {}),
                __meta_kubernetes_endpoint_port_name: String(port['name'] ?? ''),
                __meta_kubernetes_endpoint_port_protocol: String(port['protocol'] ?? 'TCP'),
                __meta_kubernetes_endpoint_ready: String(ready),
                ...(podName !== undefined ? { __meta_kubernetes_endpoint_address_target_kind: 'Pod', __meta_kubernetes_endpoint_address_target_name: podName } : {}),
              },
            });
          }
        }
      }
    }
  }
  return groups;
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
  private discovery: DiscoveryJob[] = [];
  private unwatch: (() => void)[] = [];
  private pending: NodeJS.Timeout | null = null;
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
    this.discovery = [];
    const file: TargetFile = (d) => {
      this.discovery.push(d);
      return join(this.dir, `targets-${this.discovery.length}.json`);
    };
    const jobs = [
      ...this.box.list('monitoring.coreos.com/v1', 'PodMonitor', null).flatMap((pm) => podMonitorJobs(pm, file)),
      ...this.box.list('monitoring.coreos.com/v1', 'ServiceMonitor', null).flatMap((sm) => serviceMonitorJobs(sm, file)),
    ];
    this.writeTargets();
    const groups = this.box.list('monitoring.coreos.com/v1', 'PrometheusRule', null).flatMap((r) => arr(at(r, 'spec', 'groups')));
    writeFileSync(join(this.dir, 'rules.yml'), stringify({ groups }));
    writeFileSync(
      join(this.dir, 'prometheus.yml'),
      stringify({ global: { scrape_interval: '15s', evaluation_interval: this.evaluationInterval }, rule_files: [join(this.dir, 'rules.yml')], scrape_configs: jobs }),
    );
    return { jobs: jobs.length, rules: groups.reduce((n: number, g) => n + arr(at(g, 'rules')).length, 0) };
  }

  /** Rewrites every target file from the pods and Endpoints now in the API server. */
  writeTargets(): void {
    this.discovery.forEach((d, i) => {
      const groups = d.role === 'pod' ? podTargets(this.box, d.namespaces) : endpointsTargets(this.box, d.namespaces);
      const path = join(this.dir, `targets-${i + 1}.json`);
      // Renamed into place: Prometheus never reads a half-written file.
      writeFileSync(`${path}.tmp`, JSON.stringify(groups));
      renameSync(`${path}.tmp`, path);
    });
  }

  async start(): Promise<void> {
    this.configure();
    const kick = (): void => {
      if (this.pending !== null) return;
      this.pending = setTimeout(() => {
        this.pending = null;
        this.writeTargets();
      }, 50);
    };
    const store = this.box.store;
    const rv = store.resourceVersion;
    for (const t of [store.typeFor('', 'v1', 'pods')!, store.typeFor('', 'v1', 'endpoints')!]) this.unwatch.push(store.watch(t, null, rv, () => true, () => true, kick));
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
    for (const u of this.unwatch) u();
    this.unwatch = [];
    if (this.pending !== null) clearTimeout(this.pending);
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
