// Turning recorded HTTP requests into a checkable history (raft.md §5.2, §5.3): classify each
// attempt, merge retries that share an Idempotency-Key into one logical operation, and resolve
// unknown writes that the final state proves did or did not happen.

import type { Operation } from './model.js';
import { UNKNOWN, isUnknown } from './model.js';

export interface HttpResponse {
  status: number;
  /** The `code` of an error body, if any. */
  code?: string;
  body?: unknown;
  /** The server stated that it never proposed the command (only meaningful on a 503). */
  notProposed?: boolean;
}

export type HttpResult =
  | ({ kind: 'response' } & HttpResponse)
  /** timeout: no answer in time; reset: the connection broke after the request was sent; refused: nothing was sent. */
  | { kind: 'error'; error: 'timeout' | 'reset' | 'refused' };

export type OutcomeKind = 'ok' | 'failed' | 'unknown';

/**
 * What one attempt says about its request. 'ok': answered after the state was consulted
 * (successes and apply-time refusals). 'rejected': refused without consulting the state, so it
 * did not and never will take effect. 'not-sent': this attempt reached nothing. 'unknown': it
 * may or may not take effect, at any time.
 */
export type AttemptClass = 'ok' | 'rejected' | 'not-sent' | 'unknown';

/** Codes of refusals decided in apply: they observed the state, so they stay in the history. */
const APPLY_REFUSALS = new Set([
  'UNKNOWN_PRINTER',
  'UNKNOWN_FILAMENT',
  'INSUFFICIENT_FILAMENT',
  'INVALID_TRANSITION',
  'ALREADY_EXISTS',
  'NOT_FOUND',
]);

export function classifyAttempt(result: HttpResult): AttemptClass {
  if (result.kind === 'error') return result.error === 'refused' ? 'not-sent' : 'unknown';
  const { status, code } = result;
  if (status >= 200 && status < 300) return 'ok';
  // 404: an absent entity on a GET, or a status change of an unknown job, both decided on state.
  if (status === 404 || status === 409) return 'ok';
  if (status === 400) return code !== undefined && APPLY_REFUSALS.has(code) ? 'ok' : 'rejected';
  if (status === 503) return result.notProposed === true ? 'not-sent' : 'unknown';
  // 405, 413, 422 and other client errors are decided before proposing.
  if (status >= 400 && status < 500) return 'rejected';
  // 500, 502, 504 and anything unexpected: the command may have been proposed.
  return 'unknown';
}

/** §5.2's three kinds for a single attempt. */
export function classifyHttpOutcome(result: HttpResult): OutcomeKind {
  const c = classifyAttempt(result);
  return c === 'ok' ? 'ok' : c === 'unknown' ? 'unknown' : 'failed';
}

export interface HttpAttempt {
  call: number;
  ret: number;
  result: HttpResult;
}

export type MergedOutcome =
  | { kind: 'ok'; call: number; ret: number; response: HttpResponse }
  | { kind: 'failed'; call: number }
  | { kind: 'unknown'; call: number };

export interface MergedAttempts {
  outcome: MergedOutcome;
  /** Definite answers that disagree: the retry acted again instead of replaying the first outcome. */
  conflict?: { first: HttpResponse; other: HttpResponse };
}

/**
 * Retries of one request: call = the first attempt's call; the earliest definite answer decides
 * (ret = its time); otherwise unknown if any attempt may have reached the server, else failed.
 */
export function mergeAttempts(attempts: readonly HttpAttempt[]): MergedAttempts {
  if (attempts.length === 0) throw new RangeError('mergeAttempts needs at least one attempt');
  const call = Math.min(...attempts.map((a) => a.call));
  const byReturn = [...attempts].sort((a, b) => a.ret - b.ret);
  let answer: { attempt: HttpAttempt; response: HttpResponse; cls: AttemptClass } | undefined;
  let conflict: MergedAttempts['conflict'];
  let maybeSent = false;
  for (const attempt of byReturn) {
    const cls = classifyAttempt(attempt.result);
    if (cls === 'unknown') maybeSent = true;
    if ((cls !== 'ok' && cls !== 'rejected') || attempt.result.kind !== 'response') continue;
    const response = responseOf(attempt.result);
    if (answer === undefined) answer = { attempt, response, cls };
    else if (conflict === undefined && !sameResponse(answer.response, response)) {
      conflict = { first: answer.response, other: response };
    }
  }
  let outcome: MergedOutcome;
  if (answer !== undefined) {
    outcome =
      answer.cls === 'ok' ? { kind: 'ok', call, ret: answer.attempt.ret, response: answer.response } : { kind: 'failed', call };
  } else {
    outcome = maybeSent ? { kind: 'unknown', call } : { kind: 'failed', call };
  }
  return conflict === undefined ? { outcome } : { outcome, conflict };
}

