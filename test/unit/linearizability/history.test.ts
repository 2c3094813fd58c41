import { describe, test, expect } from '@jest/globals';
import { checkOperations } from '../../support/linearizability/checker.js';
import {
  buildHistory,
  classifyAttempt,
  classifyHttpOutcome,
  mergeAttempts,
  shrinkUnknownWrites,
} from '../../support/linearizability/history.js';
import type { HttpResult, RecordedRequest } from '../../support/linearizability/history.js';
import { UNKNOWN } from '../../support/linearizability/model.js';
import { printFarmModel, printFarmOutputFromHttp } from '../../support/linearizability/models/print-farm.js';
import type { PrintFarmInput, PrintFarmOutput } from '../../support/linearizability/models/print-farm.js';

const resp = (status: number, code?: string, body?: unknown): HttpResult =>
  code === undefined ? { kind: 'response', status, body } : { kind: 'response', status, code, body };
const timeout: HttpResult = { kind: 'error', error: 'timeout' };
const reset: HttpResult = { kind: 'error', error: 'reset' };
const refused: HttpResult = { kind: 'error', error: 'refused' };

describe('classifying HTTP outcomes (raft.md §5.2)', () => {
  test.each<[string, string, HttpResult]>([
    ['201', 'ok', resp(201)],
    ['200', 'ok', resp(200)],
    ['400 VALIDATION_FAILED', 'failed', resp(400, 'VALIDATION_FAILED')],
    ['400 without a code', 'failed', resp(400)],
    ['400 UNKNOWN_PRINTER', 'ok', resp(400, 'UNKNOWN_PRINTER')],
    ['400 UNKNOWN_FILAMENT', 'ok', resp(400, 'UNKNOWN_FILAMENT')],
    ['400 INSUFFICIENT_FILAMENT', 'ok', resp(400, 'INSUFFICIENT_FILAMENT')],
    ['400 INVALID_TRANSITION', 'ok', resp(400, 'INVALID_TRANSITION')],
    ['404 NOT_FOUND', 'ok', resp(404, 'NOT_FOUND')],
    ['409 ALREADY_EXISTS', 'ok', resp(409, 'ALREADY_EXISTS')],
    ['405', 'failed', resp(405)],
    ['413', 'failed', resp(413)],
    ['422 IDEMPOTENCY_KEY_REUSED', 'failed', resp(422, 'IDEMPOTENCY_KEY_REUSED')],
    ['503 NO_LEADER', 'unknown', resp(503, 'NO_LEADER')],
    ['503 never proposed', 'failed', { kind: 'response', status: 503, code: 'NO_LEADER', notProposed: true }],
    ['500', 'unknown', resp(500)],
    ['502', 'unknown', resp(502)],
    ['504', 'unknown', resp(504)],
    ['timeout', 'unknown', timeout],
    ['connection reset', 'unknown', reset],
    ['connection refused', 'failed', refused],
  ])('%s → %s', (_name, kind, result) => {
    expect(classifyHttpOutcome(result)).toBe(kind);
  });

  test('refusals before sending differ from rejections by the server', () => {
    expect(classifyAttempt(refused)).toBe('not-sent');
    expect(classifyAttempt({ kind: 'response', status: 503, notProposed: true })).toBe('not-sent');
    expect(classifyAttempt(resp(400, 'VALIDATION_FAILED'))).toBe('rejected');
  });
});

describe('merging retries that share an Idempotency-Key', () => {
  test('the first definite answer decides; call is the first attempt', () => {
    const m = mergeAttempts([
      { call: 0, ret: 10, result: timeout },
      { call: 11, ret: 15, result: resp(201, undefined, { id: 'j1' }) },
      { call: 16, ret: 20, result: resp(201, undefined, { id: 'j1' }) },
    ]);
    expect(m).toEqual({ outcome: { kind: 'ok', call: 0, ret: 15, response: { status: 201, body: { id: 'j1' } } } });
  });

  test('without a definite answer: unknown if any attempt may have arrived, else failed', () => {
    expect(mergeAttempts([{ call: 0, ret: 1, result: timeout }, { call: 2, ret: 3, result: refused }]).outcome).toEqual({
      kind: 'unknown',
      call: 0,
    });
    expect(mergeAttempts([{ call: 0, ret: 1, result: refused }, { call: 2, ret: 3, result: refused }]).outcome).toEqual({
      kind: 'failed',
      call: 0,
    });
    expect(mergeAttempts([{ call: 0, ret: 1, result: reset }, { call: 2, ret: 3, result: resp(503, 'NO_LEADER') }]).outcome.kind).toBe(
      'unknown',
    );
  });

  test('a state-independent rejection means no attempt took effect', () => {
    const m = mergeAttempts([{ call: 0, ret: 1, result: timeout }, { call: 2, ret: 3, result: resp(400, 'VALIDATION_FAILED') }]);
    expect(m.outcome).toEqual({ kind: 'failed', call: 0 });
  });

  test('answers that disagree are reported: the retry acted twice', () => {
    const m = mergeAttempts([
      { call: 0, ret: 5, result: resp(201, undefined, { id: 'j1' }) },
      { call: 6, ret: 8, result: resp(409, 'ALREADY_EXISTS') },
    ]);
    expect(m.outcome.kind).toBe('ok');
    expect(m.conflict).toEqual({ first: { status: 201, body: { id: 'j1' } }, other: { status: 409, code: 'ALREADY_EXISTS' } });
  });
});

type Req = RecordedRequest<PrintFarmInput>;
const F = 'f1';
const toOutput = (input: PrintFarmInput, r: { status: number; body?: unknown }): PrintFarmOutput =>
  printFarmOutputFromHttp(input, r.status, r.body);

