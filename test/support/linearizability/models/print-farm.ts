// The Raft3D domain per filament (raft.md §5.10, api.md §2): a partition holds one filament's
// create and reads and every create, status change and read of the jobs that use it. Job ids
// must be unique across the test (client-supplied), so that a job id never appears under two
// filaments: the partition of a job is the filament named in its create request.

import type { Model, Operation } from '../model.js';
import { isUnknown, partitionBy } from '../model.js';

export type JobStatus = 'Queued' | 'Running' | 'Done' | 'Canceled';

export type PrintFarmInput =
  | { kind: 'createFilament'; filamentId: string; total: number; remaining?: number }
  | { kind: 'getFilament'; filamentId: string }
  | { kind: 'createJob'; filamentId: string; jobId: string; weight: number }
  | { kind: 'setStatus'; filamentId: string; jobId: string; target: JobStatus }
  | { kind: 'getJob'; filamentId: string; jobId: string }
  | { kind: 'listJobs'; filamentId: string };

export type RefusalCode = 'UNKNOWN_FILAMENT' | 'INSUFFICIENT_FILAMENT' | 'INVALID_TRANSITION';

/**
 * The HTTP status and the body fields the model can predict: `code` on a 400, the filament's
 * `remaining` on a 200 get filament, the job's `jobStatus` on a 200 get job or status change, and
 * `jobs` (id order, as the API returns them) on a list. A field the model predicts must be present.
 */
export interface PrintFarmOutput {
  status: number;
  code?: string;
  remaining?: number;
  jobStatus?: string;
  jobs?: ReadonlyArray<{ id: string; status: string }>;
}

interface FarmJob {
  readonly id: string;
  readonly weight: number;
  readonly status: JobStatus;
}

export interface PrintFarmState {
  readonly filament: { readonly total: number; readonly remaining: number } | null;
  /** Sorted by id. */
  readonly jobs: readonly FarmJob[];
}

const ALLOWED: Record<JobStatus, readonly JobStatus[]> = {
  Queued: ['Running', 'Canceled'],
  Running: ['Done', 'Canceled'],
  Done: [],
  Canceled: [],
};

/** What the state machine answers and the state after it: api.md §2, in apply order. */
export function applyPrintFarm(
  state: PrintFarmState,
  input: PrintFarmInput,
): { output: PrintFarmOutput; next: PrintFarmState } {
  switch (input.kind) {
    case 'createFilament': {
      if (state.filament !== null) return { output: { status: 409 }, next: state };
      const filament = { total: input.total, remaining: input.remaining ?? input.total };
      return { output: { status: 201 }, next: { filament, jobs: state.jobs } };
    }
    case 'getFilament':
      return state.filament === null
        ? { output: { status: 404 }, next: state }
        : { output: { status: 200, remaining: state.filament.remaining }, next: state };
    case 'createJob': {
      if (findJob(state, input.jobId) >= 0) return { output: { status: 409 }, next: state };
      if (state.filament === null) return refuse(state, 'UNKNOWN_FILAMENT');
      if (input.weight > state.filament.remaining - reserved(state)) return refuse(state, 'INSUFFICIENT_FILAMENT');
      const job: FarmJob = { id: input.jobId, weight: input.weight, status: 'Queued' };
      return { output: { status: 201 }, next: { filament: state.filament, jobs: insertSorted(state.jobs, job) } };
    }
    case 'setStatus': {
      const at = findJob(state, input.jobId);
      if (at < 0) return { output: { status: 404 }, next: state };
      const job = state.jobs[at]!;
      if (!ALLOWED[job.status].includes(input.target)) return refuse(state, 'INVALID_TRANSITION');
      const jobs = state.jobs.slice();
      jobs[at] = { ...job, status: input.target };
      const filament = state.filament!;
      const remaining = input.target === 'Done' ? filament.remaining - job.weight : filament.remaining;
      return {
        output: { status: 200, jobStatus: input.target },
        next: { filament: { total: filament.total, remaining }, jobs },
      };
    }
    case 'getJob': {
      const at = findJob(state, input.jobId);
      return at < 0
        ? { output: { status: 404 }, next: state }
        : { output: { status: 200, jobStatus: state.jobs[at]!.status }, next: state };
    }
    case 'listJobs':
      return { output: { status: 200, jobs: state.jobs.map((j) => ({ id: j.id, status: j.status })) }, next: state };
  }
}

