// Inputs of the linearizability checker (raft.md §5.1).

/** The output of an operation whose outcome is unknown (it may or may not have taken effect). */
// Registered, so that copies of this module (ts-jest and compiled builds) agree on it.
export const UNKNOWN: unique symbol = Symbol.for('raft3d.linearizability.unknown');
export type Unknown = typeof UNKNOWN;

export interface Operation<I, O> {
  client: number | string;
  input: I;
  /** The observed result, or UNKNOWN; an UNKNOWN write must have `ret = Infinity`. */
  output: O | Unknown;
  /** Call and return times on one monotonic clock; `ret` is Infinity when the outcome is unknown. */
  call: number;
  ret: number;
}

export interface StepResult<S> {
  /** Whether `output` is a legal result of the input in the state before. */
  ok: boolean;
  /** The state after the operation. */
  next: S;
}

/**
 * A sequential specification. Every function must be pure: the search calls them in any order
 * and shares states between branches.
 */
export interface Model<S, I, O> {
  /** Splits a history into independent sub-histories (P-compositionality); absent = one partition. */
  partition?(ops: Operation<I, O>[]): Operation<I, O>[][];
  init(): S;
  /** For `output === UNKNOWN`: `ok` must be true and `next` is the state as if the operation took effect. */
  step(state: S, input: I, output: O | Unknown): StepResult<S>;
  /** Canonical encoding: two states are equal iff their keys are equal. */
  key(state: S): string | number;
  /** Human-readable operation, for failure reports. */
  describe?(input: I, output: O | Unknown): string;
  /** Human-readable state, for failure reports (defaults to the key). */
  describeState?(state: S): string;
}

export function isUnknown<O>(output: O | Unknown): output is Unknown {
  return output === UNKNOWN;
}

/** Groups operations by a partition key, keeping each group in the original order. */
export function partitionBy<I, O>(
  ops: Operation<I, O>[],
  keyOf: (op: Operation<I, O>) => string | number,
): Operation<I, O>[][] {
  const groups = new Map<string | number, Operation<I, O>[]>();
  for (const op of ops) {
    const k = keyOf(op);
    let group = groups.get(k);
    if (group === undefined) {
      group = [];
      groups.set(k, group);
    }
    group.push(op);
  }
  return [...groups.values()];
}
