// The replicated print farm (api.md §2): every business rule is decided here, in
// log order, from the state and the command alone.
import { createHash } from 'node:crypto';
import type { StateMachine } from '../consensus/runtime/state-machine.js';
import { rejection, type CommandResult } from './command-result.js';
import {
  CommandDecodeError,
  decodeCommand,
  type Command,
  type CreateFilamentCommand,
  type CreateJobCommand,
  type CreatePrinterCommand,
  type SetJobStatusCommand,
} from './commands.js';
import { FarmState } from './farm-state.js';
import type { JobStatus } from './field-rules.js';
import { DEFAULT_IDEMPOTENCY_LIMITS, type IdempotencyLimits } from './idempotency-table.js';
import type { FarmCounts, FilamentQuery, JobQuery, Page, PageRequest } from './queries.js';
import { rejected, render, type Outcome } from './outcome.js';
import type { FilamentRecord, JobRecord, PrinterRecord } from './records.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.js';
import type { Identified, SortedRecords } from './sorted-records.js';
import {
  filamentView,
  printJobView,
  printerView,
  type FilamentView,
  type PrintJobView,
  type PrinterView,
} from './views.js';

export type { CommandResult } from './command-result.js';

const ALLOWED_TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  Queued: ['Running', 'Canceled'],
  Running: ['Done', 'Canceled'],
  Done: [],
  Canceled: [],
};

export interface PrintFarmOptions {
  /** Must be equal on every replica: it decides which keys exist at each index. */
  readonly idempotency?: Partial<IdempotencyLimits>;
}

export class PrintFarmStateMachine implements StateMachine<CommandResult> {
  private readonly limits: IdempotencyLimits;
  private state: FarmState;

  constructor(options: PrintFarmOptions = {}) {
    this.limits = {
      windowMs: options.idempotency?.windowMs ?? DEFAULT_IDEMPOTENCY_LIMITS.windowMs,
      capacity: options.idempotency?.capacity ?? DEFAULT_IDEMPOTENCY_LIMITS.capacity,
      maxClockStepMs: options.idempotency?.maxClockStepMs ?? DEFAULT_IDEMPOTENCY_LIMITS.maxClockStepMs,
    };
    if (!(this.limits.windowMs > 0) || !Number.isSafeInteger(this.limits.capacity) || this.limits.capacity < 1) {
      throw new RangeError('idempotency window must be positive and capacity a positive integer');
    }
    this.state = new FarmState(this.limits);
  }

