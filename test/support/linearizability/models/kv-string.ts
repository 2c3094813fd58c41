// String key/value store with get, put and append, partitioned by key (the kv validation
// histories, raft.md §5.10). The state of a partition is its key's string, initially "".

import type { Model } from '../model.js';
import { isUnknown, partitionBy } from '../model.js';

export type KvStringInput =
  | { kind: 'get'; key: string }
  | { kind: 'put'; key: string; value: string }
  | { kind: 'append'; key: string; value: string };

/** get → the string read; put and append → null. */
export type KvStringOutput = string | null;

export const kvStringModel: Model<string, KvStringInput, KvStringOutput> = {
  partition: (ops) => partitionBy(ops, (op) => op.input.key),
  init: () => '',
  step(state, input, output) {
    switch (input.kind) {
      case 'get':
        return { ok: isUnknown(output) || output === state, next: state };
      case 'put':
        return { ok: true, next: input.value };
      case 'append':
        return { ok: true, next: state + input.value };
    }
  },
  key: (state) => state,
  describe(input, output) {
    switch (input.kind) {
      case 'get':
        return `get(${input.key}) → ${isUnknown(output) ? '?' : JSON.stringify(output)}`;
      case 'put':
        return `put(${input.key}, ${JSON.stringify(input.value)})`;
      case 'append':
        return `append(${input.key}, ${JSON.stringify(input.value)})`;
    }
  },
  describeState: (state) => JSON.stringify(state),
};
