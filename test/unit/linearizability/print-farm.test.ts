import { describe, test, expect } from '@jest/globals';
import { checkOperations, describeFailure } from '../../support/linearizability/checker.js';
import type { Operation } from '../../support/linearizability/model.js';
import { UNKNOWN } from '../../support/linearizability/model.js';
import {
  applyPrintFarm,
  printFarmModel,
  printFarmOutputFromHttp,
} from '../../support/linearizability/models/print-farm.js';
import type { JobStatus, PrintFarmInput, PrintFarmOutput } from '../../support/linearizability/models/print-farm.js';

type FarmOp = Operation<PrintFarmInput, PrintFarmOutput>;

const F = 'spool-1';
let nextClient = 0;
const op = (input: PrintFarmInput, output: PrintFarmOutput | typeof UNKNOWN, call: number, ret: number): FarmOp => ({
  client: nextClient++,
  input,
  output,
  call,
  ret: output === UNKNOWN ? Infinity : ret,
});
const createFilament = (call: number, ret: number, status = 201, total = 100, filamentId = F): FarmOp =>
  op({ kind: 'createFilament', filamentId, total }, { status }, call, ret);
const getFilament = (remaining: number | null, call: number, ret: number): FarmOp =>
  op({ kind: 'getFilament', filamentId: F }, remaining === null ? { status: 404 } : { status: 200, remaining }, call, ret);
const createJob = (jobId: string, weight: number, out: PrintFarmOutput | typeof UNKNOWN, call: number, ret: number, filamentId = F): FarmOp =>
  op({ kind: 'createJob', filamentId, jobId, weight }, out, call, ret);
const setStatus = (jobId: string, target: JobStatus, out: PrintFarmOutput | typeof UNKNOWN, call: number, ret: number): FarmOp =>
  op({ kind: 'setStatus', filamentId: F, jobId, target }, out, call, ret);
const getJob = (jobId: string, jobStatus: JobStatus | null, call: number, ret: number): FarmOp =>
  op({ kind: 'getJob', filamentId: F, jobId }, jobStatus === null ? { status: 404 } : { status: 200, jobStatus }, call, ret);
const listJobs = (jobs: [string, JobStatus][], call: number, ret: number): FarmOp =>
  op({ kind: 'listJobs', filamentId: F }, { status: 200, jobs: jobs.map(([id, status]) => ({ id, status })) }, call, ret);

const OK = { status: 200 } as const;
const created = { status: 201 } as const;
const insufficient = { status: 400, code: 'INSUFFICIENT_FILAMENT' } as const;
const invalid = { status: 400, code: 'INVALID_TRANSITION' } as const;
const done = { ...OK, jobStatus: 'Done' } as const;
const running = { ...OK, jobStatus: 'Running' } as const;

const verdict = (ops: FarmOp[]): string => checkOperations(printFarmModel, ops).result;

