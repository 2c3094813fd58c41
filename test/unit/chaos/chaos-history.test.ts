import { describe, test, expect } from '@jest/globals';
import { chaosHistory, observedStatuses, transitionFate } from '../../support/chaos/chaos-history.js';
import type { FinalState } from '../../support/chaos/final-state.js';
import { domainViolations, statusRegressions } from '../../support/chaos/invariants.js';
import { outcomeCounts, unexpectedAnswers } from '../../support/chaos/outcomes.js';
import type { ChaosRequest } from '../../support/chaos/workload.js';
import { checkOperations } from '../../support/linearizability/checker.js';
import type { HttpResult } from '../../support/linearizability/history.js';
import { UNKNOWN } from '../../support/linearizability/model.js';
import { printFarmModel, type PrintFarmInput } from '../../support/linearizability/models/print-farm.js';

const F = 'f0';
const createF: PrintFarmInput = { kind: 'createFilament', filamentId: F, total: 1000 };
const createJ1: PrintFarmInput = { kind: 'createJob', filamentId: F, jobId: 'j1', weight: 100 };
const toRunning: PrintFarmInput = { kind: 'setStatus', filamentId: F, jobId: 'j1', target: 'Running' };
const toDone: PrintFarmInput = { kind: 'setStatus', filamentId: F, jobId: 'j1', target: 'Done' };
const getJ1: PrintFarmInput = { kind: 'getJob', filamentId: F, jobId: 'j1' };
const getF: PrintFarmInput = { kind: 'getFilament', filamentId: F };

const ok = (status: number, body: unknown = null): HttpResult => {
  const code = typeof body === 'object' && body !== null && 'code' in body ? String(body.code) : undefined;
  return code === undefined ? { kind: 'response', status, body } : { kind: 'response', status, code, body };
};
const timeout: HttpResult = { kind: 'error', error: 'timeout' };

function req(client: number, input: PrintFarmInput, call: number, ret: number, result: HttpResult, key?: string): ChaosRequest {
  const write = input.kind === 'createFilament' || input.kind === 'createJob' || input.kind === 'setStatus';
  const base = { client, input, access: write ? ('write' as const) : ('read' as const), node: 'node1', call, ret, result };
  return key === undefined ? base : { ...base, idempotencyKey: key };
}

function finalState(remaining: number, jobs: { id: string; status: string; weight?: number }[]): FinalState {
  return {
    filaments: [{ id: F, total: 1000, remaining }],
    jobs: jobs.map((j) => ({ id: j.id, filamentId: F, weight: j.weight ?? 100, status: j.status })),
    raw: '',
  };
}

describe('transitionFate', () => {
  test('follows the status arrows from the final status', () => {
    expect(['Running', 'Done', 'Canceled'].map((t) => transitionFate('Queued', t as 'Running'))).toEqual(['not', 'not', 'not']);
    expect(['Running', 'Done', 'Canceled'].map((t) => transitionFate('Running', t as 'Running'))).toEqual(['happened', 'not', 'not']);
    expect(['Running', 'Done', 'Canceled'].map((t) => transitionFate('Done', t as 'Running'))).toEqual(['happened', 'happened', 'not']);
    expect(['Running', 'Done', 'Canceled'].map((t) => transitionFate('Canceled', t as 'Running'))).toEqual(['maybe', 'not', 'happened']);
    expect(transitionFate(undefined, 'Running')).toBe('not');
  });
});

