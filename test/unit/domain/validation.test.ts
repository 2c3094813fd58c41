import { describe, test, expect } from '@jest/globals';
import { ApiError } from '../../../src/http/api-error.js';
import {
  parseConsistency,
  parseFilamentInput,
  parseFilamentQuery,
  parseIdempotencyKey,
  parseJobInput,
  parseJobQuery,
  parsePageRequest,
  parsePathId,
  parsePrinterInput,
  parseStatus,
  parseStatusTarget,
} from '../../../src/domain/validation.js';

/** The 400 message a parse throws, or 'ok'. */
function outcome(parse: () => unknown): string {
  try {
    parse();
    return 'ok';
  } catch (err) {
    if (err instanceof ApiError && err.httpStatus === 400 && err.code === 'VALIDATION_FAILED') return err.message;
    throw err;
  }
}

const printer = { company: 'Creality', model: 'Ender 3' };
const spool = { type: 'pla', color: 'red', total_weight_in_grams: 1000 };
const job = { printer_id: 'p1', filament_id: 'f1', filepath: 'prints/a.gcode', print_weight_in_grams: 10 };
const ID_RULE = 'must be 1 to 128 characters of A-Z a-z 0-9 . _ : -';

describe('ids', () => {
  test.each([
    ['p1', 'p1'],
    ['A-Z.a_z:0-9', 'A-Z.a_z:0-9'],
    ['x'.repeat(128), 'x'.repeat(128)],
    [42, '42'],
    [0, '0'],
    [-7, '-7'],
    [null, undefined],
    [undefined, undefined],
  ])('%p is accepted as %p', (id, stored) => {
    expect(parsePrinterInput({ ...printer, id }).id).toBe(stored);
  });

  test.each([[''], ['x'.repeat(129)], ['a b'], ['a/b'], ['ü'], ['a#b'], [true], [{}], [[]]])('%p is refused', (id) => {
    expect(outcome(() => parsePrinterInput({ ...printer, id }))).toBe(`id ${ID_RULE}`);
  });

  test.each([[1.5], [2 ** 60], [Number.NaN]])('the number %p is refused', (id) => {
    expect(outcome(() => parsePrinterInput({ ...printer, id }))).toBe('id must be a string or an integer');
  });

  test('path ids and references follow the same rule', () => {
    expect(parsePathId('job-1')).toBe('job-1');
    expect(outcome(() => parsePathId('a b'))).toBe(`id ${ID_RULE}`);
    expect(parseJobInput({ ...job, printer_id: 7 }).printerId).toBe('7');
    expect(outcome(() => parseJobInput({ ...job, filament_id: 'f 1' }))).toBe(`filament_id ${ID_RULE}`);
    expect(outcome(() => parseJobInput({ ...job, printer_id: undefined }))).toBe('printer_id is required');
  });
});