export interface RecordedRequest<I> {
  client: number | string;
  input: I;
  /** Reads are dropped unless answered; writes with an unknown outcome stay, with ret = Infinity. */
  access: 'read' | 'write';
  /** Attempts with the same key are one logical operation; without a key, each request is its own. */
  idempotencyKey?: string;
  call: number;
  ret: number;
  result: HttpResult;
}

export interface RetryConflict<I> {
  idempotencyKey: string;
  input: I;
  first: HttpResponse;
  other: HttpResponse;
}

export interface BuiltHistory<I, O> {
  operations: Operation<I, O>[];
  /** Logical operations left out: failed ones, and reads without an answer. */
  dropped: number;
  conflicts: RetryConflict<I>[];
}

export function buildHistory<I, O>(
  requests: readonly RecordedRequest<I>[],
  toOutput: (input: I, response: HttpResponse) => O,
): BuiltHistory<I, O> {
  const groups = new Map<string, RecordedRequest<I>[]>();
  const singles: RecordedRequest<I>[][] = [];
  for (const r of requests) {
    if (r.idempotencyKey === undefined) {
      singles.push([r]);
      continue;
    }
    const group = groups.get(r.idempotencyKey);
    if (group === undefined) groups.set(r.idempotencyKey, [r]);
    else {
      if (group[0]!.access !== r.access || group[0]!.client !== r.client) {
        throw new RangeError(`Idempotency-Key ${r.idempotencyKey} is shared by different clients or kinds of request`);
      }
      group.push(r);
    }
  }
  const operations: Operation<I, O>[] = [];
  const conflicts: RetryConflict<I>[] = [];
  let dropped = 0;
  for (const group of [...groups.values(), ...singles]) {
    const first = group.reduce((a, b) => (b.call < a.call ? b : a));
    const merged = mergeAttempts(group);
    if (merged.conflict !== undefined && first.idempotencyKey !== undefined) {
      conflicts.push({ idempotencyKey: first.idempotencyKey, input: first.input, ...merged.conflict });
    }
    const o = merged.outcome;
    if (o.kind === 'ok') {
      operations.push({ client: first.client, input: first.input, output: toOutput(first.input, o.response), call: o.call, ret: o.ret });
    } else if (o.kind === 'unknown' && first.access === 'write') {
      operations.push({ client: first.client, input: first.input, output: UNKNOWN, call: o.call, ret: Infinity });
    } else {
      dropped++;
    }
  }
  operations.sort((a, b) => a.call - b.call);
  return { operations, dropped, conflicts };
}

export interface ShrinkOptions<I, O> {
  /** The unique value or id that the write puts into the state, or undefined if untraceable. */
  writeIdOf(op: Operation<I, O>): string | undefined;
  /**
   * Every id that ever took effect: the committed log, or a final state from which ids never
   * disappear (jobs are never deleted). An overwritable value missing from a final state
   * proves nothing, so it must not be resolved from the final state alone.
   */
  applied: ReadonlySet<string>;
  /** The output the write has when it takes effect. */
  successOutput(op: Operation<I, O>): O;
  /** The ids whose effect a completed operation saw (for example the value a read returned). */
  observedIds?(op: Operation<I, O>): Iterable<string>;
}

/**
 * §5.3: an unknown write whose id never took effect is dropped; one that did gets its success
 * output and its return capped at the earliest return of an operation that saw its effect.
 */
export function shrinkUnknownWrites<I, O>(
  ops: readonly Operation<I, O>[],
  opts: ShrinkOptions<I, O>,
): { operations: Operation<I, O>[]; dropped: number; resolved: number } {
  const firstSeen = new Map<string, number>();
  if (opts.observedIds !== undefined) {
    for (const op of ops) {
      if (isUnknown(op.output)) continue;
      for (const id of opts.observedIds(op)) {
        const seen = firstSeen.get(id);
        if (seen === undefined || op.ret < seen) firstSeen.set(id, op.ret);
      }
    }
  }
  const operations: Operation<I, O>[] = [];
  let dropped = 0;
  let resolved = 0;
  for (const op of ops) {
    const id = isUnknown(op.output) ? opts.writeIdOf(op) : undefined;
    if (id === undefined) {
      operations.push(op);
    } else if (!opts.applied.has(id)) {
      dropped++;
    } else {
      resolved++;
      // An observer that returned before this call is itself a violation; keeping ret ≥ call
      // leaves it for the checker to report.
      const cap = firstSeen.get(id) ?? Infinity;
      operations.push({ ...op, output: opts.successOutput(op), ret: Math.max(op.call, Math.min(op.ret, cap)) });
    }
  }
  return { operations, dropped, resolved };
}

function responseOf(result: { kind: 'response' } & HttpResponse): HttpResponse {
  const { kind: _kind, ...response } = result;
  return response;
}

function sameResponse(a: HttpResponse, b: HttpResponse): boolean {
  return a.status === b.status && a.code === b.code && JSON.stringify(a.body) === JSON.stringify(b.body);
}
