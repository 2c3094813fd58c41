// What apply decided, in a compact form that the idempotency table can keep for
// 100,000 keys and that renders back to the exact first answer. Entities are
// never deleted and their fields other than status, update time and remaining
// weight never change, so a reference to the record plus those values is enough.
import { rejection, type CommandResult } from './command-result.js';
import type { JobStatus } from './field-rules.js';
import type { FilamentRecord, JobRecord, PrinterRecord } from './records.js';
import { filamentView, printJobView, printerView } from './views.js';

export type Outcome =
  | { readonly kind: 'createdPrinter'; readonly printer: PrinterRecord }
  | { readonly kind: 'createdFilament'; readonly filament: FilamentRecord }
  | { readonly kind: 'createdJob'; readonly job: JobRecord }
  | { readonly kind: 'jobStatus'; readonly job: JobRecord; readonly status: JobStatus; readonly at: number }
  | { readonly kind: 'rejected'; readonly status: number; readonly code: string; readonly message: string };

export function rejected(status: number, code: string, message: string): Outcome {
  return { kind: 'rejected', status, code, message };
}

/**
 * The answer `outcome` stands for. The body is built on first use: every
 * replica applies every command, but only the node holding the client's
 * request reads it (views are immutable snapshots of values fixed at apply).
 */
export function render(outcome: Outcome): CommandResult {
  switch (outcome.kind) {
    case 'createdPrinter':
      return lazy(201, () => printerView(outcome.printer));
    case 'createdFilament':
      return lazy(201, () => filamentView(outcome.filament, outcome.filament.initialRemainingWeight));
    case 'createdJob':
      return lazy(201, () => printJobView(outcome.job, { status: 'Queued', updatedAt: outcome.job.createdAt }));
    case 'jobStatus':
      return lazy(200, () => printJobView(outcome.job, { status: outcome.status, updatedAt: outcome.at }));
    case 'rejected':
      return rejection(outcome.status, outcome.code, outcome.message);
  }
}

function lazy(status: number, build: () => unknown): CommandResult {
  let body: unknown;
  let built = false;
  return {
    status,
    get body(): unknown {
      if (!built) {
        body = build();
        built = true;
      }
      return body;
    },
  };
}