describe('bodies', () => {
  test.each([[undefined], [null], ['text'], [42], [[printer]], [true]])('%p is not a JSON object', (body) => {
    expect(outcome(() => parsePrinterInput(body))).toBe('request body must be a JSON object');
  });

  test('strings are trimmed and bounded', () => {
    expect(parsePrinterInput({ company: '  Prusa ', model: '\tMK4\n' })).toEqual({ company: 'Prusa', model: 'MK4' });
    expect(outcome(() => parsePrinterInput({ ...printer, company: '   ' }))).toBe('company must not be empty');
    expect(outcome(() => parsePrinterInput({ ...printer, model: 'm'.repeat(257) }))).toBe(
      'model must be at most 256 characters',
    );
    expect(parsePrinterInput({ ...printer, model: ` ${'m'.repeat(256)} ` }).model).toHaveLength(256);
    expect(outcome(() => parsePrinterInput({ company: 5, model: 'x' }))).toBe('company must be a string');
    expect(outcome(() => parsePrinterInput({ model: 'x' }))).toBe('company is required');
    expect(outcome(() => parseFilamentInput({ ...spool, color: 'c'.repeat(65) }))).toBe(
      'color must be at most 64 characters',
    );
    expect(outcome(() => parseJobInput({ ...job, filepath: 'f'.repeat(1025) }))).toBe(
      'filepath must be at most 1024 characters',
    );
    expect(outcome(() => parsePrinterInput({ ...printer, company: 'bad \ud800' }))).toBe(
      'company must be valid Unicode text',
    );
  });

  test('filament type is case-insensitive and stored upper-case', () => {
    for (const [given, stored] of [
      ['pla', 'PLA'],
      ['Petg', 'PETG'],
      [' abs ', 'ABS'],
      ['TPU', 'TPU'],
    ]) {
      expect(parseFilamentInput({ ...spool, type: given }).type).toBe(stored);
    }
    expect(outcome(() => parseFilamentInput({ ...spool, type: 'nylon' }))).toBe(
      'type must be one of PLA, PETG, ABS, TPU (got "nylon")',
    );
    expect(outcome(() => parseFilamentInput({ ...spool, type: 3 }))).toBe(
      'type is required and must be one of PLA, PETG, ABS, TPU',
    );
  });

  test.each([
    ['100', 'must be an integer'],
    [12.5, 'must be an integer'],
    [true, 'must be an integer'],
    [-1, 'must be from 1 to 1000000'],
    [0, 'must be from 1 to 1000000'],
    [1_000_001, 'must be from 1 to 1000000'],
    [Number.MAX_VALUE, 'must be from 1 to 1000000'],
  ])('total_weight_in_grams %p is refused', (value, rule) => {
    expect(outcome(() => parseFilamentInput({ ...spool, total_weight_in_grams: value }))).toBe(
      `total_weight_in_grams ${rule}`,
    );
  });

  test('remaining weight defaults to total; explicit 0 is kept; it may not exceed total', () => {
    expect(parseFilamentInput(spool)).toMatchObject({ totalWeight: 1000, remainingWeight: 1000 });
    expect(parseFilamentInput({ ...spool, remaining_weight_in_grams: null })).toMatchObject({ remainingWeight: 1000 });
    expect(parseFilamentInput({ ...spool, remaining_weight_in_grams: 0 })).toMatchObject({ remainingWeight: 0 });
    expect(Object.is(parseFilamentInput({ ...spool, remaining_weight_in_grams: -0 }).remainingWeight, 0)).toBe(true);
    expect(parseFilamentInput({ ...spool, remaining_weight_in_grams: 1000 })).toMatchObject({ remainingWeight: 1000 });
    expect(outcome(() => parseFilamentInput({ ...spool, remaining_weight_in_grams: 1001 }))).toBe(
      'remaining_weight_in_grams must not exceed total_weight_in_grams',
    );
    expect(outcome(() => parseFilamentInput({ ...spool, remaining_weight_in_grams: -1 }))).toBe(
      'remaining_weight_in_grams must be from 0 to 1000000',
    );
    expect(outcome(() => parseFilamentInput({ ...spool, remaining_weight_in_grams: '5' }))).toBe(
      'remaining_weight_in_grams must be an integer',
    );
  });

  test('print weight is a positive integer; a status sent on create is ignored', () => {
    expect(parseJobInput({ ...job, status: 'Done', id: 'j1' })).toEqual({
      id: 'j1',
      printerId: 'p1',
      filamentId: 'f1',
      filepath: 'prints/a.gcode',
      weight: 10,
    });
    expect(parseJobInput({ ...job, status: 42 }).weight).toBe(10);
    for (const bad of [0, -5, 2.5, '10', false]) {
      expect(outcome(() => parseJobInput({ ...job, print_weight_in_grams: bad }))).toMatch(/^print_weight_in_grams must be/);
    }
  });
});

