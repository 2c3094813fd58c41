// The whole replicated state in one object, so restore can build a new one and
// swap it in atomically. Derived values (reservations, counts) are maintained
// here and never stored in snapshots.
import type { JobStatus } from './field-rules.js';
import { IdempotencyTable, type IdempotencyLimits } from './idempotency-table.js';
import type { FilamentRecord, JobRecord, PrinterRecord } from './records.js';
import { SortedRecords } from './sorted-records.js';

export function reserves(status: JobStatus): boolean {
  return status === 'Queued' || status === 'Running';
}

export class FarmState {
  readonly printers = new Map<string, PrinterRecord>();
  readonly filaments = new Map<string, FilamentRecord>();
  readonly jobs = new Map<string, JobRecord>();
  readonly jobsByStatus: Record<JobStatus, number> = { Queued: 0, Running: 0, Done: 0, Canceled: 0 };
  readonly idempotency: IdempotencyTable;
  /** Highest command timestamp applied so far (ms since epoch): the state's notion of now. */
  nowMs = 0;

  /** The sorted collections, when given, must hold exactly the records added later with `sorted = true`. */
  constructor(
    limits: IdempotencyLimits,
    readonly printersById = SortedRecords.empty<PrinterRecord>(),
    readonly filamentsById = SortedRecords.empty<FilamentRecord>(),
    readonly jobsById = SortedRecords.empty<JobRecord>(),
  ) {
    this.idempotency = new IdempotencyTable(limits);
  }

  addPrinter(printer: PrinterRecord, sorted = false): void {
    this.printers.set(printer.id, printer);
    if (!sorted) this.printersById.insert(printer);
  }

  addFilament(filament: FilamentRecord, sorted = false): void {
    this.filaments.set(filament.id, filament);
    if (!sorted) this.filamentsById.insert(filament);
  }

  /** The job's filament must exist. */
  addJob(job: JobRecord, sorted = false): void {
    this.jobs.set(job.id, job);
    if (!sorted) this.jobsById.insert(job);
    this.jobsByStatus[job.status]++;
    if (reserves(job.status)) this.filaments.get(job.filamentId)!.reservedWeight += job.weight;
  }

  /** Moves a job to `to`, releasing its reservation and consuming weight on Done. */
  transition(job: JobRecord, to: JobStatus, at: number): void {
    const filament = this.filaments.get(job.filamentId)!;
    if (reserves(job.status) && !reserves(to)) filament.reservedWeight -= job.weight;
    if (to === 'Done') filament.remainingWeight -= job.weight;
    this.jobsByStatus[job.status]--;
    this.jobsByStatus[to]++;
    job.status = to;
    job.updatedAt = at;
  }

  statusCounts(): Record<JobStatus, number> {
    return { ...this.jobsByStatus };
  }
}
