// One pod on the box's node, from sandbox to deletion: a network namespace with a
// fresh address, the first container as a real process inside it (environment,
// volumes and command from the pod spec), startup / liveness / readiness probes,
// restarts with CrashLoopBackOff, and termination as the kubelet does it:
// NotReady, preStop, SIGTERM, the grace period, SIGKILL, then the final delete.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { arr, at, clone, isObj, num, str, type Obj } from '../api/json.js';
import type { Store } from '../api/store.js';
import { nowTimestamp } from '../api/store.js';
import { BoxNetwork, type Sandbox } from '../net/network.js';
import type { ClusterDns } from '../net/cluster-dns.js';
import { ContainerConfigError, expand, resolveEnv } from './env.js';
import { ProbeLoop, probeSpec, runAction, type ProbeKind, type ProbeTarget } from './probe.js';

export interface ImageSpec {
  /** Working directory of the "container": where its files are. */
  readonly cwd: string;
  /** The image's default command (Dockerfile CMD), when the pod gives none. */
  readonly command: readonly string[];
}

export interface KubeletContext {
  readonly store: Store;
  readonly network: BoxNetwork;
  readonly dns: ClusterDns;
  readonly nodeName: string;
  readonly podsDir: string;
  readonly logsDir: string;
  /** Host directory of a bound PersistentVolume. */
  readonly volumePath: (volumeName: string) => string;
  readonly image: (image: string) => ImageSpec | null;
  /** Stands in for the service-account token mount: client libraries find the API server through it. */
  readonly podKubeconfig: string;
  readonly clusterDomain: string;
  readonly backoff: { readonly baseMs: number; readonly maxMs: number; readonly resetAfterMs: number };
  readonly baseEnv: Readonly<Record<string, string>>;
  readonly event: (pod: Obj, type: 'Normal' | 'Warning', reason: string, message: string) => void;
}