describe('status values', () => {
  test.each([
    ['Running', 'Running'],
    ['running', 'Running'],
    ['RUNNING', 'Running'],
    ['"running"', 'Running'],
    ["'done'", 'Done'],
    [' queued ', 'Queued'],
    ['Canceled', 'Canceled'],
    ['cancelled', 'Canceled'],
    ['"Cancelled"', 'Canceled'],
  ])('%p parses as %p', (raw, status) => {
    expect(parseStatus(raw, 'status')).toBe(status);
  });

  test.each([[''], ['""'], ['""running""'], ['"running'], ['paused'], ['finished'], ['cancel']])('%p is refused', (raw) => {
    expect(outcome(() => parseStatus(raw, 'status'))).toBe(
      `status must be one of Queued, Running, Done, Canceled (got ${JSON.stringify(raw)})`,
    );
  });

  test('the target comes from ?status=, else from a JSON body', () => {
    expect(parseStatusTarget({ status: 'done' }, { status: 'Canceled' })).toBe('Done');
    expect(parseStatusTarget({}, { status: 'Canceled' })).toBe('Canceled');
    expect(outcome(() => parseStatusTarget({}, undefined))).toBe(
      'status is required, as the status query parameter or a JSON body {"status": "..."}',
    );
    expect(outcome(() => parseStatusTarget({}, { status: 3 }))).toBe('status must be a string');
    expect(outcome(() => parseStatusTarget({ status: ['a', 'b'] }, undefined))).toBe('status must be given once');
  });
});

describe('list queries', () => {
  test('limit defaults to 1000 and accepts 1 to 10000', () => {
    expect(parsePageRequest({})).toEqual({ limit: 1000 });
    expect(parsePageRequest({ limit: '1' })).toEqual({ limit: 1 });
    expect(parsePageRequest({ limit: '10000', after: 'p9' })).toEqual({ limit: 10000, after: 'p9' });
    for (const bad of ['0', '10001', '-1', '1.5', 'ten', '', '1e3', ' 5']) {
      expect(outcome(() => parsePageRequest({ limit: bad }))).toBe('limit must be an integer from 1 to 10000');
    }
    expect(outcome(() => parsePageRequest({ after: 'a b' }))).toBe(`after ${ID_RULE}`);
  });

  test('filters parse like the fields they filter', () => {
    expect(parseFilamentQuery({ type: 'petg' })).toEqual({ limit: 1000, type: 'PETG' });
    expect(outcome(() => parseFilamentQuery({ type: 'wood' }))).toBe('type must be one of PLA, PETG, ABS, TPU (got "wood")');
    expect(parseJobQuery({ status: '"running"', printer_id: 'p1', filament_id: 'f1', limit: '5' })).toEqual({
      limit: 5,
      status: 'Running',
      printerId: 'p1',
      filamentId: 'f1',
    });
    expect(outcome(() => parseJobQuery({ status: 'paused' }))).toMatch(/^status must be one of/);
    expect(outcome(() => parseJobQuery({ printer_id: '' }))).toBe(`printer_id ${ID_RULE}`);
  });

  test('consistency is stale or linearizable, from the query or the header', () => {
    expect(parseConsistency(undefined, undefined)).toBe('linearizable');
    expect(parseConsistency('stale', undefined)).toBe('stale');
    expect(parseConsistency(undefined, 'Stale')).toBe('stale');
    expect(parseConsistency('linearizable', undefined)).toBe('linearizable');
    expect(outcome(() => parseConsistency('eventual', undefined))).toBe('consistency must be stale or linearizable');
    expect(outcome(() => parseConsistency(undefined, 'fast'))).toBe(
      'X-Raft3D-Consistency must be stale or linearizable',
    );
    expect(outcome(() => parseConsistency(['stale', 'stale'], undefined))).toBe('consistency must be given once');
  });

  test('idempotency keys are 1 to 256 printable ASCII characters', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey(' abc-123 ')).toBe('abc-123');
    expect(parseIdempotencyKey('k'.repeat(256))).toBe('k'.repeat(256));
    for (const bad of ['', '   ', 'k'.repeat(257), 'clé']) {
      expect(outcome(() => parseIdempotencyKey(bad))).toBe('Idempotency-Key must be 1 to 256 printable ASCII characters');
    }
  });
});
