// Simulated API clients. Each one loops: think, then send one request to a
// node (usually the one it believes leads, sometimes any member, so that
// followers forward). Writes carry an Idempotency-Key and unique client-chosen
// job ids; a write whose outcome is unknown (timeout, reset, 503) is retried
// at another node with the same key. Every attempt is recorded with its call
// and return time for the linearizability check (raft.md §5.2).
import type { HttpResult, RecordedRequest } from '../../support/linearizability/history.js';
import type { JobStatus, PrintFarmInput } from '../../support/linearizability/models/print-farm.js';
import type { NodeId } from '../../../src/consensus/core/types.js';
import { TICK } from './params.js';
import type { SimRng } from './rng.js';

export interface WriteRequest {
  readonly access: 'write';
  readonly input: PrintFarmInput;
  readonly key: string;
}

export interface ReadRequest {
  readonly access: 'read';
  readonly input: PrintFarmInput;
}

export type ClientRequest = WriteRequest | ReadRequest;

export interface ClientEnv {
  now(): number;
  after(delay: number, fn: () => void): void;
  /** Members a client may send to (the leader it believes in first, with probability 0.8). */
  pickNode(except: NodeId | null): NodeId | null;
  /**
   * Sends `req` to `node`. `reply` is called once, when the answer (or a
   * connection error) reaches the client; 'refused' comes at once.
   */
  request(node: NodeId, req: ClientRequest, reply: (result: HttpResult) => void): void;
  trace(text: string): void;
}

export const CLIENT_TIMEOUT = 30 * TICK;
const RETRY_BACKOFF = 3 * TICK;
const MAX_ATTEMPTS = 12;
export const PRINTERS = ['p1', 'p2'];

interface Pending {
  readonly req: ClientRequest;
  attempts: number;
  lastNode: NodeId | null;
}

export class Workload {
  readonly requests: RecordedRequest<PrintFarmInput>[] = [];
  /** Filament of every job id ever used in a create (to put status changes and reads in its partition). */
  private readonly jobFilament = new Map<string, string>();
  private readonly jobIds: string[] = [];
  readonly filamentIds: string[];
  private readonly filamentTotals = new Map<string, number>();
  private seq = 0;
  /** Logical operations still waiting for a definite answer. */
  inFlight = 0;
  issued = 0;
  givenUp = 0;
  accepting = true;

  constructor(
    private readonly env: ClientEnv,
    private readonly rng: SimRng,
    private readonly clients: number,
    filaments: number,
    private readonly thinkTicks: number,
  ) {
    this.filamentIds = Array.from({ length: filaments }, (_, i) => `f${i + 1}`);
    for (const f of this.filamentIds) this.filamentTotals.set(f, rng.between(8, 30) * 100);
  }

  /** Starts every client; the first operations create the filaments. */
  start(): void {
    for (let c = 0; c < this.clients; c++) {
      const own = this.filamentIds.filter((_, i) => i % this.clients === c);
      this.env.after(this.rng.between(0, TICK), () => this.loop(c, own));
    }
  }

  private loop(client: number, creates: string[]): void {
    if (!this.accepting) return;
    const req = creates.length > 0 ? this.createFilament(creates.shift()!) : this.nextRequest(client);
    this.issue(client, req, () => {
      this.env.after(this.rng.between(0, 2 * this.thinkTicks * TICK), () => this.loop(client, creates));
    });
  }

  private createFilament(id: string): WriteRequest {
    return { access: 'write', input: { kind: 'createFilament', filamentId: id, total: this.filamentTotals.get(id)! }, key: this.newKey() };
  }