  apply(_index: number, bytes: Uint8Array): CommandResult {
    let command: Command;
    try {
      command = decodeCommand(bytes);
    } catch (err) {
      if (err instanceof CommandDecodeError) return rejection(400, 'VALIDATION_FAILED', `malformed command: ${err.message}`);
      throw err;
    }
    const state = this.state;
    const at = Date.parse(command.at);
    state.nowMs = advanceClock(state.nowMs, at, this.limits.maxClockStepMs);
    state.idempotency.expire(state.nowMs);
    const idem = command.idempotency;
    if (idem !== undefined) {
      const first = state.idempotency.get(idem.key);
      if (first !== undefined) {
        return first.fingerprint === idem.fingerprint
          ? render(first.outcome)
          : rejection(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for a different request');
      }
    }
    const outcome = this.execute(command, at);
    if (idem !== undefined) {
      state.idempotency.remember(idem.key, { fingerprint: idem.fingerprint, storedAt: state.nowMs, outcome });
    }
    return render(outcome);
  }

  snapshot(): Uint8Array {
    return encodeSnapshot(this.state);
  }

  restore(data: Uint8Array): void {
    this.state = decodeSnapshot(data, this.limits);
  }

  /** SHA-256 of the snapshot bytes: equal on replicas holding equal state (I3). */
  stateHash(): string {
    return createHash('sha256').update(this.snapshot()).digest('hex');
  }

  getPrinter(id: string): PrinterView | undefined {
    const p = this.state.printers.get(id);
    return p === undefined ? undefined : printerView(p);
  }

  getFilament(id: string): FilamentView | undefined {
    const f = this.state.filaments.get(id);
    return f === undefined ? undefined : filamentView(f);
  }

  getPrintJob(id: string): PrintJobView | undefined {
    const j = this.state.jobs.get(id);
    return j === undefined ? undefined : printJobView(j);
  }

  listPrinters(query: PageRequest): Page<PrinterView> {
    return page(this.state.printersById, query, printerView);
  }

  listFilaments(query: FilamentQuery): Page<FilamentView> {
    return page(this.state.filamentsById, query, (f) =>
      query.type === undefined || f.type === query.type ? filamentView(f) : undefined,
    );
  }

  listPrintJobs(query: JobQuery): Page<PrintJobView> {
    return page(this.state.jobsById, query, (j) => {
      if (query.status !== undefined && j.status !== query.status) return undefined;
      if (query.printerId !== undefined && j.printerId !== query.printerId) return undefined;
      if (query.filamentId !== undefined && j.filamentId !== query.filamentId) return undefined;
      return printJobView(j);
    });
  }

  /** Grams of the filament held by its Queued and Running jobs. */
  reservedWeight(filamentId: string): number | undefined {
    return this.state.filaments.get(filamentId)?.reservedWeight;
  }

  counts(): FarmCounts {
    return {
      printers: this.state.printers.size,
      filaments: this.state.filaments.size,
      jobsByStatus: this.state.statusCounts(),
    };
  }

  /** Keys currently remembered (for metrics and tests). */
  idempotencyKeyCount(): number {
    return this.state.idempotency.size;
  }

  private execute(command: Command, at: number): Outcome {
    switch (command.kind) {
      case 'createPrinter':
        return this.createPrinter(command);
      case 'createFilament':
        return this.createFilament(command);
      case 'createJob':
        return this.createJob(command, at);
      case 'setJobStatus':
        return this.setJobStatus(command, at);
    }
  }

  private createPrinter(c: CreatePrinterCommand): Outcome {
    if (this.state.printers.has(c.id)) return alreadyExists('printer', c.id);
    const printer: PrinterRecord = { id: c.id, company: c.company, model: c.model, position: 0 };
    this.state.addPrinter(printer);
    return { kind: 'createdPrinter', printer };
  }

  private createFilament(c: CreateFilamentCommand): Outcome {
    if (this.state.filaments.has(c.id)) return alreadyExists('filament', c.id);
    const filament: FilamentRecord = {
      id: c.id,
      type: c.type,
      color: c.color,
      totalWeight: c.totalWeight,
      initialRemainingWeight: c.remainingWeight,
      remainingWeight: c.remainingWeight,
      reservedWeight: 0,
      position: 0,
    };
    this.state.addFilament(filament);
    return { kind: 'createdFilament', filament };
  }

  private createJob(c: CreateJobCommand, at: number): Outcome {
    const state = this.state;
    if (state.jobs.has(c.id)) return alreadyExists('print job', c.id);
    if (!state.printers.has(c.printerId)) {
      return rejected(400, 'UNKNOWN_PRINTER', `printer ${JSON.stringify(c.printerId)} does not exist`);
    }
    const filament = state.filaments.get(c.filamentId);
    if (filament === undefined) {
      return rejected(400, 'UNKNOWN_FILAMENT', `filament ${JSON.stringify(c.filamentId)} does not exist`);
    }
    const available = filament.remainingWeight - filament.reservedWeight;
    if (c.weight > available) {
      return rejected(
        400,
        'INSUFFICIENT_FILAMENT',
        `filament ${JSON.stringify(filament.id)} has ${available} g available ` +
          `(${filament.remainingWeight} g remaining, ${filament.reservedWeight} g reserved by queued and running jobs), ` +
          `the job needs ${c.weight} g`,
      );
    }
    const job: JobRecord = {
      id: c.id,
      printerId: c.printerId,
      filamentId: c.filamentId,
      filepath: c.filepath,
      weight: c.weight,
      status: 'Queued',
      createdAt: at,
      updatedAt: at,
      position: 0,
    };
    state.addJob(job);
    return { kind: 'createdJob', job };
  }

  private setJobStatus(c: SetJobStatusCommand, at: number): Outcome {
    const job = this.state.jobs.get(c.jobId);
    if (job === undefined) return rejected(404, 'NOT_FOUND', `print job ${JSON.stringify(c.jobId)} does not exist`);
    if (!ALLOWED_TRANSITIONS[job.status].includes(c.status)) {
      return rejected(400, 'INVALID_TRANSITION', `a ${job.status} job cannot become ${c.status}`);
    }
    this.state.transition(job, c.status, at);
    return { kind: 'jobStatus', job, status: c.status, at };
  }
}

function alreadyExists(what: string, id: string): Outcome {
  return rejected(409, 'ALREADY_EXISTS', `${what} ${JSON.stringify(id)} already exists`);
}

/** Walks records after `query.after` in id order; `pick` returns undefined to skip one. */
function page<R extends Identified, T>(records: SortedRecords<R>, query: PageRequest, pick: (record: R) => T | undefined): Page<T> {
  const items: T[] = [];
  for (const record of records.after(query.after)) {
    const item = pick(record);
    if (item === undefined) continue;
    if (items.length === query.limit) return { items, hasMore: true };
    items.push(item);
  }
  return { items, hasMore: false };
}

/**
 * The replicated "now" that expires idempotency keys: the highest command time
 * seen, but one command may move it at most `maxStepMs` ahead, so a single node
 * with a clock far in the future cannot expire every key in the cluster (keys
 * then live at least their window, never less). Deterministic: it depends only
 * on the commands in log order.
 */
export function advanceClock(nowMs: number, atMs: number, maxStepMs: number): number {
  if (nowMs === 0) return atMs;
  return Math.max(nowMs, Math.min(atMs, nowMs + maxStepMs));
}
