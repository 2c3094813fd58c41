// Clients of the print farm writing and reading through the Ingress while a
// scenario hurts the cluster: every attempt is recorded with its call and return
// times, writes carry an Idempotency-Key and are retried while the outcome is in
// doubt, and the history is checked for linearizability against the print-farm
// model (raft.md §5), with final reads that make a lost acknowledged write show
// up as a violation.
import { checkOperations, describeFailure, type CheckResult } from '../../../support/linearizability/checker.js';
import { buildHistory, shrinkUnknownWrites, type HttpResult, type RecordedRequest } from '../../../support/linearizability/history.js';
import { isUnknown, type Operation } from '../../../support/linearizability/model.js';
import { printFarmModel, printFarmOutputFromHttp, type JobStatus, type PrintFarmInput, type PrintFarmOutput } from '../../../support/linearizability/models/print-farm.js';

export interface WorkloadOptions {
  /** Base URL of the Ingress stand-in. */
  readonly baseUrl: string;
  readonly clients: number;
  readonly filaments: number;
  /** Makes ids unique across scenarios that share a cluster. */
  readonly prefix: string;
  readonly requestTimeoutMs?: number;
  /** Pause between a client's operations. */
  readonly thinkMs?: number;
  readonly seed?: number;
}

export interface WorkloadStats {
  readonly attempts: number;
  readonly ok: number;
  readonly unavailable: number;
  readonly unknown: number;
  readonly createdJobs: number;
  /** Longest time between two acknowledged (2xx) writes of the clients: how long writes stopped. */
  readonly longestWriteGapMs: number;
}

export interface CheckReport {
  readonly result: CheckResult<PrintFarmInput, PrintFarmOutput>;
  readonly operations: number;
  readonly unknownWrites: number;
  readonly lostAcknowledgedJobs: string[];
  readonly description: string;
}

type Farm = Operation<PrintFarmInput, PrintFarmOutput>;

const TOTAL = 20_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** xorshift32: a reproducible mix of operations. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