export function samePrintFarmOutput(expected: PrintFarmOutput, observed: PrintFarmOutput): boolean {
  if (expected.status !== observed.status) return false;
  if (expected.code !== undefined && expected.code !== observed.code) return false;
  if (expected.remaining !== undefined && expected.remaining !== observed.remaining) return false;
  if (expected.jobStatus !== undefined && expected.jobStatus !== observed.jobStatus) return false;
  if (expected.jobs !== undefined) {
    const seen = observed.jobs;
    if (seen === undefined || seen.length !== expected.jobs.length) return false;
    for (let i = 0; i < seen.length; i++) {
      if (seen[i]!.id !== expected.jobs[i]!.id || seen[i]!.status !== expected.jobs[i]!.status) return false;
    }
  }
  return true;
}

export const printFarmModel: Model<PrintFarmState, PrintFarmInput, PrintFarmOutput> = {
  partition: (ops: Operation<PrintFarmInput, PrintFarmOutput>[]) => partitionBy(ops, (op) => op.input.filamentId),
  init: () => ({ filament: null, jobs: [] }),
  step(state, input, output) {
    const { output: expected, next } = applyPrintFarm(state, input);
    return { ok: isUnknown(output) || samePrintFarmOutput(expected, output), next };
  },
  key: (state) =>
    state.filament === null
      ? '-'
      : JSON.stringify([state.filament.total, state.filament.remaining, ...state.jobs.flatMap((j) => [j.id, j.weight, j.status])]),
  describe(input, output) {
    const out = isUnknown(output) ? '?' : describeOutput(output);
    switch (input.kind) {
      case 'createFilament':
        return `create filament ${input.filamentId} (total ${input.total}, remaining ${input.remaining ?? input.total}) → ${out}`;
      case 'getFilament':
        return `get filament ${input.filamentId} → ${out}`;
      case 'createJob':
        return `create job ${input.jobId} (${input.weight} g of ${input.filamentId}) → ${out}`;
      case 'setStatus':
        return `set job ${input.jobId} to ${input.target} → ${out}`;
      case 'getJob':
        return `get job ${input.jobId} → ${out}`;
      case 'listJobs':
        return `list jobs of ${input.filamentId} → ${out}`;
    }
  },
  describeState(state) {
    if (state.filament === null) return 'no filament';
    const jobs = state.jobs.map((j) => `${j.id}:${j.weight}g:${j.status}`).join(', ');
    return `remaining ${state.filament.remaining}/${state.filament.total}, reserved ${reserved(state)}; jobs [${jobs}]`;
  },
};

/**
 * The model output of an HTTP response (status and parsed JSON body) to a request of this kind,
 * keeping only the fields the model predicts.
 */
export function printFarmOutputFromHttp(input: PrintFarmInput, status: number, body: unknown): PrintFarmOutput {
  const out: PrintFarmOutput = { status };
  const fields = isRecord(body) ? body : {};
  if (status === 400 && typeof fields['code'] === 'string') out.code = fields['code'];
  if (status !== 200) return out;
  if (input.kind === 'getFilament' && typeof fields['remaining_weight_in_grams'] === 'number') {
    out.remaining = fields['remaining_weight_in_grams'];
  }
  if ((input.kind === 'getJob' || input.kind === 'setStatus') && typeof fields['status'] === 'string') {
    out.jobStatus = fields['status'];
  }
  if (input.kind === 'listJobs' && Array.isArray(body)) {
    out.jobs = body.filter(isRecord).map((j) => ({ id: String(j['id']), status: String(j['status']) }));
  }
  return out;
}

function describeOutput(o: PrintFarmOutput): string {
  const parts = [String(o.status)];
  if (o.code !== undefined) parts.push(o.code);
  if (o.remaining !== undefined) parts.push(`remaining ${o.remaining}`);
  if (o.jobStatus !== undefined) parts.push(o.jobStatus);
  if (o.jobs !== undefined) parts.push(`[${o.jobs.map((j) => `${j.id}:${j.status}`).join(', ')}]`);
  return parts.join(' ');
}

function refuse(state: PrintFarmState, code: RefusalCode): { output: PrintFarmOutput; next: PrintFarmState } {
  return { output: { status: 400, code }, next: state };
}

function reserved(state: PrintFarmState): number {
  let sum = 0;
  for (const j of state.jobs) if (j.status === 'Queued' || j.status === 'Running') sum += j.weight;
  return sum;
}

function findJob(state: PrintFarmState, id: string): number {
  let lo = 0;
  let hi = state.jobs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = state.jobs[mid]!.id;
    if (at === id) return mid;
    if (at < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function insertSorted(jobs: readonly FarmJob[], job: FarmJob): FarmJob[] {
  let at = 0;
  while (at < jobs.length && jobs[at]!.id < job.id) at++;
  return [...jobs.slice(0, at), job, ...jobs.slice(at)];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
