// Concurrent clients of the print farm for the chaos test. Each client loops:
// pick a node at random (followers forward), pick an operation on one of the
// active filaments, send it with a client timeout and, when the outcome is
// unknown or nothing was sent, retry the same request with the same
// Idempotency-Key at another node. Every attempt is recorded with its call and
// return time on this process's clock, for the linearizability check.
//
// Filaments are "slots": after a bounded number of operations a slot moves to a
// new filament, so each partition of the history (one filament) stays small
// enough to check quickly however long the run is.
import { classifyAttempt, type RecordedRequest } from '../linearizability/history.js';
import type { JobStatus, PrintFarmInput } from '../linearizability/models/print-farm.js';
import { seededRandom, type Random } from '../fault-random.js';
import { sleep } from '../process-cluster.js';
import { sendAttempt } from './http-attempt.js';
import { accessOf, requestFor } from './requests.js';

export interface ChaosRequest extends RecordedRequest<PrintFarmInput> {
  readonly node: string;
}

export interface WorkloadNode {
  readonly id: string;
  readonly host: string;
}

export interface WorkloadOptions {
  readonly nodes: readonly WorkloadNode[];
  readonly printers: readonly string[];
  readonly seed: number;
  readonly clients: number;
  /** Filaments in use at once. */
  readonly slots: number;
  /** Operations on one filament before its slot moves on to a new one. */
  readonly opsPerFilament: number;
  readonly maxJobsPerFilament: number;
  /** Client timeout of an attempt, drawn from [min, max) ms. */
  readonly clientTimeoutMs: readonly [number, number];
  readonly maxWriteAttempts: number;
  readonly maxReadAttempts: number;
  /** Pause between two operations of a client: [min, max) ms. */
  readonly thinkMs: readonly [number, number];
}

interface Slot {
  filamentId: string;
  generation: number;
  ops: number;
  readonly jobs: string[];
  nextJob: number;
}

const STATUS_TARGETS: readonly (readonly [JobStatus, number])[] = [
  ['Running', 0.45],
  ['Done', 0.35],
  ['Canceled', 0.2],
];

export class Workload {
  readonly requests: ChaosRequest[] = [];
  /** Every filament the workload tried to create, with its total (= initial remaining) weight. */
  readonly filaments = new Map<string, number>();
  private readonly slots: Slot[] = [];
  private readonly random: Random;
  private stopping = false;
  private running: Promise<void>[] = [];
  private keys = 0;

  constructor(private readonly opts: WorkloadOptions) {
    this.random = seededRandom(opts.seed);
    for (let s = 0; s < opts.slots; s++) this.slots.push({ filamentId: filamentId(s, 0), generation: 0, ops: 0, jobs: [], nextJob: 0 });
  }

  /** Creates the first filament of every slot, one at a time (recorded like any other write). */
  async createInitialFilaments(): Promise<void> {
    for (const slot of this.slots) await this.write('setup', this.createFilament(slot.filamentId));
  }

  /** Starts the clients; they run until stop() and then finish their current operation. */
  start(): void {
    for (let c = 0; c < this.opts.clients; c++) this.running.push(this.client(c));
  }

  /** Resolves once every client has finished (bounded by the attempts of one operation). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.running);
    this.running = [];
  }

  /** Linearizable reads of every filament and its jobs, once quiet: they close every partition's history. */
  async finalReads(): Promise<void> {
    for (const id of this.filaments.keys()) {
      await this.read('final', { kind: 'getFilament', filamentId: id });
      await this.read('final', { kind: 'listJobs', filamentId: id });
    }
  }

  private async client(c: number): Promise<void> {
    while (!this.stopping) {
      const [min, max] = this.opts.thinkMs;
      await sleep(min + Math.floor(this.random() * (max - min)));
      if (this.stopping) break;
      const input = this.nextOperation();
      if (accessOf(input) === 'write') await this.write(c, input);
      else await this.read(c, input);
    }
  }

