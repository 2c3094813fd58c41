// Turns validated requests into commands (ids, timestamps and fingerprints are
// chosen here, on the receiving node, never in apply) and reads local state
// after a ReadIndex barrier unless the client asked for a stale read.
import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '../http/api-error.js';
import type { CommandResult } from './command-result.js';
import { encodeCommand, type Command, type Idempotency } from './commands.js';
import { PRINT_FARM_OPTIONS, type DomainOptions } from './domain.tokens.js';
import type { JobStatus } from './field-rules.js';
import type { FilamentQuery, JobQuery, Page, PageRequest } from './queries.js';
import type { Consistency, FilamentInput, JobInput, PrinterInput } from './validation.js';
import type { FilamentView, PrintJobView, PrinterView } from './views.js';

@Injectable()
export class PrintFarmService {
  constructor(@Inject(PRINT_FARM_OPTIONS) private readonly options: DomainOptions) {}

  createPrinter(input: PrinterInput, idempotencyKey: string | undefined): Promise<CommandResult> {
    const base = this.base(idempotencyKey, ['createPrinter', input.id ?? null, input.company, input.model]);
    return this.propose({ kind: 'createPrinter', ...base, id: input.id ?? randomUUID(), company: input.company, model: input.model });
  }

  createFilament(input: FilamentInput, idempotencyKey: string | undefined): Promise<CommandResult> {
    const base = this.base(idempotencyKey, [
      'createFilament',
      input.id ?? null,
      input.type,
      input.color,
      input.totalWeight,
      input.remainingWeight,
    ]);
    return this.propose({
      kind: 'createFilament',
      ...base,
      id: input.id ?? randomUUID(),
      type: input.type,
      color: input.color,
      totalWeight: input.totalWeight,
      remainingWeight: input.remainingWeight,
    });
  }

  createPrintJob(input: JobInput, idempotencyKey: string | undefined): Promise<CommandResult> {
    const base = this.base(idempotencyKey, [
      'createJob',
      input.id ?? null,
      input.printerId,
      input.filamentId,
      input.filepath,
      input.weight,
    ]);
    return this.propose({
      kind: 'createJob',
      ...base,
      id: input.id ?? randomUUID(),
      printerId: input.printerId,
      filamentId: input.filamentId,
      filepath: input.filepath,
      weight: input.weight,
    });
  }

  setPrintJobStatus(jobId: string, status: JobStatus, idempotencyKey: string | undefined): Promise<CommandResult> {
    const base = this.base(idempotencyKey, ['setJobStatus', jobId, status]);
    return this.propose({ kind: 'setJobStatus', ...base, jobId, status });
  }

  async getPrinter(id: string, consistency: Consistency): Promise<PrinterView> {
    await this.barrier(consistency);
    return found(this.options.stateMachine.getPrinter(id), 'printer', id);
  }

  async getFilament(id: string, consistency: Consistency): Promise<FilamentView> {
    await this.barrier(consistency);
    return found(this.options.stateMachine.getFilament(id), 'filament', id);
  }

  async getPrintJob(id: string, consistency: Consistency): Promise<PrintJobView> {
    await this.barrier(consistency);
    return found(this.options.stateMachine.getPrintJob(id), 'print job', id);
  }

  async listPrinters(query: PageRequest, consistency: Consistency): Promise<Page<PrinterView>> {
    await this.barrier(consistency);
    return this.options.stateMachine.listPrinters(query);
  }

  async listFilaments(query: FilamentQuery, consistency: Consistency): Promise<Page<FilamentView>> {
    await this.barrier(consistency);
    return this.options.stateMachine.listFilaments(query);
  }

  async listPrintJobs(query: JobQuery, consistency: Consistency): Promise<Page<PrintJobView>> {
    await this.barrier(consistency);
    return this.options.stateMachine.listPrintJobs(query);
  }

  private base(idempotencyKey: string | undefined, request: readonly unknown[]): { at: string; idempotency?: Idempotency } {
    const at = new Date().toISOString();
    if (idempotencyKey === undefined) return { at };
    // The client's input only (not the generated id or time), so a retry matches;
    // 128 bits are plenty to tell two requests apart and keep the table small.
    const fingerprint = createHash('sha256').update(JSON.stringify(request)).digest().subarray(0, 16).toString('base64url');
    return { at, idempotency: { key: idempotencyKey, fingerprint } };
  }

  private propose(command: Command): Promise<CommandResult> {
    return this.options.replicator.propose(encodeCommand(command), this.options.requestTimeoutMs);
  }

  private async barrier(consistency: Consistency): Promise<void> {
    if (consistency === 'linearizable') await this.options.replicator.readBarrier(this.options.requestTimeoutMs);
  }
}

function found<T>(value: T | undefined, what: string, id: string): T {
  if (value === undefined) throw new ApiError(404, 'NOT_FOUND', `${what} ${JSON.stringify(id)} does not exist`);
  return value;
}