describe('chaosHistory', () => {
  test('retries with one key are one operation: first call, the definite answer', () => {
    const h = chaosHistory(
      [req(0, createF, 0, 1, ok(201), 'a'), req(0, createJ1, 2, 5, timeout, 'b'), req(0, createJ1, 6, 8, ok(201), 'b')],
      finalState(1000, [{ id: 'j1', status: 'Queued' }]),
    );
    expect(h.operations.map((o) => [o.input.kind, o.call, o.ret, o.output])).toEqual([
      ['createFilament', 0, 1, { status: 201 }],
      ['createJob', 2, 8, { status: 201 }],
    ]);
    expect(h.conflicts).toEqual([]);
  });

  test('an unknown create is dropped when its id is absent and resolved, capped at its first observer, when present', () => {
    const createJ2: PrintFarmInput = { kind: 'createJob', filamentId: F, jobId: 'j2', weight: 100 };
    const h = chaosHistory(
      [
        req(0, createF, 0, 1, ok(201), 'a'),
        req(1, createJ1, 2, 5, timeout, 'b'),
        req(2, createJ2, 2, 5, timeout, 'c'),
        req(3, getJ1, 10, 12, ok(200, { id: 'j1', status: 'Queued' })),
        req(3, getJ1, 20, 22, ok(200, { id: 'j1', status: 'Queued' })),
      ],
      finalState(1000, [{ id: 'j1', status: 'Queued' }]),
    );
    const create = h.operations.filter((o) => o.input.kind === 'createJob');
    expect(create.map((o) => [o.input.kind === 'createJob' ? o.input.jobId : '', o.call, o.ret, o.output])).toEqual([['j1', 2, 12, { status: 201 }]]);
    expect(h.shrink).toEqual({ dropped: 1, resolved: 1, unknown: 0 });
  });

  test('unknown status changes: no effect when the final status rules them out or another got the 200; one sole candidate is credited', () => {
    const base = [req(0, createF, 0, 1, ok(201), 'a'), req(0, createJ1, 2, 3, ok(201), 'b')];
    // Final Queued: Running never happened.
    const queued = chaosHistory([...base, req(1, toRunning, 4, 6, timeout, 'c')], finalState(1000, [{ id: 'j1', status: 'Queued' }]));
    expect(queued.operations.map((o) => o.input.kind)).toEqual(['createFilament', 'createJob']);
    expect(queued.shrink.dropped).toBe(1);

    // Final Done: Running happened; the sole unknown candidate did it, before the Done that needed it.
    const done = chaosHistory(
      [...base, req(1, toRunning, 4, 6, timeout, 'c'), req(2, toDone, 10, 12, ok(200, { id: 'j1', status: 'Done' }), 'd')],
      finalState(900, [{ id: 'j1', status: 'Done' }]),
    );
    const running = done.operations.find((o) => o.input === toRunning)!;
    expect([running.output, running.ret]).toEqual([{ status: 200, jobStatus: 'Running' }, 12]);

    // Two unknown candidates: neither can be credited alone.
    const two = chaosHistory(
      [...base, req(1, toRunning, 4, 6, timeout, 'c'), req(2, toRunning, 5, 7, timeout, 'e')],
      finalState(1000, [{ id: 'j1', status: 'Running' }]),
    );
    expect(two.operations.filter((o) => o.output === UNKNOWN).length).toBe(2);
    expect(two.shrink.unknown).toBe(2);

    // Another operation got the 200 for Running: the unknown one did nothing.
    const other = chaosHistory(
      [...base, req(1, toRunning, 4, 6, timeout, 'c'), req(2, toRunning, 5, 7, ok(200, { id: 'j1', status: 'Running' }), 'e')],
      finalState(1000, [{ id: 'j1', status: 'Running' }]),
    );
    expect(other.operations.filter((o) => o.input.kind === 'setStatus').map((o) => o.client)).toEqual([2]);
  });

  test('a stale read after an acknowledged Done makes the history illegal', () => {
    const h = chaosHistory(
      [
        req(0, createF, 0, 1, ok(201), 'a'),
        req(0, createJ1, 2, 3, ok(201), 'b'),
        req(0, toRunning, 4, 5, ok(200, { id: 'j1', status: 'Running' }), 'c'),
        req(0, toDone, 6, 7, ok(200, { id: 'j1', status: 'Done' }), 'd'),
        req(1, getF, 8, 9, ok(200, { id: F, remaining_weight_in_grams: 1000 })),
      ],
      finalState(900, [{ id: 'j1', status: 'Done' }]),
    );
    expect(checkOperations(printFarmModel, h.operations).result).toBe('illegal');
    const fresh = h.operations.map((o) => (o.input.kind === 'getFilament' ? { ...o, output: { status: 200, remaining: 900 } } : o));
    expect(checkOperations(printFarmModel, fresh).result).toBe('ok');
  });

  test('conflicting answers to retries of one key are reported', () => {
    const h = chaosHistory(
      [req(0, createF, 0, 1, ok(201), 'a'), req(0, createJ1, 2, 3, ok(201), 'b'), req(0, createJ1, 4, 5, ok(409, { code: 'ALREADY_EXISTS' }), 'b')],
      finalState(1000, [{ id: 'j1', status: 'Queued' }]),
    );
    expect(h.conflicts.map((c) => [c.idempotencyKey, c.first.status, c.other.status])).toEqual([['b', 201, 409]]);
  });
});

