import { describe, test, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { checkOperations, describeFailure } from '../../support/linearizability/checker.js';
import type { Model, Operation } from '../../support/linearizability/model.js';
import { UNKNOWN, partitionBy } from '../../support/linearizability/model.js';
import { registerModel } from '../../support/linearizability/models/register.js';
import type { RegisterInput, RegisterOutput, RegisterValue } from '../../support/linearizability/models/register.js';
import { kvStringModel } from '../../support/linearizability/models/kv-string.js';
import { parseEtcdLog, parseKvEdn } from '../../support/linearizability/parsers.js';
import { historiesDir } from './data-path.js';

type RegOp = Operation<RegisterInput, RegisterOutput>;

const zeroRegister: Model<RegisterValue, RegisterInput, RegisterOutput> = { ...registerModel, init: () => 0 };

const write = (value: number, call: number, ret: number, client = 0): RegOp => ({
  client,
  input: { kind: 'write', value },
  output: null,
  call,
  ret,
});
const read = (value: number | null, call: number, ret: number, client = 1): RegOp => ({
  client,
  input: { kind: 'read' },
  output: value,
  call,
  ret,
});
const unknownWrite = (value: number, call: number, client = 9): RegOp => ({
  client,
  input: { kind: 'write', value },
  output: UNKNOWN,
  call,
  ret: Infinity,
});
const cas = (from: number, to: number, swapped: boolean | typeof UNKNOWN, call: number, ret: number, client = 2): RegOp => ({
  client,
  input: { kind: 'cas', from, to },
  output: swapped,
  call,
  ret,
});

describe('hand-written register histories (raft.md §5.11)', () => {
  test('a 0-read concurrent with a write can go before it', () => {
    const r = checkOperations(zeroRegister, [write(100, 0, 100), read(100, 25, 75), read(0, 30, 60, 2)]);
    expect(r.result).toBe('ok');
    expect(r.partitions[0]!.linearization).toEqual([2, 0, 1]);
  });

  test('a 0-read that starts after a read saw 200 is illegal', () => {
    const r = checkOperations(zeroRegister, [write(200, 0, 100), read(200, 10, 30), read(0, 40, 90, 2)]);
    expect(r.result).toBe('illegal');
    expect(r.illegal!.longest.map((s) => s.index)).toEqual([0, 1]);
    expect(r.illegal!.longest.map((s) => s.stateAfter)).toEqual(['200', '200']);
    expect(r.illegal!.stuck.map((s) => [s.index, s.blocking])).toEqual([[2, true]]);
    const text = describeFailure(r);
    expect(text).toContain('longest partial linearization: 2 of 3 operations');
    expect(text).toContain('#2 [40, 90] client 2: read → 0');
  });

  test('sequential operations must follow real-time order', () => {
    expect(checkOperations(zeroRegister, [write(1, 0, 1), read(1, 2, 3)]).result).toBe('ok');
    expect(checkOperations(zeroRegister, [write(1, 0, 1), read(0, 2, 3)]).result).toBe('illegal');
    expect(checkOperations(zeroRegister, [read(1, 0, 1), write(1, 2, 3)]).result).toBe('illegal');
  });

  test('zero-length operations at equal times are concurrent', () => {
    expect(checkOperations(zeroRegister, [write(1, 5, 5), read(1, 5, 5)]).result).toBe('ok');
    expect(checkOperations(zeroRegister, [write(1, 5, 5), read(0, 5, 5)]).result).toBe('ok');
    expect(checkOperations(zeroRegister, [read(1, 5, 5), write(1, 6, 6)]).result).toBe('illegal');
    const chain = [write(1, 1, 1), read(1, 2, 2), write(2, 3, 3), read(2, 4, 4), read(1, 5, 5)];
    expect(checkOperations(zeroRegister, chain).result).toBe('illegal');
    expect(checkOperations(zeroRegister, chain.slice(0, 4)).result).toBe('ok');
  });

  test('touching intervals count as concurrent', () => {
    expect(checkOperations(zeroRegister, [write(1, 0, 10), read(0, 10, 20)]).result).toBe('ok');
    expect(checkOperations(zeroRegister, [write(1, 0, 10), read(0, 11, 20)]).result).toBe('illegal');
  });

  test('an unknown write may take effect at any time after its call, or never', () => {
    expect(checkOperations(zeroRegister, [unknownWrite(1, 0), read(0, 5, 6), read(1, 7, 8)]).result).toBe('ok');
    expect(checkOperations(zeroRegister, [unknownWrite(1, 0), read(0, 5, 6), read(0, 7, 8)]).result).toBe('ok');
    expect(checkOperations(zeroRegister, [unknownWrite(1, 0), read(1, 5, 6), read(0, 7, 8)]).result).toBe('illegal');
    expect(checkOperations(zeroRegister, [read(1, 0, 1), unknownWrite(1, 2)]).result).toBe('illegal');
  });

  test('an unknown CAS takes effect only if its compare holds', () => {
    expect(checkOperations(zeroRegister, [cas(0, 5, UNKNOWN, 0, Infinity), read(5, 2, 3)]).result).toBe('ok');
    expect(checkOperations(zeroRegister, [write(1, 0, 1), cas(0, 5, UNKNOWN, 2, Infinity), read(5, 3, 4)]).result).toBe(
      'illegal',
    );
  });

  test('a refused CAS is an observation of the state', () => {
    expect(checkOperations(zeroRegister, [cas(0, 3, false, 0, 1)]).result).toBe('illegal');
    expect(checkOperations(zeroRegister, [cas(1, 3, false, 0, 1), cas(0, 3, true, 2, 3), read(3, 4, 5)]).result).toBe('ok');
  });

  test('empty history and empty partitions are linearizable', () => {
    const r = checkOperations(zeroRegister, []);
    expect(r.result).toBe('ok');
    expect(r.partitions).toEqual([{ partition: 0, result: 'ok', operations: 0, steps: 0, memo: 0, linearization: [] }]);
  });

  test('operations whose return precedes their call are rejected', () => {
    expect(() => checkOperations(zeroRegister, [read(0, 5, 4)])).toThrow(RangeError);
    expect(() => checkOperations(zeroRegister, [read(0, Number.NaN, 4)])).toThrow(RangeError);
  });
});

/** Brute force for small histories: some permutation respects real time and the model. */
function bruteForce(model: Model<RegisterValue, RegisterInput, RegisterOutput>, ops: RegOp[]): boolean {
  const n = ops.length;
  const order = ops.map((_, i) => i);
  const c = new Array<number>(n).fill(0);
  const valid = (): boolean => {
    let state = model.init();
    for (let a = 0; a < n; a++) {
      const op = ops[order[a]!]!;
      for (let b = a + 1; b < n; b++) if (ops[order[b]!]!.ret < op.call) return false;
      const r = model.step(state, op.input, op.output);
      if (!r.ok) return false;
      state = r.next;
    }
    return true;
  };
  if (valid()) return true;
  // Heap's algorithm, iterative.
  let i = 1;
  while (i < n) {
    if (c[i]! < i) {
      const j = i % 2 === 0 ? 0 : c[i]!;
      [order[j], order[i]] = [order[i]!, order[j]!];
      if (valid()) return true;
      c[i]!++;
      i = 1;
    } else {
      c[i] = 0;
      i++;
    }
  }
  return false;
}

describe('agreement with brute force on small random histories', () => {
  test('600 random register histories of up to 6 operations', () => {
    let seed = 12345;
    const rnd = (k: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % k;
    };
    let illegal = 0;
    for (let run = 0; run < 600; run++) {
      const n = 1 + rnd(6);
      const ops: RegOp[] = [];
      for (let k = 0; k < n; k++) {
        const call = rnd(10);
        const ret = rnd(5) === 0 ? Infinity : call + rnd(5);
        const kind = rnd(3);
        const unknown = ret === Infinity;
        if (kind === 0) ops.push(unknown ? unknownWrite(rnd(3), call) : write(rnd(3), call, ret));
        else if (kind === 1) ops.push(unknown ? write(rnd(3), call, call + 1) : read(rnd(4) === 3 ? null : rnd(3), call, ret));
        else ops.push(cas(rnd(3), rnd(3), unknown ? UNKNOWN : rnd(2) === 0, call, ret));
      }
      const expected = bruteForce(registerModel, ops);
      const got = checkOperations(registerModel, ops).result;
      expect([run, got]).toEqual([run, expected ? 'ok' : 'illegal']);
      if (!expected) illegal++;
    }
    // Both verdicts must be well represented for the comparison to mean anything.
    expect(illegal).toBeGreaterThan(100);
    expect(illegal).toBeLessThan(500);
  });
});

const readHistory = (...parts: string[]): string => readFileSync(path.join(historiesDir, ...parts), 'utf8');

describe('etcd Jepsen histories reproduce porcupine verdicts (raft.md §5.11)', () => {
  const expected = readHistory('etcd', 'expected.tsv')
    .trim()
    .split('\n')
    .map((line) => line.split('\t') as [string, string]);

  test('the verdict file lists 102 histories, 23 linearizable', () => {
    expect(expected).toHaveLength(102);
    expect(expected.filter(([, v]) => v === 'linearizable')).toHaveLength(23);
    expect(expected.some(([f]) => f === 'etcd_095.log')).toBe(false);
  });

  test.each(expected)('%s is %s', (file, verdict) => {
    const ops = parseEtcdLog(readHistory('etcd', file));
    const r = checkOperations(registerModel, ops, { timeoutMs: 10_000 });
    expect(r.result).toBe(verdict === 'linearizable' ? 'ok' : 'illegal');
  });
});

describe('kv histories reproduce porcupine verdicts (raft.md §5.11)', () => {
  test.each([
    ['c01-ok', 'ok'],
    ['c01-bad', 'illegal'],
    ['c10-ok', 'ok'],
    ['c10-bad', 'illegal'],
    ['c50-ok', 'ok'],
    ['c50-bad', 'illegal'],
  ])('%s is %s', (name, verdict) => {
    const ops = parseKvEdn(readHistory('kv', `${name}.txt`));
    const r = checkOperations(kvStringModel, ops, { timeoutMs: 20_000 });
    expect(r.result).toBe(verdict);
    expect(r.partitions.length).toBe(name === 'c01-bad' ? 8 : 10);
  });

  test('c50-bad stops at the first illegal key, far before the hard keys finish', () => {
    const ops = parseKvEdn(readHistory('kv', 'c50-bad.txt'));
    const r = checkOperations(kvStringModel, ops, { timeoutMs: 20_000, sliceSteps: 10_000 });
    expect(r.result).toBe('illegal');
    expect(r.partitions.filter((p) => p.result === 'unchecked').length).toBeGreaterThan(0);
    expect(r.partitions.reduce((sum, p) => sum + p.steps, 0)).toBeLessThan(200_000);
    const bad = r.partitions[r.illegal!.partition]!;
    expect(bad.result).toBe('illegal');
    expect(r.illegal!.longest.length).toBeLessThan(r.illegal!.operations.length);
  });
});

describe('budgets', () => {
  const hard = parseEtcdLog(readHistory('etcd', 'etcd_002.log'));

  test('a memo budget yields unknown instead of growing without bound', () => {
    const r = checkOperations(registerModel, hard, { maxMemo: 1_000 });
    expect(r.result).toBe('unknown');
    expect(r.partitions[0]).toMatchObject({ result: 'unknown', reason: 'memo', memo: 1_000 });
    expect(describeFailure(r)).toContain('unknown: the search ran out of budget');
  });

  test('a budget on interned state keys bounds append-style states', () => {
    const ops = parseKvEdn(readHistory('kv', 'c50-ok.txt'));
    const r = checkOperations(kvStringModel, ops, { maxKeyChars: 20_000 });
    expect(r.result).toBe('unknown');
    expect(r.partitions.some((p) => p.result === 'unknown' && p.reason === 'keys')).toBe(true);
  });

  test('a deadline yields unknown', () => {
    const r = checkOperations(registerModel, hard, { timeoutMs: 0, sliceSteps: 1_000 });
    expect(r.result).toBe('unknown');
    expect(r.partitions[0]).toMatchObject({ result: 'unknown', reason: 'timeout', steps: 1_000 });
  });

  interface Tagged {
    part: string;
    op: RegisterInput;
  }
  const tagged: Model<RegisterValue, Tagged, RegisterOutput> = {
    partition: (ops) => partitionBy(ops, (o) => o.input.part),
    init: registerModel.init,
    step: (s, input, output) => registerModel.step(s, input.op, output),
    key: registerModel.key,
  };
  const tag = (part: string, ops: RegOp[]): Operation<Tagged, RegisterOutput>[] =>
    ops.map((o) => ({ ...o, input: { part, op: o.input } }));

  test('an illegal partition decides the verdict even when another ran out of budget', () => {
    const ops = [...tag('hard', hard), ...tag('bad', [write(200, 0, 100), read(200, 10, 30), read(null, 40, 90, 2)])];
    const r = checkOperations(tagged, ops, { maxMemo: 50 });
    expect(r.result).toBe('illegal');
    expect(r.partitions.map((p) => [p.result, p.reason])).toEqual([
      ['unknown', 'memo'],
      ['illegal', undefined],
    ]);
  });

  test('unknown beats ok', () => {
    const ops = [...tag('hard', hard), ...tag('fine', [write(100, 0, 100), read(100, 25, 75)])];
    const r = checkOperations(tagged, ops, { maxMemo: 50 });
    expect(r.result).toBe('unknown');
    expect(r.partitions.map((p) => p.result)).toEqual(['unknown', 'ok']);
  });
});