  private nextOperation(): PrintFarmInput {
    const slot = this.slots[Math.floor(this.random() * this.slots.length)]!;
    if (slot.ops >= this.opts.opsPerFilament) {
      slot.generation++;
      slot.filamentId = filamentId(this.slots.indexOf(slot), slot.generation);
      slot.ops = 0;
      slot.jobs.length = 0;
      slot.nextJob = 0;
      return this.createFilament(slot.filamentId);
    }
    slot.ops++;
    const f = slot.filamentId;
    const r = this.random();
    const canCreate = slot.jobs.length < this.opts.maxJobsPerFilament;
    if (slot.jobs.length === 0 && !canCreate) return { kind: 'getFilament', filamentId: f };
    if (slot.jobs.length === 0 || (canCreate && r < 0.25)) {
      const jobId = `${f}.j${String(slot.nextJob++).padStart(3, '0')}`;
      slot.jobs.push(jobId);
      return { kind: 'createJob', filamentId: f, jobId, weight: 40 + 10 * Math.floor(this.random() * 21) };
    }
    const jobId = slot.jobs[Math.floor(this.random() * slot.jobs.length)]!;
    if (r < 0.6) return { kind: 'setStatus', filamentId: f, jobId, target: this.statusTarget() };
    if (r < 0.72) return { kind: 'getFilament', filamentId: f };
    if (r < 0.85) return { kind: 'getJob', filamentId: f, jobId };
    return { kind: 'listJobs', filamentId: f };
  }

  private createFilament(id: string): PrintFarmInput {
    const total = 800 + 50 * Math.floor(this.random() * 13);
    this.filaments.set(id, total);
    return { kind: 'createFilament', filamentId: id, total };
  }

  private statusTarget(): JobStatus {
    let r = this.random();
    for (const [target, p] of STATUS_TARGETS) {
      if (r < p) return target;
      r -= p;
    }
    return 'Running';
  }

  private async write(client: number | string, input: PrintFarmInput): Promise<void> {
    const key = `k${++this.keys}-c${client}`;
    const request = requestFor(input, this.printerFor(input), 0);
    let node = this.pickNode();
    for (let attempt = 0; attempt < this.opts.maxWriteAttempts; attempt++) {
      const timed = await sendAttempt({
        method: request.method,
        host: node.host,
        path: request.path,
        body: request.body,
        headers: { 'Idempotency-Key': key },
        timeoutMs: this.timeout(),
      });
      this.requests.push({ client, input, access: 'write', idempotencyKey: key, node: node.id, ...timed });
      const cls = classifyAttempt(timed.result);
      if (cls === 'ok' || cls === 'rejected') {
        if (input.kind === 'createJob' && !(timed.result.kind === 'response' && timed.result.status === 201)) this.forgetJob(input.jobId);
        return;
      }
      node = this.pickNode(node.id);
      await sleep(50 + Math.floor(this.random() * 200));
    }
  }

  private async read(client: number | string, input: PrintFarmInput): Promise<void> {
    const request = requestFor(input, '', Math.floor(this.random() * 2));
    let node = this.pickNode();
    for (let attempt = 0; attempt < this.opts.maxReadAttempts; attempt++) {
      const timed = await sendAttempt({ method: request.method, host: node.host, path: request.path, timeoutMs: this.timeout() });
      // A read retry is a new operation: only answered reads enter the history.
      this.requests.push({ client, input, access: 'read', node: node.id, ...timed });
      const cls = classifyAttempt(timed.result);
      if (cls === 'ok' || cls === 'rejected') return;
      node = this.pickNode(node.id);
      await sleep(50 + Math.floor(this.random() * 200));
    }
  }

  private timeout(): number {
    const [min, max] = this.opts.clientTimeoutMs;
    return min + Math.floor(this.random() * (max - min));
  }

  /** A job that was refused is left out of later picks, so that most status changes and reads hit real jobs. */
  private forgetJob(jobId: string): void {
    for (const slot of this.slots) {
      const at = slot.jobs.indexOf(jobId);
      if (at >= 0) slot.jobs.splice(at, 1);
    }
  }

  private printerFor(input: PrintFarmInput): string {
    const printers = this.opts.printers;
    return input.kind === 'createJob' ? printers[hash(input.jobId) % printers.length]! : '';
  }

  private pickNode(not?: string): WorkloadNode {
    const choices = this.opts.nodes.filter((n) => n.id !== not);
    return choices[Math.floor(this.random() * choices.length)]!;
  }
}

function filamentId(slot: number, generation: number): string {
  return `f${slot}g${String(generation).padStart(3, '0')}`;
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) >>> 0;
  return h;
}