  private nextRequest(client: number): ClientRequest {
    const r = this.rng.float();
    const filamentId = this.rng.pick(this.filamentIds);
    if (r < 0.3 || this.jobIds.length === 0) {
      const jobId = `j${client}-${++this.seq}`;
      this.jobFilament.set(jobId, filamentId);
      this.jobIds.push(jobId);
      return { access: 'write', input: { kind: 'createJob', filamentId, jobId, weight: this.rng.between(1, 8) * 50 }, key: this.newKey() };
    }
    if (r < 0.55) {
      const jobId = this.recentJob();
      const target: JobStatus = this.rng.pick(['Running', 'Running', 'Done', 'Done', 'Canceled', 'Queued']);
      return { access: 'write', input: { kind: 'setStatus', filamentId: this.jobFilament.get(jobId)!, jobId, target }, key: this.newKey() };
    }
    if (r < 0.58) return this.createFilament(filamentId);
    if (r < 0.72) return { access: 'read', input: { kind: 'getFilament', filamentId } };
    if (r < 0.88) {
      const jobId = this.recentJob();
      return { access: 'read', input: { kind: 'getJob', filamentId: this.jobFilament.get(jobId)!, jobId } };
    }
    return { access: 'read', input: { kind: 'listJobs', filamentId } };
  }

  /** Mostly recent jobs: they are the ones whose status still changes. */
  private recentJob(): string {
    const n = this.jobIds.length;
    const window = Math.min(n, 12);
    return this.rng.chance(0.8) ? this.jobIds[n - 1 - this.rng.int(window)]! : this.rng.pick(this.jobIds);
  }

  private newKey(): string {
    return `k${++this.seq}`;
  }

  private issue(client: number, req: ClientRequest, done: () => void): void {
    this.issued++;
    this.inFlight++;
    const p: Pending = { req, attempts: 0, lastNode: null };
    this.attempt(client, p, () => {
      this.inFlight--;
      done();
    });
  }

  private attempt(client: number, p: Pending, done: () => void): void {
    const node = this.env.pickNode(p.lastNode);
    if (node === null) {
      this.env.after(RETRY_BACKOFF, () => this.attempt(client, p, done));
      return;
    }
    p.attempts++;
    p.lastNode = node;
    const call = this.env.now();
    let answered = false;
    const finish = (result: HttpResult): void => {
      if (answered) return;
      answered = true;
      const ret = this.env.now();
      this.record(client, p.req, call, ret, result);
      if (!this.shouldRetry(p, result)) {
        done();
        return;
      }
      if (p.attempts >= MAX_ATTEMPTS) {
        this.givenUp++;
        done();
        return;
      }
      const refused = result.kind === 'error' && result.error === 'refused';
      this.env.after(refused ? this.rng.between(1, 10) : RETRY_BACKOFF, () => this.attempt(client, p, done));
    };
    this.env.after(CLIENT_TIMEOUT, () => finish({ kind: 'error', error: 'timeout' }));
    this.env.request(node, p.req, finish);
  }

  /** Writes are retried until they get a definite answer; a read that got no answer is simply given up. */
  private shouldRetry(p: Pending, result: HttpResult): boolean {
    if (result.kind === 'error') return p.req.access === 'write' || result.error === 'refused';
    if (result.status === 503) return p.req.access === 'write';
    return false;
  }

  private record(client: number, req: ClientRequest, call: number, ret: number, result: HttpResult): void {
    const outcome = result.kind === 'error' ? result.error : `${result.status}${result.code !== undefined ? ` ${result.code}` : ''}`;
    this.env.trace(`client ${client} ${req.input.kind} ${describeInput(req.input)} -> ${outcome}`);
    this.requests.push({
      client,
      input: req.input,
      access: req.access,
      ...(req.access === 'write' ? { idempotencyKey: req.key } : {}),
      call,
      ret,
      result,
    });
  }
}

function describeInput(input: PrintFarmInput): string {
  switch (input.kind) {
    case 'createFilament':
      return `${input.filamentId} ${input.total}g`;
    case 'createJob':
      return `${input.jobId} ${input.weight}g of ${input.filamentId}`;
    case 'setStatus':
      return `${input.jobId} -> ${input.target}`;
    case 'getJob':
      return input.jobId;
    case 'getFilament':
    case 'listJobs':
      return input.filamentId;
  }
}
