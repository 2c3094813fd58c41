import { describe, test, expect } from '@jest/globals';
import { checkOperations } from '../../support/linearizability/checker.js';
import type { Operation } from '../../support/linearizability/model.js';
import { UNKNOWN } from '../../support/linearizability/model.js';
import { kvRegisterModel } from '../../support/linearizability/models/kv-register.js';
import type { KvRegisterInput, KvRegisterOutput } from '../../support/linearizability/models/kv-register.js';

type KvOp = Operation<KvRegisterInput, KvRegisterOutput>;
const op = (input: KvRegisterInput, output: KvRegisterOutput | typeof UNKNOWN, call: number, ret: number): KvOp => ({
  client: call,
  input,
  output,
  call,
  ret: output === UNKNOWN ? Infinity : ret,
});
const verdict = (ops: KvOp[]): string => checkOperations(kvRegisterModel, ops).result;
const incr = (out: number | null | typeof UNKNOWN, call: number, ret: number, key = 'k'): KvOp =>
  op({ kind: 'incr', key }, out, call, ret);
const get = (out: string | number | null, call: number, ret: number, key = 'k'): KvOp => op({ kind: 'get', key }, out, call, ret);
const put = (value: string, call: number, ret: number, key = 'k'): KvOp => op({ kind: 'put', key, value }, null, call, ret);

describe('kv register model for the simulator (raft.md §5.10)', () => {
  test('put, get and delete per key', () => {
    expect(verdict([get(null, 0, 1), put('v1', 2, 3), get('v1', 4, 5), op({ kind: 'delete', key: 'k' }, true, 6, 7), get(null, 8, 9)])).toBe(
      'ok',
    );
    expect(verdict([put('v1', 0, 1), op({ kind: 'delete', key: 'k' }, false, 2, 3)])).toBe('illegal');
    expect(verdict([put('v1', 0, 1), op({ kind: 'delete', key: 'k' }, null, 2, 3), get('v1', 4, 5)])).toBe('illegal');
  });

  test('cas compares with the current value (null = absent)', () => {
    const cas = (expected: string | null, value: string, out: boolean, call: number, ret: number): KvOp =>
      op({ kind: 'cas', key: 'k', expected, value }, out, call, ret);
    expect(verdict([cas(null, 'a', true, 0, 1), cas(null, 'b', false, 2, 3), cas('a', 'c', true, 4, 5), get('c', 6, 7)])).toBe('ok');
    expect(verdict([cas(null, 'a', true, 0, 1), cas(null, 'b', true, 2, 3)])).toBe('illegal');
  });

  test('a duplicated incr makes later values unexplainable', () => {
    expect(verdict([incr(1, 0, 1), incr(2, 2, 3), get(2, 4, 5)])).toBe('ok');
    expect(verdict([incr(1, 0, 1), incr(3, 2, 3)])).toBe('illegal');
    expect(verdict([incr(1, 0, 1), incr(UNKNOWN, 2, 0), get(2, 4, 5), get(2, 6, 7)])).toBe('ok');
    expect(verdict([incr(1, 0, 1), incr(UNKNOWN, 2, 0), get(3, 4, 5)])).toBe('illegal');
  });

  test('incr on a string value is refused and keeps the value; a counter is not a string', () => {
    expect(verdict([put('x', 0, 1), incr(null, 2, 3), get('x', 4, 5)])).toBe('ok');
    expect(verdict([put('x', 0, 1), incr(1, 2, 3)])).toBe('illegal');
    expect(verdict([incr(1, 0, 1), get('1', 2, 3)])).toBe('illegal');
  });

  test('keys are independent partitions', () => {
    const r = checkOperations(kvRegisterModel, [put('a', 0, 10, 'x'), put('b', 0, 10, 'y'), get('a', 11, 12, 'x'), get(null, 11, 12, 'z')]);
    expect(r.result).toBe('ok');
    expect(r.partitions.map((p) => p.operations)).toEqual([2, 1, 1]);
  });
});