describe('invariants', () => {
  test('I1 and I2 per filament, and jobs of unknown filaments', () => {
    const initial = new Map([[F, 1000]]);
    expect(domainViolations(finalState(900, [{ id: 'j1', status: 'Done' }, { id: 'j2', status: 'Queued', weight: 900 }]), initial)).toEqual([]);
    expect(domainViolations(finalState(900, [{ id: 'j1', status: 'Done' }, { id: 'j2', status: 'Running', weight: 901 }]), initial)).toEqual([
      'I1 filament f0: reserved 901, remaining 900, total 1000',
    ]);
    expect(domainViolations(finalState(1000, [{ id: 'j1', status: 'Done' }]), initial)).toEqual(['I2 filament f0: remaining 1000 ≠ 1000 − 100 (Done)']);
    const orphan: FinalState = { filaments: [], jobs: [{ id: 'j9', filamentId: 'nope', weight: 1, status: 'Paused' }], raw: '' };
    expect(domainViolations(orphan, initial)).toEqual(['job j9: unknown status Paused', 'job j9: filament nope does not exist']);
  });

  test('I4: an observed status must lead to the final one', () => {
    const state = finalState(1000, [{ id: 'j1', status: 'Canceled' }]);
    expect(statusRegressions(state, [{ jobId: 'j1', status: 'Running', where: 'x' }])).toEqual([]);
    expect(statusRegressions(state, [{ jobId: 'j1', status: 'Done', where: 'x' }])).toEqual(['job j1 was seen Done (x) and ended Canceled']);
    expect(statusRegressions(state, [{ jobId: 'j2', status: 'Queued', where: 'y' }])).toEqual([
      'job j2 was seen Queued (y) but is missing from the final state',
    ]);
  });

  test('observedStatuses takes reads, lists and successful status changes', () => {
    const h = chaosHistory(
      [
        req(0, createF, 0, 1, ok(201), 'a'),
        req(0, createJ1, 2, 3, ok(201), 'b'),
        req(0, toRunning, 4, 5, ok(200, { id: 'j1', status: 'Running' }), 'c'),
        req(1, { kind: 'listJobs', filamentId: F }, 6, 7, ok(200, [{ id: 'j1', status: 'Running' }])),
        req(1, toDone, 8, 9, ok(400, { code: 'INVALID_TRANSITION' }), 'd'),
      ],
      finalState(1000, [{ id: 'j1', status: 'Running' }]),
    );
    expect(observedStatuses(h.operations).map((o) => [o.jobId, o.status])).toEqual([
      ['j1', 'Running'],
      ['j1', 'Running'],
    ]);
  });
});

describe('outcomes', () => {
  test('faults excuse 503s and timeouts, apply-time refusals are expected, anything else is flagged', () => {
    const requests = [
      req(0, createF, 0, 1, ok(201), 'a'),
      req(0, createJ1, 0, 1, ok(503, { code: 'NO_LEADER' }), 'b'),
      req(0, createJ1, 0, 1, timeout, 'b'),
      req(0, createJ1, 0, 1, ok(400, { code: 'INSUFFICIENT_FILAMENT' }), 'b'),
      req(0, getJ1, 0, 1, ok(404, { code: 'NOT_FOUND' })),
      req(0, toRunning, 0, 1, ok(422, { code: 'IDEMPOTENCY_KEY_REUSED' }), 'c'),
      req(0, createJ1, 0, 1, ok(409, { code: 'ALREADY_EXISTS' }), 'd'),
      req(0, getF, 0, 1, ok(500, { code: 'INTERNAL' })),
    ];
    expect(unexpectedAnswers(requests).map((s) => s.split(' ×')[0])).toEqual([
      'unexpected answer 422 IDEMPOTENCY_KEY_REUSED',
      'unexpected answer 409 ALREADY_EXISTS',
      'unexpected answer 500 INTERNAL',
    ]);
    expect(outcomeCounts(requests.slice(0, 3))).toBe('201: 1, 503 NO_LEADER: 1, timeout: 1');
  });
});
