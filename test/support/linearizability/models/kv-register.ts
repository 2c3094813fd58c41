// A register per key for the simulator's KV test state machine (raft.md §5.10): put, get, cas,
// delete and incr. Written values should be unique so that unknown writes can be resolved
// (§5.3); incr reports the value after incrementing, so a duplicate apply of one incr makes the
// later counter values unexplainable.

import type { Model } from '../model.js';
import { isUnknown, partitionBy } from '../model.js';

/** null: absent; string: put or cas value; number: counter written by incr. */
export type KvRegisterValue = string | number | null;

export type KvRegisterInput =
  | { kind: 'put'; key: string; value: string }
  | { kind: 'get'; key: string }
  | { kind: 'cas'; key: string; expected: string | null; value: string }
  | { kind: 'delete'; key: string }
  | { kind: 'incr'; key: string };

/**
 * put → null; get → the value (null = absent); cas → whether it swapped; delete → whether the
 * key existed, or null when the state machine does not say; incr → the counter after the
 * increment (an absent key counts from 0), or null when refused because the key holds a string.
 */
export type KvRegisterOutput = string | number | boolean | null;

export const kvRegisterModel: Model<KvRegisterValue, KvRegisterInput, KvRegisterOutput> = {
  partition: (ops) => partitionBy(ops, (op) => op.input.key),
  init: () => null,
  step(state, input, output) {
    const unknown = isUnknown(output);
    switch (input.kind) {
      case 'put':
        return { ok: unknown || output === null, next: input.value };
      case 'get':
        return { ok: unknown || output === state, next: state };
      case 'cas': {
        const swaps = state === input.expected;
        return { ok: unknown || output === swaps, next: swaps ? input.value : state };
      }
      case 'delete':
        return { ok: unknown || output === null || output === (state !== null), next: null };
      case 'incr': {
        if (typeof state === 'string') return { ok: unknown || output === null, next: state };
        const after = (state ?? 0) + 1;
        return { ok: unknown || output === after, next: after };
      }
    }
  },
  key: (state) => (state === null ? '-' : typeof state === 'string' ? `s${state}` : state),
  describe(input, output) {
    const out = isUnknown(output) ? '?' : JSON.stringify(output);
    switch (input.kind) {
      case 'put':
        return `put(${input.key}, ${JSON.stringify(input.value)}) → ${out}`;
      case 'get':
        return `get(${input.key}) → ${out}`;
      case 'cas':
        return `cas(${input.key}, ${JSON.stringify(input.expected)} → ${JSON.stringify(input.value)}) → ${out}`;
      case 'delete':
        return `delete(${input.key}) → ${out}`;
      case 'incr':
        return `incr(${input.key}) → ${out}`;
    }
  },
  describeState: (state) => JSON.stringify(state),
};