interface ContainerState {
  state: Obj;
  lastState: Obj;
  ready: boolean;
  started: boolean;
  restartCount: number;
  containerID: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class PodWorker {
  private sandbox: Sandbox | null = null;
  private proc: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private probes: ProbeLoop[] = [];
  private phase: 'Pending' | 'Running' = 'Pending';
  private readonly c: ContainerState = { state: { waiting: { reason: 'ContainerCreating' } }, lastState: {}, ready: false, started: false, restartCount: 0, containerID: '' };
  private termination: { graceMs: number; force: boolean } | null = null;
  private stopping: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private startedAtMs = 0;
  private backoffLevel = 0;
  private finished = false;
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly conditionTimes = new Map<string, { status: string; at: string }>();

  constructor(
    private readonly ctx: KubeletContext,
    readonly namespace: string,
    readonly name: string,
    readonly uid: string,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  get ip(): string | null {
    return this.sandbox?.ip ?? null;
  }

  get netns(): string | null {
    return this.sandbox?.netns ?? null;
  }

  get pid(): number | null {
    return this.proc?.pid ?? null;
  }

  start(): void {
    void this.lifecycle();
  }

  /** The pod object got a deletionTimestamp (graceMs from its grace period) or vanished (force). */
  terminate(graceMs: number, force: boolean): void {
    if (this.termination !== null && !(force && !this.termination.force)) return;
    this.termination = { graceMs, force };
    this.wake?.();
    this.stopping = this.stopContainer(graceMs, !force, force ? 'the pod was force-deleted' : 'the pod is being deleted');
  }

  /** Fault knob: SIGKILL the container process now (the kubelet restarts it, as after an OOM kill). */
  killContainer(): boolean {
    if (this.proc === null) return false;
    this.proc.kill('SIGKILL');
    return true;
  }

  private pod(): Obj | null {
    const o = this.ctx.store.tryGet(this.ctx.store.typeFor('', 'v1', 'pods')!, this.namespace, this.name);
    return o !== null && at(o, 'metadata', 'uid') === this.uid ? o : null;
  }

  private async lifecycle(): Promise<void> {
    try {
      const pod = this.pod();
      if (pod === null) return;
      const hostname = str(at(pod, 'spec', 'hostname')) ?? this.name;
      const subdomain = str(at(pod, 'spec', 'subdomain'));
      const fqdn = subdomain !== undefined ? `${hostname}.${subdomain}.${this.namespace}.svc.${this.ctx.clusterDomain}` : '';
      const domain = this.ctx.clusterDomain;
      this.sandbox = await this.ctx.network.create('', [`${this.namespace}.svc.${domain}`, `svc.${domain}`, domain]);
      const own = `${this.sandbox.ip}\t${fqdn !== '' ? `${fqdn} ` : ''}${hostname}`;
      writeFileSync(this.sandbox.hostsFile, this.ctx.dns.register(this.sandbox.netns, this.sandbox.hostsFile, own));
      this.publish();
      while (this.termination === null) {
        const started = await this.startContainer();
        if (!started) {
          await this.pause(2000);
          continue;
        }
        await this.exited;
        if (this.termination !== null) break;
        const ranMs = Date.now() - this.startedAtMs;
        // As the kubelet: a container that ran long enough starts its back-off over.
        if (ranMs >= this.ctx.backoff.resetAfterMs) this.backoffLevel = 0;
        const delay = Math.min(this.ctx.backoff.maxMs, this.ctx.backoff.baseMs * 2 ** Math.min(10, this.backoffLevel));
        this.backoffLevel++;
        this.c.restartCount++;
        this.c.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container` } };
        this.publish();
        this.event('Warning', 'BackOff', `Back-off ${Math.round(delay / 1000)}s restarting failed container`);
        await this.pause(delay);
      }
    } catch (error) {
      this.event('Warning', 'FailedSandbox', error instanceof Error ? error.message : String(error));
    } finally {
      await this.finish();
    }
  }

  /** Sleeps, but wakes up at once when the pod starts terminating. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async startContainer(): Promise<boolean> {
    const pod = this.pod();
    if (pod === null) {
      this.terminate(0, true);
      return false;
    }
    const container = arr(at(pod, 'spec', 'containers')).filter(isObj)[0];
    if (container === undefined) throw new Error('the pod has no container');
    const imageName = str(container['image']) ?? '';
    const image = this.ctx.image(imageName);
    if (image === null) {
      this.c.state = { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${imageName}"` } };
      this.publish();
      this.event('Warning', 'Failed', `Failed to pull image "${imageName}": not found in the box's image map`);
      return false;
    }
    let mounts: { mountPath: string; hostPath: string }[];
    let env: Record<string, string>;
    try {
      mounts = this.mounts(pod, container);
      env = resolveEnv(container, {
        pod,
        podIp: this.sandbox!.ip,
        hostIp: this.ctx.network.hostIp,
        mounts,
        configMap: (ns, n) => this.ctx.store.tryGet(this.ctx.store.typeFor('', 'v1', 'configmaps')!, ns, n),
        secret: (ns, n) => this.ctx.store.tryGet(this.ctx.store.typeFor('', 'v1', 'secrets')!, ns, n),
      });
    } catch (error) {
      const reason = error instanceof ContainerConfigError ? 'CreateContainerConfigError' : 'ContainerCreating';
      this.c.state = { waiting: { reason, message: error instanceof Error ? error.message : String(error) } };
      this.publish();
      return false;
    }
    const vars = new Map(Object.entries(env));
    const command = [...arr(container['command']).map(String), ...arr(container['args']).map(String)].map((s) => expand(s, vars));
    const argv = command.length > 0 ? command : [...image.command];
    const automount = at(pod, 'spec', 'automountServiceAccountToken') !== false;
    const fullEnv: Record<string, string> = { ...this.ctx.baseEnv, HOSTNAME: str(at(pod, 'spec', 'hostname')) ?? this.name, ...(automount ? { KUBECONFIG: this.ctx.podKubeconfig } : {}), ...env };
    mkdirSync(this.ctx.logsDir, { recursive: true });
    const logPath = join(this.ctx.logsDir, `${this.namespace}_${this.name}_${this.uid.slice(0, 8)}.log`);
    const fd = openSync(logPath, 'a');
    let proc: ChildProcess;
    try {
      proc = spawn(BoxNetwork.exec(this.sandbox!.netns, argv)[0]!, BoxNetwork.exec(this.sandbox!.netns, argv).slice(1), { cwd: image.cwd, env: fullEnv, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    this.proc = proc;
    this.exited = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        if (this.proc === proc) this.proc = null;
        this.stopProbes();
        const exitCode = code ?? 128 + signalNumber(signal);
        this.c.lastState = { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: nowTimestamp(this.startedAtMs), finishedAt: nowTimestamp(), containerID: this.c.containerID } };
        this.c.state = { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', finishedAt: nowTimestamp(), containerID: this.c.containerID } };
        this.c.ready = false;
        this.c.started = false;
        this.publish();
        resolve();
      });
    });
    proc.once('error', () => undefined);
    this.startedAtMs = Date.now();
    this.phase = 'Running';
    this.c.containerID = `box://${proc.pid ?? 0}`;
    this.c.state = { running: { startedAt: nowTimestamp(this.startedAtMs) } };
    this.c.ready = false;
    const startup = probeSpec('startup', container['startupProbe']);
    this.c.started = startup === null;
    this.publish();
    this.event('Normal', 'Started', `Started container ${String(container['name'])} (pid ${proc.pid ?? '?'}, ip ${this.sandbox!.ip})`);
    const target: ProbeTarget = { ip: this.sandbox!.ip, container, execPrefix: BoxNetwork.exec(this.sandbox!.netns, []) };
    const onVerdict = (kind: ProbeKind, ok: boolean): void => this.onProbe(kind, ok, container, target, proc);
    if (startup !== null) this.runProbe(new ProbeLoop(startup, target, onVerdict));
    else this.startMainProbes(container, target, proc);
    return true;
  }