describe('building a history from recorded requests', () => {
  const createF: Req = { client: 'c0', input: { kind: 'createFilament', filamentId: F, total: 100 }, access: 'write', call: 0, ret: 1, result: resp(201) };
  const jobA = { kind: 'createJob', filamentId: F, jobId: 'a', weight: 10 } as const;

  test('retries merge, unknown writes get ret = ∞, unanswered reads and failed writes are dropped', () => {
    const requests: Req[] = [
      createF,
      { client: 'c1', input: jobA, access: 'write', idempotencyKey: 'k1', call: 2, ret: 4, result: timeout },
      { client: 'c1', input: jobA, access: 'write', idempotencyKey: 'k1', call: 5, ret: 6, result: resp(201) },
      { client: 'c2', input: { ...jobA, jobId: 'b' }, access: 'write', idempotencyKey: 'k2', call: 3, ret: 9, result: reset },
      { client: 'c3', input: { kind: 'getFilament', filamentId: F }, access: 'read', call: 3, ret: 7, result: timeout },
      { client: 'c4', input: { ...jobA, jobId: 'c' }, access: 'write', call: 4, ret: 5, result: resp(400, 'VALIDATION_FAILED') },
      { client: 'c5', input: { kind: 'getFilament', filamentId: F }, access: 'read', call: 8, ret: 9, result: resp(200, undefined, { remaining_weight_in_grams: 100 }) },
    ];
    const h = buildHistory(requests, toOutput);
    expect(h.dropped).toBe(2);
    expect(h.conflicts).toEqual([]);
    expect(h.operations).toEqual([
      { client: 'c0', input: createF.input, output: { status: 201 }, call: 0, ret: 1 },
      { client: 'c1', input: jobA, output: { status: 201 }, call: 2, ret: 6 },
      { client: 'c2', input: { ...jobA, jobId: 'b' }, output: UNKNOWN, call: 3, ret: Infinity },
      { client: 'c5', input: { kind: 'getFilament', filamentId: F }, output: { status: 200, remaining: 100 }, call: 8, ret: 9 },
    ]);
    expect(checkOperations(printFarmModel, h.operations).result).toBe('ok');
  });

  test('a key shared by different clients is a test bug', () => {
    const a: Req = { client: 'c1', input: jobA, access: 'write', idempotencyKey: 'k', call: 0, ret: 1, result: timeout };
    expect(() => buildHistory([a, { ...a, client: 'c2' }], toOutput)).toThrow(RangeError);
  });

  test('conflicting retries are collected', () => {
    const a: Req = { client: 'c1', input: jobA, access: 'write', idempotencyKey: 'k', call: 0, ret: 1, result: resp(201) };
    const h = buildHistory([createF, a, { ...a, call: 2, ret: 3, result: resp(409, 'ALREADY_EXISTS') }], toOutput);
    expect(h.conflicts).toEqual([{ idempotencyKey: 'k', input: jobA, first: { status: 201 }, other: { status: 409, code: 'ALREADY_EXISTS' } }]);
  });
});

describe('shrinking unknown writes with the final state (raft.md §5.3)', () => {
  type FarmOp = { client: number; input: PrintFarmInput; output: PrintFarmOutput | typeof UNKNOWN; call: number; ret: number };
  const created = (jobId: string, call: number): FarmOp => ({
    client: call,
    input: { kind: 'createJob', filamentId: F, jobId, weight: 10 },
    output: UNKNOWN,
    call,
    ret: Infinity,
  });
  const list = (ids: string[], call: number, ret: number): FarmOp => ({
    client: 100 + call,
    input: { kind: 'listJobs', filamentId: F },
    output: { status: 200, jobs: ids.map((id) => ({ id, status: 'Queued' })) },
    call,
    ret,
  });
  const opts = {
    writeIdOf: (op: FarmOp) => (op.input.kind === 'createJob' ? op.input.jobId : undefined),
    successOutput: (): PrintFarmOutput => ({ status: 201 }),
    observedIds: (op: FarmOp) => (op.output !== UNKNOWN && op.output.jobs ? op.output.jobs.map((j) => j.id) : []),
  };

  test('absent ids are dropped; present ones succeed and return by their first observer', () => {
    const ops = [created('a', 2), created('b', 3), created('c', 4), list(['a'], 5, 9), list(['a'], 6, 7)];
    const s = shrinkUnknownWrites(ops, { ...opts, applied: new Set(['a', 'c']) });
    expect([s.dropped, s.resolved]).toEqual([1, 2]);
    expect(s.operations.map((o) => [o.input.kind === 'createJob' ? o.input.jobId : 'list', o.output, o.ret])).toEqual([
      ['a', { status: 201 }, 7],
      ['c', { status: 201 }, Infinity],
      ['list', { status: 200, jobs: [{ id: 'a', status: 'Queued' }] }, 9],
      ['list', { status: 200, jobs: [{ id: 'a', status: 'Queued' }] }, 7],
    ]);
  });

  test('an observer that returned before the call keeps ret at the call, and the checker rejects it', () => {
    const filament: FarmOp = { client: 9, input: { kind: 'createFilament', filamentId: F, total: 100 }, output: { status: 201 }, call: 0, ret: 1 };
    const ops = [filament, list(['a'], 2, 3), created('a', 5)];
    const s = shrinkUnknownWrites(ops, { ...opts, applied: new Set(['a']) });
    expect(s.operations[2]).toMatchObject({ output: { status: 201 }, call: 5, ret: 5 });
    expect(checkOperations(printFarmModel, s.operations).result).toBe('illegal');
  });
});
