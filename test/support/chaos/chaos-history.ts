// From recorded attempts to the history the checker gets (raft.md §5.2–§5.3),
// with the print farm's own ways of proving what an unknown write did:
// - a create (filament or job, client-chosen unique ids) happened iff its id
//   is in the final state;
// - statuses only move forward, so the final status tells whether a
//   transition into T happened (Done implies Running; Canceled leaves Running
//   open), and at most one operation can ever move a job into T: when one got
//   a 200, every unknown one with the same target did nothing.
import type { Operation } from '../linearizability/model.js';
import { isUnknown } from '../linearizability/model.js';
import { buildHistory, shrinkUnknownWrites, type RetryConflict } from '../linearizability/history.js';
import { printFarmOutputFromHttp, type JobStatus, type PrintFarmInput, type PrintFarmOutput } from '../linearizability/models/print-farm.js';
import type { FinalState } from './final-state.js';
import type { ChaosRequest } from './workload.js';

export type FarmOperation = Operation<PrintFarmInput, PrintFarmOutput>;

export interface ChaosHistory {
  readonly operations: FarmOperation[];
  /** Failed writes and unanswered reads left out (§5.2). */
  readonly dropped: number;
  /** Retries whose definite answers disagree (C3: must be empty). */
  readonly conflicts: RetryConflict<PrintFarmInput>[];
  /** Unknown writes proven to have had no effect / proven to have taken effect / left unknown. */
  readonly shrink: { readonly dropped: number; readonly resolved: number; readonly unknown: number };
}

type Fate = 'happened' | 'not' | 'maybe';

/** Whether a transition into `target` happened, from the job's final status (undefined: no such job). */
export function transitionFate(finalStatus: string | undefined, target: JobStatus): Fate {
  switch (finalStatus) {
    case 'Running':
      return target === 'Running' ? 'happened' : 'not';
    case 'Done':
      return target === 'Canceled' ? 'not' : 'happened';
    case 'Canceled':
      return target === 'Canceled' ? 'happened' : target === 'Running' ? 'maybe' : 'not';
    default:
      return 'not';
  }
}

/** Ids of effects that a completed operation saw: `filament:F`, `job:J`, `status:J:T`. */
export function observedEffects(op: FarmOperation): string[] {
  const out = op.output;
  if (isUnknown(out)) return [];
  const input = op.input;
  const seen: string[] = [];
  const sawStatus = (jobId: string, status: string): void => {
    seen.push(`job:${jobId}`);
    if (status === 'Running' || status === 'Done') seen.push(`status:${jobId}:Running`);
    if (status === 'Done' || status === 'Canceled') seen.push(`status:${jobId}:${status}`);
  };
  switch (input.kind) {
    case 'getFilament':
      if (out.status === 200) seen.push(`filament:${input.filamentId}`);
      break;
    case 'createJob':
      if (out.status === 201 || out.code === 'INSUFFICIENT_FILAMENT') seen.push(`filament:${input.filamentId}`);
      break;
    case 'getJob':
      if (out.status === 200 && out.jobStatus !== undefined) sawStatus(input.jobId, out.jobStatus);
      break;
    case 'listJobs':
      for (const j of out.jobs ?? []) sawStatus(j.id, j.status);
      if ((out.jobs ?? []).length > 0) seen.push(`filament:${input.filamentId}`);
      break;
    case 'setStatus':
      if (out.status === 200) {
        seen.push(`job:${input.jobId}`);
        if (input.target === 'Done') seen.push(`status:${input.jobId}:Running`);
      } else if (out.code === 'INVALID_TRANSITION') seen.push(`job:${input.jobId}`);
      break;
    case 'createFilament':
      break;
  }
  return seen;
}

/** Job statuses that completed operations reported, for I4 against the final state. */
export function observedStatuses(ops: readonly FarmOperation[]): { jobId: string; status: string; where: string }[] {
  const out: { jobId: string; status: string; where: string }[] = [];
  for (const op of ops) {
    if (isUnknown(op.output) || op.output.status !== 200) continue;
    const where = `client ${String(op.client)}, ${op.input.kind} at ${op.call.toFixed(1)}`;
    if ((op.input.kind === 'getJob' || op.input.kind === 'setStatus') && op.output.jobStatus !== undefined) {
      out.push({ jobId: op.input.jobId, status: op.output.jobStatus, where });
    }
    if (op.input.kind === 'listJobs') for (const j of op.output.jobs ?? []) out.push({ jobId: j.id, status: j.status, where });
  }
  return out;
}

export function chaosHistory(requests: readonly ChaosRequest[], final: FinalState): ChaosHistory {
  const built = buildHistory(requests, (input, response) => printFarmOutputFromHttp(input, response.status, response.body));
  const finalStatus = new Map(final.jobs.map((j) => [j.id, j.status]));
  const transitionKey = (op: FarmOperation): string | undefined =>
    op.input.kind === 'setStatus' ? `status:${op.input.jobId}:${op.input.target}` : undefined;

  const succeeded = new Set<string>();
  for (const op of built.operations) {
    const key = transitionKey(op);
    if (key !== undefined && !isUnknown(op.output) && op.output.status === 200) succeeded.add(key);
  }
  let noEffect = 0;
  const kept = built.operations.filter((op) => {
    if (!isUnknown(op.output) || op.input.kind !== 'setStatus') return true;
    const fate = transitionFate(finalStatus.get(op.input.jobId), op.input.target);
    if (fate === 'not' || succeeded.has(transitionKey(op)!)) {
      noEffect++;
      return false;
    }
    return true;
  });
  const candidates = new Map<string, number>();
  for (const op of kept) {
    const key = transitionKey(op);
    if (key !== undefined && isUnknown(op.output)) candidates.set(key, (candidates.get(key) ?? 0) + 1);
  }

  const applied = new Set<string>();
  for (const f of final.filaments) applied.add(`filament:${f.id}`);
  for (const j of final.jobs) {
    applied.add(`job:${j.id}`);
    for (const target of ['Running', 'Done', 'Canceled'] as const) {
      if (transitionFate(j.status, target) === 'happened') applied.add(`status:${j.id}:${target}`);
    }
  }
  const shrunk = shrinkUnknownWrites(kept, {
    writeIdOf(op) {
      const input = op.input;
      if (input.kind === 'createFilament') return `filament:${input.filamentId}`;
      if (input.kind === 'createJob') return `job:${input.jobId}`;
      if (input.kind !== 'setStatus') return undefined;
      const key = transitionKey(op)!;
      // Only a single candidate can be credited with a transition that happened.
      return transitionFate(finalStatus.get(input.jobId), input.target) === 'happened' && candidates.get(key) === 1 ? key : undefined;
    },
    applied,
    successOutput(op): PrintFarmOutput {
      return op.input.kind === 'setStatus' ? { status: 200, jobStatus: op.input.target } : { status: 201 };
    },
    observedIds: observedEffects,
  });
  const unknown = shrunk.operations.filter((op) => isUnknown(op.output)).length;
  return {
    operations: shrunk.operations,
    dropped: built.dropped,
    conflicts: built.conflicts,
    shrink: { dropped: noEffect + shrunk.dropped, resolved: shrunk.resolved, unknown },
  };
}
