// What apply decided, in a compact form that the idempotency table can keep for
// 100,000 keys and that renders back to the exact first answer. Entities are
// never deleted and their fields other than status, update time and remaining
// weight never change, so a reference plus those values is enough.
import { rejection, type CommandResult } from './command-result.js';
import type { FarmState } from './farm-state.js';
import type { JobStatus } from './field-rules.js';
import { filamentView, printJobView, printerView } from './views.js';

export type Outcome =
  | { readonly kind: 'createdPrinter'; readonly id: string }
  | { readonly kind: 'createdFilament'; readonly id: string }
  | { readonly kind: 'createdJob'; readonly id: string }
  | { readonly kind: 'jobStatus'; readonly id: string; readonly status: JobStatus; readonly at: number }
  | { readonly kind: 'rejected'; readonly status: number; readonly code: string; readonly message: string };

export function rejected(status: number, code: string, message: string): Outcome {
  return { kind: 'rejected', status, code, message };
}

/** The answer `outcome` stands for; the entities it refers to must exist in `state`. */
export function render(outcome: Outcome, state: FarmState): CommandResult {
  switch (outcome.kind) {
    case 'createdPrinter':
      return { status: 201, body: printerView(state.printers.get(outcome.id)!) };
    case 'createdFilament': {
      const f = state.filaments.get(outcome.id)!;
      return { status: 201, body: filamentView(f, f.initialRemainingWeight) };
    }
    case 'createdJob': {
      const j = state.jobs.get(outcome.id)!;
      return { status: 201, body: printJobView(j, { status: 'Queued', updatedAt: j.createdAt }) };
    }
    case 'jobStatus':
      return {
        status: 200,
        body: printJobView(state.jobs.get(outcome.id)!, { status: outcome.status, updatedAt: outcome.at }),
      };
    case 'rejected':
      return rejection(outcome.status, outcome.code, outcome.message);
  }
}
