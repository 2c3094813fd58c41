// One register with read, write and compare-and-set (the etcd validation histories, raft.md §5.10).

import type { Model } from '../model.js';
import { isUnknown } from '../model.js';

export type RegisterValue = number | null;

export type RegisterInput =
  | { kind: 'read' }
  | { kind: 'write'; value: number }
  | { kind: 'cas'; from: number; to: number };

/** read → the value (null = absent); write → null; cas → whether it swapped. */
export type RegisterOutput = RegisterValue | boolean;

export const registerModel: Model<RegisterValue, RegisterInput, RegisterOutput> = {
  init: () => null,
  step(state, input, output) {
    switch (input.kind) {
      case 'read':
        return { ok: isUnknown(output) || output === state, next: state };
      case 'write':
        return { ok: true, next: input.value };
      case 'cas': {
        const swaps = state === input.from;
        return { ok: isUnknown(output) || output === swaps, next: swaps ? input.to : state };
      }
    }
  },
  key: (state) => (state === null ? 'nil' : state),
  describe(input, output) {
    const out = isUnknown(output) ? '?' : String(output);
    switch (input.kind) {
      case 'read':
        return `read → ${out === 'null' ? 'nil' : out}`;
      case 'write':
        return `write(${input.value})${isUnknown(output) ? ' → ?' : ''}`;
      case 'cas':
        return `cas(${input.from} → ${input.to}) → ${out}`;
    }
  },
  describeState: (state) => (state === null ? 'nil' : String(state)),
};