describe('print farm model (raft.md §5.10, api.md §2)', () => {
  test('two concurrent jobs that together overbook: one 201 and one 400 is legal', () => {
    const base = [createFilament(0, 1)];
    expect(verdict([...base, createJob('a', 60, created, 2, 5), createJob('b', 60, insufficient, 3, 6)])).toBe('ok');
    expect(verdict([...base, createJob('a', 60, insufficient, 2, 5), createJob('b', 60, created, 3, 6)])).toBe('ok');
  });

  test('overbooking (both accepted) is illegal, and so is refusing both', () => {
    const base = [createFilament(0, 1)];
    const r = checkOperations(printFarmModel, [...base, createJob('a', 60, created, 2, 5), createJob('b', 60, created, 3, 6)]);
    expect(r.result).toBe('illegal');
    expect(describeFailure(r)).toContain('reserved 60');
    expect(verdict([...base, createJob('a', 60, insufficient, 2, 5), createJob('b', 60, insufficient, 3, 6)])).toBe('illegal');
  });

  test('equality is allowed by the reservation rule', () => {
    expect(verdict([createFilament(0, 1), createJob('a', 40, created, 2, 3), createJob('b', 60, created, 4, 5)])).toBe('ok');
    expect(verdict([createFilament(0, 1), createJob('a', 40, created, 2, 3), createJob('b', 61, created, 4, 5)])).toBe(
      'illegal',
    );
  });

  test('the reservation counts Queued and Running jobs; Canceled releases it', () => {
    const base = [createFilament(0, 1), createJob('a', 60, created, 2, 3), setStatus('a', 'Running', running, 4, 5)];
    expect(verdict([...base, createJob('b', 50, insufficient, 6, 7)])).toBe('ok');
    expect(verdict([...base, createJob('b', 50, created, 6, 7)])).toBe('illegal');
    const canceled = setStatus('a', 'Canceled', { ...OK, jobStatus: 'Canceled' }, 6, 7);
    expect(verdict([...base, canceled, createJob('b', 100, created, 8, 9)])).toBe('ok');
  });

  test('Done subtracts the weight once, and the reservation ends', () => {
    const base = [
      createFilament(0, 1),
      createJob('a', 60, created, 2, 3),
      setStatus('a', 'Running', running, 4, 5),
      setStatus('a', 'Done', done, 6, 7),
    ];
    expect(verdict([...base, getFilament(40, 8, 9), createJob('b', 40, created, 10, 11)])).toBe('ok');
    expect(verdict([...base, getFilament(100, 8, 9)])).toBe('illegal');
    expect(verdict([...base, createJob('b', 41, created, 10, 11)])).toBe('illegal');
  });

  test('a double Done is illegal; one 200 and one INVALID_TRANSITION is legal', () => {
    const base = [createFilament(0, 1), createJob('a', 60, created, 2, 3), setStatus('a', 'Running', running, 4, 5)];
    expect(verdict([...base, setStatus('a', 'Done', done, 6, 9), setStatus('a', 'Done', done, 7, 10)])).toBe('illegal');
    expect(verdict([...base, setStatus('a', 'Done', done, 6, 9), setStatus('a', 'Done', invalid, 7, 10), getFilament(40, 11, 12)])).toBe(
      'ok',
    );
    expect(verdict([...base, setStatus('a', 'Done', done, 6, 9), setStatus('a', 'Done', invalid, 7, 10), getFilament(-20, 11, 12)])).toBe(
      'illegal',
    );
  });

  test('transitions follow the status machine', () => {
    const base = [createFilament(0, 1), createJob('a', 10, created, 2, 3)];
    expect(verdict([...base, setStatus('a', 'Done', invalid, 4, 5)])).toBe('ok');
    expect(verdict([...base, setStatus('a', 'Done', done, 4, 5)])).toBe('illegal');
    expect(verdict([...base, setStatus('a', 'Queued', invalid, 4, 5)])).toBe('ok');
    expect(verdict([...base, setStatus('missing', 'Running', { status: 404 }, 4, 5)])).toBe('ok');
    expect(verdict([...base, setStatus('a', 'Running', { status: 404 }, 4, 5)])).toBe('illegal');
  });

  test('a stale read after a write completed is illegal; a concurrent one is legal', () => {
    const base = [createFilament(0, 1), createJob('a', 10, created, 2, 3), setStatus('a', 'Running', running, 10, 12)];
    expect(verdict([...base, getJob('a', 'Queued', 13, 14)])).toBe('illegal');
    expect(verdict([...base, getJob('a', 'Queued', 11, 14)])).toBe('ok');
    expect(verdict([...base, getJob('a', 'Running', 13, 14)])).toBe('ok');
    expect(verdict([...base, listJobs([['a', 'Queued']], 13, 14)])).toBe('illegal');
  });

  test('filament creation: 201 then 409; two 201s are illegal', () => {
    expect(verdict([createFilament(0, 2), createFilament(1, 3, 409), getFilament(100, 4, 5)])).toBe('ok');
    expect(verdict([createFilament(0, 2), createFilament(1, 3)])).toBe('illegal');
    expect(verdict([getFilament(null, 0, 1), createFilament(2, 3), getFilament(null, 4, 5)])).toBe('illegal');
  });

  test('a job on an absent filament is refused with UNKNOWN_FILAMENT; a duplicate id with 409', () => {
    const unknownFilament = { status: 400, code: 'UNKNOWN_FILAMENT' };
    expect(verdict([createJob('a', 10, unknownFilament, 0, 1), createFilament(2, 3)])).toBe('ok');
    expect(verdict([createFilament(0, 3), createJob('a', 10, unknownFilament, 1, 2)])).toBe('ok');
    expect(verdict([createFilament(0, 1), createJob('a', 10, unknownFilament, 2, 3)])).toBe('illegal');
    expect(verdict([createFilament(0, 1), createJob('a', 10, created, 2, 3), createJob('a', 10, { status: 409 }, 4, 5)])).toBe('ok');
    expect(verdict([createFilament(0, 1), createJob('a', 10, created, 2, 3), createJob('a', 10, created, 4, 5)])).toBe('illegal');
  });

  test('an unknown job creation may appear later, but cannot disappear once seen', () => {
    const base = [createFilament(0, 1), createJob('a', 10, UNKNOWN, 2, 0)];
    expect(verdict([...base, listJobs([], 3, 4), listJobs([['a', 'Queued']], 5, 6)])).toBe('ok');
    expect(verdict([...base, listJobs([], 3, 4), listJobs([], 5, 6)])).toBe('ok');
    expect(verdict([...base, listJobs([['a', 'Queued']], 3, 4), getJob('a', null, 5, 6)])).toBe('illegal');
  });

  test('partitions by filament, so each filament is checked on its own', () => {
    const other = 'spool-2';
    const ops = [
      createFilament(0, 1),
      createFilament(0, 1, 201, 50, other),
      createJob('a', 60, created, 2, 3),
      createJob('b', 60, { status: 400, code: 'INSUFFICIENT_FILAMENT' }, 2, 3, other),
    ];
    const r = checkOperations(printFarmModel, ops);
    expect(r.result).toBe('ok');
    expect(r.partitions.map((p) => p.operations)).toEqual([2, 2]);
  });

  test('outputs are read from the HTTP status and body', () => {
    const job = { kind: 'getJob', filamentId: F, jobId: 'a' } as const;
    expect(printFarmOutputFromHttp(job, 200, { id: 'a', status: 'Running', filament_id: F })).toEqual(running);
    expect(printFarmOutputFromHttp(job, 404, { error: 'no such job', code: 'NOT_FOUND' })).toEqual({ status: 404 });
    expect(printFarmOutputFromHttp({ kind: 'getFilament', filamentId: F }, 200, { remaining_weight_in_grams: 7 })).toEqual({
      status: 200,
      remaining: 7,
    });
    expect(
      printFarmOutputFromHttp({ kind: 'createJob', filamentId: F, jobId: 'a', weight: 5 }, 400, {
        error: 'not enough',
        code: 'INSUFFICIENT_FILAMENT',
      }),
    ).toEqual(insufficient);
    expect(
      printFarmOutputFromHttp({ kind: 'listJobs', filamentId: F }, 200, [
        { id: 'a', status: 'Queued', print_weight_in_grams: 5 },
        { id: 'b', status: 'Done' },
      ]),
    ).toEqual({ status: 200, jobs: [{ id: 'a', status: 'Queued' }, { id: 'b', status: 'Done' }] });
  });

  test('a predicted field missing from the observed output is a mismatch', () => {
    const state = applyPrintFarm({ filament: null, jobs: [] }, { kind: 'createFilament', filamentId: F, total: 100, remaining: 30 }).next;
    expect(applyPrintFarm(state, { kind: 'getFilament', filamentId: F }).output).toEqual({ status: 200, remaining: 30 });
    expect(verdict([createFilament(0, 1), op({ kind: 'getFilament', filamentId: F }, { status: 200 }, 2, 3)])).toBe('illegal');
  });
});
