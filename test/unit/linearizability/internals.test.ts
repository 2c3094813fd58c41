import { describe, test, expect } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { failureArtifact, writeFailureArtifact } from '../../support/linearizability/artifact.js';
import { checkOperations } from '../../support/linearizability/checker.js';
import { EntryList, HEAD, NIL } from '../../support/linearizability/entry-list.js';
import { MemoSet } from '../../support/linearizability/memo-set.js';
import { UNKNOWN } from '../../support/linearizability/model.js';
import { registerModel } from '../../support/linearizability/models/register.js';

const order = (list: EntryList): number[] => {
  const nodes: number[] = [];
  for (let n = list.next[HEAD]!; n !== NIL; n = list.next[n]!) nodes.push(n);
  return nodes;
};

describe('entry list (raft.md §5.5)', () => {
  test('sorts by time, CALL before RETURN on ties, infinite returns last', () => {
    // op0 [5, ∞], op1 [0, 5], op2 [5, 5]
    const list = new EntryList([5, 0, 5], [Infinity, 5, 5]);
    // nodes: op0 call 1 / ret 2, op1 call 3 / ret 4, op2 call 5 / ret 6
    expect(order(list)).toEqual([3, 1, 5, 4, 6, 2]);
  });

  test('lift and unlift in LIFO order restore every link', () => {
    const list = new EntryList([0, 1, 2, 3], [4, 6, 5, 7]);
    const next = Array.from(list.next);
    const prev = Array.from(list.prev);
    list.lift(3);
    list.lift(1);
    expect(order(list)).toEqual([5, 7, 6, 8]);
    list.lift(7);
    expect(order(list)).toEqual([5, 6]);
    list.unlift(7);
    list.unlift(1);
    list.unlift(3);
    expect(Array.from(list.next)).toEqual(next);
    expect(Array.from(list.prev)).toEqual(prev);
  });
});

describe('memo set', () => {
  test('finds pairs again and tells apart equal hashes with different bits or states', () => {
    const memo = new MemoSet(2);
    const a = new Uint32Array([1, 0]);
    const b = new Uint32Array([0, 1]);
    expect(memo.add(a, 7, 42)).toBe(true);
    expect(memo.add(a, 7, 42)).toBe(false);
    expect(memo.add(b, 7, 42)).toBe(true);
    expect(memo.add(a, 8, 42)).toBe(true);
    expect(memo.size).toBe(3);
  });

  test('keeps every entry through growth and chunking, with groups of equal hashes', () => {
    const memo = new MemoSet(3);
    const bits = new Uint32Array(3);
    const total = 50_000;
    for (let i = 0; i < total; i++) {
      bits[0] = i;
      bits[2] = i * 7;
      expect(memo.add(bits, i % 5, Math.imul(i >> 2, 0x9e3779b1))).toBe(true);
    }
    let found = 0;
    for (let i = 0; i < total; i++) {
      bits[0] = i;
      bits[2] = i * 7;
      if (!memo.add(bits, i % 5, Math.imul(i >> 2, 0x9e3779b1))) found++;
    }
    expect([found, memo.size]).toEqual([total, total]);
  });
});

describe('failure artifacts (raft.md §5.8)', () => {
  const illegal = checkOperations(registerModel, [
    { client: 0, input: { kind: 'write', value: 2 }, output: null, call: 0, ret: 10 },
    { client: 1, input: { kind: 'read' }, output: 2, call: 1, ret: 3 },
    { client: 2, input: { kind: 'read' }, output: null, call: 4, ret: 9 },
    { client: 3, input: { kind: 'write', value: 4 }, output: UNKNOWN, call: 5, ret: Infinity },
  ]);

  test('JSON form keeps the history with unknown outputs and infinite returns spelled out', () => {
    expect(illegal.result).toBe('illegal');
    const json = failureArtifact(illegal) as { illegal: { history: unknown[]; longest: unknown[]; stuck: unknown[]; partials: number[][]; partialOf: number[] } };
    expect(json.illegal.history[3]).toEqual({ client: 3, input: { kind: 'write', value: 4 }, output: 'unknown', call: 5, ret: '∞' });
    expect(json.illegal.longest).toEqual([
      { index: 0, description: 'write(2)', stateAfter: '2' },
      { index: 1, description: 'read → 2', stateAfter: '2' },
      { index: 3, description: 'write(4) → ?', stateAfter: '4' },
    ]);
    expect(json.illegal.stuck).toEqual([{ index: 2, description: 'read → nil', blocking: true }]);
    expect(json.illegal.partialOf.map((i) => json.illegal.partials[i] ?? null)).toEqual([[0, 1, 3], [0, 1, 3], null, [0, 1, 3]]);
  });

  test('writes the JSON and the readable report', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lin-artifact-'));
    try {
      const file = writeFailureArtifact(dir, 'register', illegal);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(failureArtifact(illegal));
      const text = readFileSync(path.join(dir, 'register.txt'), 'utf8');
      expect(text).toContain('not linearizable: partition 0 of 1 (4 operations)');
      expect(text).toContain('#2 [4, 9] client 2: read → nil   ← its return closes the window');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