export class FarmWorkload {
  readonly requests: RecordedRequest<PrintFarmInput>[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly filamentIds: string[];
  private readonly printerId: string;
  private readonly t0 = performance.now();
  private keySeq = 0;
  private readonly acknowledged = new Set<string>();
  private readonly random: () => number;

  constructor(private readonly opts: WorkloadOptions) {
    this.filamentIds = Array.from({ length: opts.filaments }, (_, i) => `${opts.prefix}-f${i}`);
    this.printerId = `${opts.prefix}-printer`;
    this.random = rng(opts.seed ?? 0x5eed);
  }

  private now(): number {
    return performance.now() - this.t0;
  }

  /** One HTTP attempt: the answer, or how it failed (an Ingress 503 without endpoints means nothing was sent). */
  private async http(method: string, path: string, body?: unknown, key?: string): Promise<{ result: HttpResult; call: number; ret: number }> {
    const call = this.now();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (key !== undefined) headers['idempotency-key'] = key;
    try {
      const res = await fetch(`${this.opts.baseUrl}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 8000),
      });
      const text = await res.text();
      const ret = this.now();
      const fromProxy = !(res.headers.get('content-type') ?? '').includes('json');
      if (fromProxy) {
        if (res.status === 503) return { result: { kind: 'error', error: 'refused' }, call, ret };
        if (res.status === 504) return { result: { kind: 'error', error: 'timeout' }, call, ret };
        if (res.status === 502) return { result: { kind: 'error', error: 'reset' }, call, ret };
      }
      let parsed: unknown = undefined;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
      const code = typeof parsed === 'object' && parsed !== null && 'code' in parsed && typeof parsed.code === 'string' ? parsed.code : undefined;
      return { result: { kind: 'response', status: res.status, ...(code !== undefined ? { code } : {}), body: parsed }, call, ret };
    } catch (error) {
      const ret = this.now();
      const text = `${String(error)} ${String((error as { cause?: unknown }).cause ?? '')}`;
      if (/timeout|abort/i.test(text)) return { result: { kind: 'error', error: 'timeout' }, call, ret };
      if (/ECONNREFUSED/.test(text)) return { result: { kind: 'error', error: 'refused' }, call, ret };
      return { result: { kind: 'error', error: 'reset' }, call, ret };
    }
  }

  private async read(client: string, input: PrintFarmInput, path: string): Promise<void> {
    const a = await this.http('GET', path);
    this.requests.push({ client, input, access: 'read', call: a.call, ret: a.ret, result: a.result });
  }

  /** A write retried under one Idempotency-Key until its outcome is definite (or the budget is spent). */
  private async write(client: string, input: PrintFarmInput, method: string, path: string, body: unknown, budgetMs = 15_000): Promise<HttpResult> {
    const key = `${this.opts.prefix}-${client}-${++this.keySeq}`;
    const deadline = this.now() + budgetMs;
    for (;;) {
      const a = await this.http(method, path, body, key);
      this.requests.push({ client, input, access: 'write', idempotencyKey: key, call: a.call, ret: a.ret, result: a.result });
      const r = a.result;
      const definite = r.kind === 'response' && r.status !== 503 && r.status < 500;
      if (definite || this.now() > deadline) return r;
      await sleep(250 + Math.floor(this.random() * 500));
    }
  }

  /** Printer and filaments, each retried until created (these are part of the history too). */
  async setup(deadlineMs = 60_000): Promise<void> {
    const until = this.now() + deadlineMs;
    for (;;) {
      const r = await this.http('POST', '/api/v1/printers', { id: this.printerId, company: 'Box', model: 'Sim' }, `${this.opts.prefix}-printer`);
      if (r.result.kind === 'response' && (r.result.status === 201 || r.result.status === 409)) break;
      if (this.now() > until) throw new Error(`cannot create the printer through the Ingress: ${JSON.stringify(r.result)}`);
      await sleep(500);
    }
    for (const f of this.filamentIds) {
      const r = await this.write('setup', { kind: 'createFilament', filamentId: f, total: TOTAL }, 'POST', '/api/v1/filaments', { id: f, type: 'PLA', color: 'red', total_weight_in_grams: TOTAL }, Math.max(1000, until - this.now()));
      if (!(r.kind === 'response' && (r.status === 201 || r.status === 409))) throw new Error(`cannot create filament ${f}: ${JSON.stringify(r)}`);
    }
  }

  start(): void {
    this.running = true;
    for (let c = 0; c < this.opts.clients; c++) this.loops.push(this.client(`c${c}`));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  private async client(name: string): Promise<void> {
    const mine: { id: string; filament: string; status: JobStatus }[] = [];
    let seq = 0;
    while (this.running) {
      const f = this.filamentIds[Math.floor(this.random() * this.filamentIds.length)]!;
      const p = this.random();
      if (p < 0.35 || mine.length === 0) {
        const jobId = `${this.opts.prefix}-${name}-j${++seq}`;
        const weight = 10 + Math.floor(this.random() * 190);
        const r = await this.write(name, { kind: 'createJob', filamentId: f, jobId, weight }, 'POST', '/api/v1/print_jobs', { id: jobId, printer_id: this.printerId, filament_id: f, filepath: `prints/${jobId}.gcode`, print_weight_in_grams: weight });
        if (r.kind === 'response' && r.status === 201) {
          mine.push({ id: jobId, filament: f, status: 'Queued' });
          this.acknowledged.add(jobId);
        }
      } else if (p < 0.55) {
        const job = mine[Math.floor(this.random() * mine.length)]!;
        const targets: JobStatus[] = job.status === 'Queued' ? ['Running', 'Canceled'] : job.status === 'Running' ? ['Done', 'Canceled'] : ['Done'];
        const target = targets[Math.floor(this.random() * targets.length)]!;
        const r = await this.write(name, { kind: 'setStatus', filamentId: job.filament, jobId: job.id, target }, 'POST', `/api/v1/print_jobs/${job.id}/status?status=${target}`, {});
        if (r.kind === 'response' && r.status === 200) job.status = target;
      } else if (p < 0.7) {
        await this.read(name, { kind: 'getFilament', filamentId: f }, `/api/v1/filaments/${f}`);
      } else if (p < 0.85 && mine.length > 0) {
        const job = mine[Math.floor(this.random() * mine.length)]!;
        await this.read(name, { kind: 'getJob', filamentId: job.filament, jobId: job.id }, `/api/v1/print_jobs/${job.id}`);
      } else {
        await this.read(name, { kind: 'listJobs', filamentId: f }, `/api/v1/print_jobs?filament_id=${f}&limit=10000`);
      }
      await sleep((this.opts.thinkMs ?? 100) * (0.5 + this.random()));
    }
  }

  stats(): WorkloadStats {
    let ok = 0;
    let unavailable = 0;
    let unknown = 0;
    for (const r of this.requests) {
      if (r.result.kind === 'response' && r.result.status < 500) ok++;
      else if (r.result.kind === 'error' && r.result.error === 'refused') unavailable++;
      else if (r.result.kind === 'response' && r.result.status === 503) unavailable++;
      else unknown++;
    }
    const acks = this.requests
      .filter((r) => r.access === 'write' && r.client !== 'setup' && r.result.kind === 'response' && r.result.status >= 200 && r.result.status < 300)
      .map((r) => r.ret)
      .sort((a, b) => a - b);
    let gap = 0;
    for (let i = 1; i < acks.length; i++) gap = Math.max(gap, acks[i]! - acks[i - 1]!);
    return { attempts: this.requests.length, ok, unavailable, unknown, createdJobs: this.acknowledged.size, longestWriteGapMs: Math.round(gap) };
  }

  /** Final reads (retried until answered), then the linearizability check of everything recorded. */
  async check(deadlineMs = 60_000): Promise<CheckReport> {
    const until = this.now() + deadlineMs;
    const finalJobs = new Map<string, { id: string; status: string }[]>();
    for (const f of this.filamentIds) {
      for (;;) {
        const a = await this.http('GET', `/api/v1/print_jobs?filament_id=${f}&limit=10000`);
        this.requests.push({ client: 'final', input: { kind: 'listJobs', filamentId: f }, access: 'read', call: a.call, ret: a.ret, result: a.result });
        if (a.result.kind === 'response' && a.result.status === 200 && Array.isArray(a.result.body)) {
          finalJobs.set(f, (a.result.body as { id: unknown; status: unknown }[]).map((j) => ({ id: String(j.id), status: String(j.status) })));
          break;
        }
        if (this.now() > until) throw new Error(`the final read of ${f} never succeeded: ${JSON.stringify(a.result)}`);
        await sleep(500);
      }
      await this.read('final', { kind: 'getFilament', filamentId: f }, `/api/v1/filaments/${f}`);
    }
    const applied = new Set<string>();
    for (const jobs of finalJobs.values()) for (const j of jobs) applied.add(j.id);
    const lost = [...this.acknowledged].filter((id) => !applied.has(id));
    const built = buildHistory<PrintFarmInput, PrintFarmOutput>(this.requests, (input, response) => printFarmOutputFromHttp(input, response.status, response.body));
    const shrunk = shrinkUnknownWrites<PrintFarmInput, PrintFarmOutput>(built.operations, {
      writeIdOf: (op: Farm) => (op.input.kind === 'createJob' ? op.input.jobId : undefined),
      applied,
      successOutput: () => ({ status: 201 }),
      observedIds: (op: Farm) => {
        if (isUnknown(op.output)) return [];
        if (op.input.kind === 'getJob' && op.output.status === 200) return [op.input.jobId];
        if (op.input.kind === 'listJobs') return (op.output.jobs ?? []).map((j) => j.id);
        return [];
      },
    });
    const result = checkOperations(printFarmModel, shrunk.operations, { timeoutMs: 120_000 });
    const conflicts = built.conflicts.length > 0 ? `\n${built.conflicts.length} retried request(s) answered differently: ${JSON.stringify(built.conflicts.slice(0, 3))}` : '';
    return {
      result,
      operations: shrunk.operations.length,
      unknownWrites: shrunk.operations.filter((o) => isUnknown(o.output)).length,
      lostAcknowledgedJobs: lost,
      description: describeFailure(result) + conflicts,
    };
  }
}
