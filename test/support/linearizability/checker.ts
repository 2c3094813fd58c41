// Linearizability checker (raft.md §5): partitions checked round-robin in slices of steps, stopping
// at the first illegal partition, with time and memory budgets that yield 'unknown'.

import { formatValue } from './format.js';
import type { Model, Operation } from './model.js';
import { PartitionSearch } from './search.js';
import type { BudgetReason } from './search.js';

export { describeFailure } from './report.js';

export type Verdict = 'ok' | 'illegal' | 'unknown';

export interface CheckOptions {
  /** Wall-clock budget for the whole check; default 60 s. */
  timeoutMs?: number;
  /** Memo entries held at once, summed over the partitions being searched; default 4,000,000. */
  maxMemo?: number;
  /** Characters of interned state keys held at once over all partitions; default 100,000,000. */
  maxKeyChars?: number;
  /** Search steps per partition per round-robin turn; default 10,000. */
  sliceSteps?: number;
}

export interface PartitionReport {
  partition: number;
  /** 'unchecked': left unfinished because another partition was illegal. */
  result: Verdict | 'unchecked';
  operations: number;
  steps: number;
  memo: number;
  reason?: BudgetReason;
  /** For an 'ok' partition: indexes into its operations, in a valid linearization order. */
  linearization?: number[];
}

export interface LinearizedStep<I, O> {
  index: number;
  op: Operation<I, O>;
  description: string;
  stateAfter: string;
}

export interface StuckOperation<I, O> {
  index: number;
  op: Operation<I, O>;
  description: string;
  /** Its RETURN ended the window: it had to be linearized by then. */
  blocking: boolean;
}

export interface IllegalReport<I, O> {
  partition: number;
  /** The partition's history; `index` fields below point into it. */
  operations: Operation<I, O>[];
  initialState: string;
  /** The longest partial linearization found, with the model state after each step. */
  longest: LinearizedStep<I, O>[];
  /** The operations that could not be placed after `longest`. */
  stuck: StuckOperation<I, O>[];
  /** Distinct partial linearizations (operation indexes), for artifacts. */
  partials: number[][];
  /** Per operation, the index in `partials` of the longest one it was part of, or -1. */
  partialOf: number[];
}

export interface CheckResult<I = unknown, O = unknown> {
  result: Verdict;
  partitions: PartitionReport[];
  illegal?: IllegalReport<I, O>;
  elapsedMs: number;
}

const DEFAULTS = { timeoutMs: 60_000, maxMemo: 4_000_000, maxKeyChars: 100_000_000, sliceSteps: 10_000 };

export function checkOperations<S, I, O>(
  model: Model<S, I, O>,
  ops: Operation<I, O>[],
  opts: CheckOptions = {},
): CheckResult<I, O> {
  const started = performance.now();
  const timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
  const maxMemo = opts.maxMemo ?? DEFAULTS.maxMemo;
  const maxKeyChars = opts.maxKeyChars ?? DEFAULTS.maxKeyChars;
  const sliceSteps = Math.max(1, opts.sliceSteps ?? DEFAULTS.sliceSteps);
  const deadline = started + timeoutMs;
  for (const op of ops) validateOperation(op);

  const parts = model.partition ? model.partition(ops) : [ops];
  const searches = parts.map((part) => new PartitionSearch(model, part));
  let active = searches.flatMap((search, i) => (search.status === 'running' ? [i] : []));
  let illegal = -1;

  // Memory in use by the searches still running, so that one hard partition cannot starve the
  // process while the others would still finish (or prove the history illegal).
  let liveMemo = 0;
  let liveKeyChars = 0;
  rounds: while (active.length > 0) {
    const stillActive: number[] = [];
    for (const i of active) {
      const search = searches[i]!;
      liveMemo -= search.memoSize;
      liveKeyChars -= search.keyChars;
      const status = search.run(sliceSteps, Math.max(1, maxMemo - liveMemo), Math.max(1, maxKeyChars - liveKeyChars));
      if (status === 'illegal') {
        illegal = i;
        break rounds;
      }
      if (status === 'running') {
        stillActive.push(i);
        liveMemo += search.memoSize;
        liveKeyChars += search.keyChars;
      }
      if (performance.now() > deadline) {
        for (const s of searches) s.abandon('timeout');
        break rounds;
      }
    }
    active = stillActive;
  }

  const partitions = searches.map((search, i): PartitionReport => {
    const report: PartitionReport = {
      partition: i,
      result: search.status === 'running' ? 'unchecked' : search.status,
      operations: parts[i]!.length,
      steps: search.steps,
      memo: search.status === 'running' ? search.memoSize : search.memoPeak,
    };
    if (search.reason !== undefined) report.reason = search.reason;
    if (search.status === 'ok') report.linearization = search.linearization();
    return report;
  });
  const result: CheckResult<I, O> = {
    result: illegal >= 0 ? 'illegal' : partitions.some((p) => p.result === 'unknown') ? 'unknown' : 'ok',
    partitions,
    elapsedMs: 0,
  };
  if (illegal >= 0) result.illegal = illegalReport(model, illegal, parts[illegal]!, searches[illegal]!);
  result.elapsedMs = performance.now() - started;
  return result;
}

function validateOperation<I, O>(op: Operation<I, O>): void {
  if (!Number.isFinite(op.call) || Number.isNaN(op.ret) || op.ret < op.call) {
    throw new RangeError(
      `invalid operation times call=${op.call} ret=${op.ret} (client ${String(op.client)}): need a finite call ≤ ret`,
    );
  }
}

function illegalReport<S, I, O>(
  model: Model<S, I, O>,
  partition: number,
  ops: Operation<I, O>[],
  search: PartitionSearch<S, I, O>,
): IllegalReport<I, O> {
  const describeOp = (op: Operation<I, O>): string =>
    model.describe ? model.describe(op.input, op.output) : `${formatValue(op.input)} → ${formatValue(op.output)}`;
  const describeState = (state: S): string =>
    model.describeState ? model.describeState(state) : formatValue(model.key(state));
  const frontier = search.frontier;
  let state = model.init();
  const initialState = describeState(state);
  const longest: LinearizedStep<I, O>[] = [];
  for (const index of frontier?.sequence ?? []) {
    const op = ops[index]!;
    state = model.step(state, op.input, op.output).next;
    longest.push({ index, op, description: describeOp(op), stateAfter: describeState(state) });
  }
  const stuck = (frontier?.stuck ?? []).map(
    (index): StuckOperation<I, O> => ({
      index,
      op: ops[index]!,
      description: describeOp(ops[index]!),
      blocking: index === frontier?.blocking,
    }),
  );
  const partials: number[][] = [];
  const seen = new Map<Int32Array, number>();
  const partialOf = ops.map((_, i) => {
    const seq = search.longestFor(i);
    if (seq === null) return -1;
    let at = seen.get(seq);
    if (at === undefined) {
      at = partials.length;
      partials.push(Array.from(seq));
      seen.set(seq, at);
    }
    return at;
  });
  return { partition, operations: ops, initialState, longest, stuck, partials, partialOf };
}
