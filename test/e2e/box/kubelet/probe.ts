// Container probes with the kubelet's semantics: httpGet (2xx/3xx passes),
// tcpSocket and exec, each with its timeout; a loop that starts after
// initialDelaySeconds, runs every periodSeconds and changes its verdict only
// after successThreshold / failureThreshold consecutive results.
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { arr, at, isObj, num, str, type Obj } from '../api/json.js';

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

export interface ProbeSpec {
  readonly kind: ProbeKind;
  readonly action: Obj;
  readonly initialDelayMs: number;
  readonly periodMs: number;
  readonly timeoutMs: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

export function probeSpec(kind: ProbeKind, probe: unknown): ProbeSpec | null {
  if (!isObj(probe)) return null;
  return {
    kind,
    action: probe,
    initialDelayMs: (num(probe['initialDelaySeconds']) ?? 0) * 1000,
    periodMs: (num(probe['periodSeconds']) ?? 10) * 1000,
    timeoutMs: (num(probe['timeoutSeconds']) ?? 1) * 1000,
    successThreshold: num(probe['successThreshold']) ?? 1,
    failureThreshold: num(probe['failureThreshold']) ?? 3,
  };
}

/** A named port of the container (`port: http`) to its number. */
export function resolvePort(container: Obj, port: unknown): number {
  if (typeof port === 'number') return port;
  const byName = arr(container['ports']).find((p) => isObj(p) && p['name'] === port);
  const n = num(at(byName, 'containerPort'));
  if (n === undefined) throw new Error(`port ${String(port)} is not a port of the container`);
  return n;
}

export interface ProbeTarget {
  readonly ip: string;
  readonly container: Obj;
  /** argv prefix that runs a command in the pod's network namespace (exec probes, preStop exec). */
  readonly execPrefix: readonly string[];
}

export async function runAction(action: Obj, target: ProbeTarget, timeoutMs: number): Promise<boolean> {
  if (isObj(action['httpGet'])) {
    const h = action['httpGet'];
    const port = resolvePort(target.container, h['port']);
    const path = str(h['path']) ?? '/';
    const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.31' };
    for (const x of arr(h['httpHeaders']).filter(isObj)) headers[String(x['name'])] = String(x['value']);
    return new Promise<boolean>((resolve) => {
      const req = request({ host: str(h['host']) ?? target.ip, port, path, method: 'GET', headers, timeout: timeoutMs, agent: false }, (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(code >= 200 && code < 400);
      });
      req.on('timeout', () => {
        req.destroy();
        resolve(false);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
  }
  if (isObj(action['tcpSocket'])) {
    const port = resolvePort(target.container, action['tcpSocket']['port']);
    return new Promise<boolean>((resolve) => {
      const socket = connect({ host: target.ip, port, timeout: timeoutMs });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(false));
    });
  }
  if (isObj(action['exec'])) {
    const command = arr(action['exec']['command']).map(String);
    const argv = [...target.execPrefix, ...command];
    return new Promise<boolean>((resolve) => {
      execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs }, (error) => resolve(error === null));
    });
  }
  return false;
}

/** Runs one probe periodically and reports every change of its verdict (and the first verdict). */
export class ProbeLoop {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  private verdict: boolean | null = null;

  constructor(
    readonly spec: ProbeSpec,
    private readonly target: ProbeTarget,
    private readonly onVerdict: (kind: ProbeKind, ok: boolean) => void,
  ) {}

  start(): void {
    this.timer = setTimeout(() => void this.tick(), this.spec.initialDelayMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const started = Date.now();
    const ok = await runAction(this.spec.action, this.target, this.spec.timeoutMs);
    if (this.stopped) return;
    if (ok) {
      this.successes++;
      this.failures = 0;
      if (this.verdict !== true && this.successes >= this.spec.successThreshold) this.set(true);
    } else {
      this.failures++;
      this.successes = 0;
      if (this.verdict !== false && this.failures >= this.spec.failureThreshold) this.set(false);
    }
    this.timer = setTimeout(() => void this.tick(), Math.max(0, this.spec.periodMs - (Date.now() - started)));
  }

  private set(ok: boolean): void {
    this.verdict = ok;
    this.onVerdict(this.spec.kind, ok);
  }
}
