// The cluster in a box: the fake API server, the controllers, one kubelet whose
// pods are real processes in their own network namespaces, cluster DNS through
// hosts files, and the Ingress stand-in, all started and stopped together.
// kubectl and helm talk to it through a kubeconfig; pods through the same one
// (standing in for the service-account mount).
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { at, type Obj } from './api/json.js';
import { FakeApiServer } from './api/server.js';
import { nowTimestamp, Store } from './api/store.js';
import { DeploymentController } from './controllers/deployment.js';
import { EndpointsController } from './controllers/endpoints.js';
import { GarbageCollector } from './controllers/garbage-collector.js';
import { StatefulSetController } from './controllers/statefulset.js';
import { VolumeController } from './controllers/volumes.js';
import type { SyncLoop } from './controllers/sync-loop.js';
import { IngressProxy } from './ingress.js';
import { Kubelet } from './kubelet/kubelet.js';
import type { ImageSpec } from './kubelet/pod-worker.js';
import { ClusterDns } from './net/cluster-dns.js';
import { BoxNetwork } from './net/network.js';
import { MONITORING_CRDS } from './monitoring-crds.js';
import { helmBinary, kubectlBinary } from '../../../scripts/k8s-tools.mjs';

export interface BoxOptions {
  /** Repository root: the "image" the pods run (dist/ must be built). */
  readonly repoRoot: string;
  /** Image name → what runs; null = the image cannot be pulled. */
  readonly images?: (image: string) => ImageSpec | null;
  readonly dnsPublishDelayMs?: number;
  readonly watchTimeoutMs?: number;
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number; readonly resetAfterMs: number };
  /** Serve the Prometheus Operator's CRDs, so that the chart renders its PodMonitor and PrometheusRule. */
  readonly monitoringCrds?: boolean;
  readonly keepDir?: boolean;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(file: string, args: readonly string[], env: Record<string, string | undefined>, timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : -1;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

export const CLUSTER_DOMAIN = 'cluster.local';

export class Box {
  readonly store = new Store();
  readonly network = new BoxNetwork();
  readonly dir: string;
  /** Listens on the bridge's address, which the network picks at start. */
  api!: FakeApiServer;
  readonly dns: ClusterDns;
  ingress!: IngressProxy;
  readonly volumes: VolumeController;
  readonly kubelet: Kubelet;
  readonly kubeconfig: string;
  private readonly loops: SyncLoop[];
  private started = false;

  constructor(private readonly opts: BoxOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'raft3d-box-'));
    this.dns = new ClusterDns(this.store, { domain: CLUSTER_DOMAIN, publishDelayMs: opts.dnsPublishDelayMs ?? 0 });
    this.volumes = new VolumeController(this.store, join(this.dir, 'volumes'));
    this.kubeconfig = join(this.dir, 'kubeconfig');
    const images = opts.images ?? ((image: string) => (image.split(':')[0] === 'raft3d' ? { cwd: opts.repoRoot, command: ['node', 'dist/main.js'] } : null));
    this.kubelet = new Kubelet({
      store: this.store,
      network: this.network,
      dns: this.dns,
      nodeName: 'box-node',
      podsDir: join(this.dir, 'pods'),
      logsDir: join(this.dir, 'logs'),
      volumePath: (v) => this.volumes.path(v),
      image: images,
      podKubeconfig: this.kubeconfig,
      clusterDomain: CLUSTER_DOMAIN,
      backoff: opts.backoff ?? { baseMs: 2000, maxMs: 20_000, resetAfterMs: 60_000 },
      baseEnv: { PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin', HOME: this.dir, LANG: 'C.UTF-8' },
      event: (pod, type, reason, message) => this.event(pod, type, reason, message, 'kubelet'),
    });
    this.loops = [new StatefulSetController(this.store).loop, new DeploymentController(this.store).loop, new EndpointsController(this.store).loop, this.volumes.loop, new GarbageCollector(this.store).loop];
  }

  async start(): Promise<void> {
    if (!(await BoxNetwork.available())) throw new Error('network namespaces are not available (root and iproute2 are needed)');
    await this.network.start();
    this.api = new FakeApiServer(this.store, { host: this.network.hostIp, watchTimeoutMs: this.opts.watchTimeoutMs ?? 60_000 });
    this.ingress = new IngressProxy(this.store, this.network.hostIp);
    await this.api.start();
    this.started = true;
    writeFileSync(
      this.kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: box\n  cluster:\n    server: ${this.api.url}\n    insecure-skip-tls-verify: true`,
        'users:',
        '- name: box\n  user:\n    token: cluster-in-a-box',
        'contexts:',
        '- name: box\n  context:\n    cluster: box\n    user: box\n    namespace: default',
        'current-context: box',
        '',
      ].join('\n'),
    );
    const ns = this.store.typeFor('', 'v1', 'namespaces')!;
    for (const name of ['default', 'kube-system']) this.store.create(ns, '', { metadata: { name } });
    if (this.opts.monitoringCrds === true) {
      const crds = this.store.typeFor('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
      for (const crd of MONITORING_CRDS) this.store.create(crds, '', crd);
    }
    this.dns.start();
    for (const l of this.loops) l.start();
    this.kubelet.start();
    await this.ingress.start();
  }

  async stop(): Promise<void> {
    if (!this.started) {
      rmSync(this.dir, { recursive: true, force: true });
      return;
    }
    this.started = false;
    await this.kubelet.stop(0);
    for (const l of this.loops) l.stop();
    this.dns.stop();
    await this.ingress.stop();
    await this.api.stop();
    await this.network.stop();
    if (this.opts.keepDir !== true) rmSync(this.dir, { recursive: true, force: true });
  }

  kubectl(args: readonly string[], timeoutMs = 60_000): Promise<RunResult> {
    return run(kubectlBinary(), args, { KUBECONFIG: this.kubeconfig }, timeoutMs);
  }

  helm(args: readonly string[], timeoutMs = 120_000): Promise<RunResult> {
    return run(helmBinary(), args, { KUBECONFIG: this.kubeconfig, HELM_CONFIG_HOME: join(this.dir, 'helm'), HELM_CACHE_HOME: join(this.dir, 'helm'), HELM_DATA_HOME: join(this.dir, 'helm') }, timeoutMs);
  }

  /** A typed read of one object (null when absent). */
  get(apiVersion: string, kind: string, namespace: string, name: string): Obj | null {
    return this.store.tryGet(this.store.mustType(apiVersion, kind), namespace, name);
  }

  list(apiVersion: string, kind: string, namespace: string | null, label: (o: Obj) => boolean = () => true): Obj[] {
    return this.store.list(this.store.mustType(apiVersion, kind), namespace, label).items;
  }

  /** The last `bytes` of every log file of a pod (all its incarnations), oldest first. */
  podLogs(namespace: string, pod: string, bytes = 4000): string {
    const dir = join(this.dir, 'logs');
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => f.startsWith(`${namespace}_${pod}_`));
    } catch {
      return '';
    }
    return files.map((f) => `--- ${f}\n${readFileSync(join(dir, f), 'utf8').slice(-bytes)}`).join('\n');
  }

  event(involved: Obj, type: 'Normal' | 'Warning', reason: string, message: string, component: string): void {
    const events = this.store.typeFor('', 'v1', 'events')!;
    const ns = String(at(involved, 'metadata', 'namespace') ?? 'default');
    try {
      this.store.create(events, ns, {
        metadata: { generateName: `${String(at(involved, 'metadata', 'name'))}.` },
        involvedObject: { kind: involved['kind'], namespace: ns, name: at(involved, 'metadata', 'name'), uid: at(involved, 'metadata', 'uid'), apiVersion: involved['apiVersion'] },
        type,
        reason,
        message,
        source: { component },
        firstTimestamp: nowTimestamp(),
        lastTimestamp: nowTimestamp(),
        count: 1,
      });
    } catch {
      // The namespace went away.
    }
  }
}

