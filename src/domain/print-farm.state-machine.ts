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
import type { FilamentRecord, JobRecord, PrinterRecord } from './records.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.js';
import type { SortedIds } from './sorted-ids.js';
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
    this.limits = { ...DEFAULT_IDEMPOTENCY_LIMITS, ...options.idempotency };
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
    state.nowMs = Math.max(state.nowMs, Date.parse(command.at));
    state.idempotency.expire(state.nowMs);
    const idem = command.idempotency;
    if (idem !== undefined) {
      const first = state.idempotency.get(idem.key);
      if (first !== undefined) {
        return first.fingerprint === idem.fingerprint
          ? first.result
          : rejection(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for a different request');
      }
    }
    const result = this.execute(command);
    if (idem !== undefined) {
      state.idempotency.remember(idem.key, { fingerprint: idem.fingerprint, storedAt: state.nowMs, result });
    }
    return result;
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
    const printers = this.state.printers;
    return page(this.state.printerIds, query, (id) => printerView(printers.get(id)!));
  }

  listFilaments(query: FilamentQuery): Page<FilamentView> {
    const filaments = this.state.filaments;
    return page(this.state.filamentIds, query, (id) => {
      const f = filaments.get(id)!;
      return query.type === undefined || f.type === query.type ? filamentView(f) : undefined;
    });
  }

  listPrintJobs(query: JobQuery): Page<PrintJobView> {
    const jobs = this.state.jobs;
    return page(this.state.jobIds, query, (id) => {
      const j = jobs.get(id)!;
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

  private execute(command: Command): CommandResult {
    switch (command.kind) {
      case 'createPrinter':
        return this.createPrinter(command);
      case 'createFilament':
        return this.createFilament(command);
      case 'createJob':
        return this.createJob(command);
      case 'setJobStatus':
        return this.setJobStatus(command);
    }
  }

  private createPrinter(c: CreatePrinterCommand): CommandResult {
    if (this.state.printers.has(c.id)) return alreadyExists('printer', c.id);
    const printer: PrinterRecord = { id: c.id, company: c.company, model: c.model };
    this.state.addPrinter(printer);
    return { status: 201, body: printerView(printer) };
  }

  private createFilament(c: CreateFilamentCommand): CommandResult {
    if (this.state.filaments.has(c.id)) return alreadyExists('filament', c.id);
    const filament: FilamentRecord = {
      id: c.id,
      type: c.type,
      color: c.color,
      totalWeight: c.totalWeight,
      remainingWeight: c.remainingWeight,
      reservedWeight: 0,
    };
    this.state.addFilament(filament);
    return { status: 201, body: filamentView(filament) };
  }

  private createJob(c: CreateJobCommand): CommandResult {
    const state = this.state;
    if (state.jobs.has(c.id)) return alreadyExists('print job', c.id);
    if (!state.printers.has(c.printerId)) {
      return rejection(400, 'UNKNOWN_PRINTER', `printer ${JSON.stringify(c.printerId)} does not exist`);
    }
    const filament = state.filaments.get(c.filamentId);
    if (filament === undefined) {
      return rejection(400, 'UNKNOWN_FILAMENT', `filament ${JSON.stringify(c.filamentId)} does not exist`);
    }
    const available = filament.remainingWeight - filament.reservedWeight;
    if (c.weight > available) {
      return rejection(
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
      createdAt: c.at,
      updatedAt: c.at,
    };
    state.addJob(job);
    return { status: 201, body: printJobView(job) };
  }

  private setJobStatus(c: SetJobStatusCommand): CommandResult {
    const job = this.state.jobs.get(c.jobId);
    if (job === undefined) return rejection(404, 'NOT_FOUND', `print job ${JSON.stringify(c.jobId)} does not exist`);
    if (!ALLOWED_TRANSITIONS[job.status].includes(c.status)) {
      return rejection(400, 'INVALID_TRANSITION', `a ${job.status} job cannot become ${c.status}`);
    }
    this.state.transition(job, c.status, c.at);
    return { status: 200, body: printJobView(job) };
  }
}

function alreadyExists(what: string, id: string): CommandResult {
  return rejection(409, 'ALREADY_EXISTS', `${what} ${JSON.stringify(id)} already exists`);
}

/** Walks ids after `query.after` in order; `pick` returns undefined to skip an id. */
function page<T>(ids: SortedIds, query: PageRequest, pick: (id: string) => T | undefined): Page<T> {
  const items: T[] = [];
  for (let i = ids.indexAfter(query.after); i < ids.size; i++) {
    const item = pick(ids.at(i)!);
    if (item === undefined) continue;
    if (items.length === query.limit) return { items, hasMore: true };
    items.push(item);
  }
  return { items, hasMore: false };
}