  private runProbe(loop: ProbeLoop): void {
    this.probes.push(loop);
    loop.start();
  }

  private startMainProbes(container: Obj, target: ProbeTarget, proc: ChildProcess): void {
    const onVerdict = (kind: ProbeKind, ok: boolean): void => this.onProbe(kind, ok, container, target, proc);
    const liveness = probeSpec('liveness', container['livenessProbe']);
    const readiness = probeSpec('readiness', container['readinessProbe']);
    if (liveness !== null) this.runProbe(new ProbeLoop(liveness, target, onVerdict));
    if (readiness !== null) this.runProbe(new ProbeLoop(readiness, target, onVerdict));
    else {
      this.c.ready = true;
      this.publish();
    }
  }

  private onProbe(kind: ProbeKind, ok: boolean, container: Obj, target: ProbeTarget, proc: ChildProcess): void {
    if (this.proc !== proc || this.termination !== null) return;
    switch (kind) {
      case 'startup':
        if (ok) {
          this.stopProbes();
          this.c.started = true;
          this.publish();
          this.startMainProbes(container, target, proc);
        } else {
          this.event('Warning', 'Unhealthy', 'Startup probe failed: restarting the container');
          void this.killForRestart(proc);
        }
        return;
      case 'liveness':
        if (!ok) {
          this.event('Warning', 'Unhealthy', 'Liveness probe failed: restarting the container');
          void this.killForRestart(proc);
        }
        return;
      case 'readiness':
        if (this.c.ready !== ok) {
          this.c.ready = ok;
          this.publish();
          if (!ok) this.event('Warning', 'Unhealthy', 'Readiness probe failed');
        }
        return;
    }
  }

  private async killForRestart(proc: ChildProcess): Promise<void> {
    this.stopProbes();
    const grace = (num(at(this.pod(), 'spec', 'terminationGracePeriodSeconds')) ?? 30) * 1000;
    this.event('Normal', 'Killing', 'Stopping container: it failed a probe');
    proc.kill('SIGTERM');
    const exited = await Promise.race([this.exited.then(() => true), sleep(grace).then(() => false)]);
    if (!exited && this.proc === proc) proc.kill('SIGKILL');
  }

  private stopProbes(): void {
    for (const p of this.probes) p.stop();
    this.probes = [];
  }

  private async stopContainer(graceMs: number, preStop: boolean, why: string): Promise<void> {
    this.stopProbes();
    this.c.ready = false;
    this.publish();
    const proc = this.proc;
    if (proc === null) return;
    const deadline = Date.now() + graceMs;
    const pod = this.pod();
    const container = arr(at(pod, 'spec', 'containers')).filter(isObj)[0];
    const hook = at(container, 'lifecycle', 'preStop');
    if (preStop && isObj(hook) && this.sandbox !== null) {
      const seconds = num(at(hook, 'sleep', 'seconds'));
      if (seconds !== undefined) await Promise.race([sleep(Math.min(seconds * 1000, graceMs)), this.exited]);
      else await runAction(hook, { ip: this.sandbox.ip, container: container!, execPrefix: BoxNetwork.exec(this.sandbox.netns, []) }, Math.max(1, deadline - Date.now()));
    }
    this.event('Normal', 'Killing', `Stopping container: ${why}`);
    if (this.proc === proc) proc.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
    const exited = await Promise.race([this.exited.then(() => true), sleep(Math.max(0, deadline - Date.now())).then(() => false)]);
    if (!exited && this.proc === proc) {
      this.event('Warning', 'Killing', 'grace period over: SIGKILL');
      proc.kill('SIGKILL');
      await this.exited;
    }
  }

