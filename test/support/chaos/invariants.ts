// api.md §2's invariants on a final state, and I4 against what clients saw:
// every status a successful operation observed must lead, along the allowed
// arrows, to the job's final status.
import type { JobStatus } from '../linearizability/models/print-farm.js';
import type { FinalState } from './final-state.js';

const STATUSES: readonly string[] = ['Queued', 'Running', 'Done', 'Canceled'];

/** Statuses reachable from each status (itself included). */
const REACHABLE: Record<JobStatus, readonly JobStatus[]> = {
  Queued: ['Queued', 'Running', 'Done', 'Canceled'],
  Running: ['Running', 'Done', 'Canceled'],
  Done: ['Done'],
  Canceled: ['Canceled'],
};

export function isJobStatus(s: string): s is JobStatus {
  return STATUSES.includes(s);
}

/**
 * I1 (0 ≤ reserved ≤ remaining ≤ total) and I2 (remaining = initial − Σ Done)
 * per filament, plus known statuses and known filaments per job. `initial`
 * holds the initial remaining weight of every filament the test created.
 */
export function domainViolations(state: FinalState, initial: ReadonlyMap<string, number>): string[] {
  const out: string[] = [];
  const byFilament = new Map<string, { reserved: number; done: number }>();
  for (const f of state.filaments) byFilament.set(f.id, { reserved: 0, done: 0 });
  for (const j of state.jobs) {
    if (!isJobStatus(j.status)) out.push(`job ${j.id}: unknown status ${j.status}`);
    const sums = byFilament.get(j.filamentId);
    if (sums === undefined) {
      out.push(`job ${j.id}: filament ${j.filamentId} does not exist`);
      continue;
    }
    if (j.status === 'Queued' || j.status === 'Running') sums.reserved += j.weight;
    if (j.status === 'Done') sums.done += j.weight;
  }
  for (const f of state.filaments) {
    const { reserved, done } = byFilament.get(f.id)!;
    if (!(reserved >= 0 && reserved <= f.remaining && f.remaining <= f.total)) {
      out.push(`I1 filament ${f.id}: reserved ${reserved}, remaining ${f.remaining}, total ${f.total}`);
    }
    const start = initial.get(f.id);
    if (start === undefined) out.push(`filament ${f.id} was never created by the test`);
    else if (f.remaining !== start - done) out.push(`I2 filament ${f.id}: remaining ${f.remaining} ≠ ${start} − ${done} (Done)`);
  }
  return out;
}

/** I4: a status observed at any time must still lead to the final one. */
export function statusRegressions(state: FinalState, observed: Iterable<{ jobId: string; status: string; where: string }>): string[] {
  const finalOf = new Map(state.jobs.map((j) => [j.id, j.status]));
  const out: string[] = [];
  for (const o of observed) {
    const end = finalOf.get(o.jobId);
    if (end === undefined) {
      out.push(`job ${o.jobId} was seen ${o.status} (${o.where}) but is missing from the final state`);
    } else if (!isJobStatus(o.status) || !isJobStatus(end) || !REACHABLE[o.status].includes(end)) {
      out.push(`job ${o.jobId} was seen ${o.status} (${o.where}) and ended ${end}`);
    }
  }
  return out;
}