  private async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    if (this.termination === null) this.terminate(0, true);
    await this.stopping;
    await this.exited;
    if (this.sandbox !== null) {
      this.ctx.dns.unregister(this.sandbox.netns);
      await this.ctx.network.destroy(this.sandbox.netns);
    }
    rmSync(join(this.ctx.podsDir, this.uid), { recursive: true, force: true });
    const pods = this.ctx.store.typeFor('', 'v1', 'pods')!;
    if (this.pod() !== null) {
      try {
        this.ctx.store.delete(pods, this.namespace, this.name, { gracePeriodSeconds: 0, preconditions: { uid: this.uid } });
      } catch {
        // Gone already.
      }
    }
    this.resolveDone();
  }

  private mounts(pod: Obj, container: Obj): { mountPath: string; hostPath: string }[] {
    const volumes = arr(at(pod, 'spec', 'volumes')).filter(isObj);
    const out: { mountPath: string; hostPath: string }[] = [];
    for (const vm of arr(container['volumeMounts']).filter(isObj)) {
      const name = str(vm['name']) ?? '';
      const mountPath = str(vm['mountPath']) ?? '';
      const v = volumes.find((x) => x['name'] === name);
      if (v === undefined) throw new ContainerConfigError(`volume ${name} is not defined`);
      let hostPath: string;
      if (isObj(v['persistentVolumeClaim'])) {
        const claim = str(v['persistentVolumeClaim']['claimName']) ?? '';
        const pvc = this.ctx.store.tryGet(this.ctx.store.typeFor('', 'v1', 'persistentvolumeclaims')!, this.namespace, claim);
        const volumeName = str(at(pvc, 'spec', 'volumeName'));
        if (pvc === null || at(pvc, 'status', 'phase') !== 'Bound' || volumeName === undefined) throw new Error(`waiting for PersistentVolumeClaim ${claim} to be bound`);
        if (at(pvc, 'metadata', 'deletionTimestamp') !== undefined) throw new Error(`PersistentVolumeClaim ${claim} is being deleted`);
        hostPath = this.ctx.volumePath(volumeName);
      } else {
        hostPath = join(this.ctx.podsDir, this.uid, 'volumes', name);
      }
      const sub = str(vm['subPath']);
      if (sub !== undefined && sub !== '') hostPath = join(hostPath, sub);
      mkdirSync(hostPath, { recursive: true });
      out.push({ mountPath, hostPath });
    }
    return out;
  }

  private condition(type: string, status: boolean): Obj {
    const s = status ? 'True' : 'False';
    const prev = this.conditionTimes.get(type);
    if (prev === undefined || prev.status !== s) this.conditionTimes.set(type, { status: s, at: nowTimestamp() });
    return { type, status: s, lastProbeTime: null, lastTransitionTime: this.conditionTimes.get(type)!.at };
  }

  /** Writes the pod's status from the worker's view (the kubelet is the only writer of pod status). */
  private publish(): void {
    const pods = this.ctx.store.typeFor('', 'v1', 'pods')!;
    const pod = this.pod();
    if (pod === null || this.sandbox === null) return;
    const container = arr(at(pod, 'spec', 'containers')).filter(isObj)[0];
    const ready = this.c.ready && this.termination === null;
    const status: Obj = {
      ...(isObj(pod['status']) ? clone(pod['status']) : {}),
      phase: this.phase,
      hostIP: this.ctx.network.hostIp,
      hostIPs: [{ ip: this.ctx.network.hostIp }],
      podIP: this.sandbox.ip,
      podIPs: [{ ip: this.sandbox.ip }],
      startTime: str(at(pod, 'status', 'startTime')) ?? nowTimestamp(),
      qosClass: 'Burstable',
      conditions: [this.condition('PodReadyToStartContainers', true), this.condition('Initialized', true), this.condition('Ready', ready), this.condition('ContainersReady', ready), this.condition('PodScheduled', true)],
      containerStatuses: [
        {
          name: str(container?.['name']) ?? 'main',
          image: str(container?.['image']) ?? '',
          imageID: '',
          containerID: this.c.containerID,
          ready,
          started: this.c.started,
          restartCount: this.c.restartCount,
          state: this.c.state,
          lastState: this.c.lastState,
        },
      ],
    };
    try {
      this.ctx.store.update(pods, this.namespace, this.name, { ...pod, status }, 'status');
    } catch {
      // Deleted meanwhile.
    }
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    const pod = this.pod();
    if (pod !== null) this.ctx.event(pod, type, reason, message);
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  switch (signal) {
    case 'SIGKILL':
      return 9;
    case 'SIGTERM':
      return 15;
    case 'SIGINT':
      return 2;
    default:
      return 1;
  }
}
