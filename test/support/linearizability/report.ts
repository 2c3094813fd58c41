// Human-readable verdicts: for an illegal history, the longest partial linearization with the
// state after each step and the operations that could not follow it (raft.md §5.8).

import type { CheckResult } from './checker.js';
import { formatTime } from './format.js';
import type { Operation } from './model.js';

export function describeFailure<I, O>(result: CheckResult<I, O>): string {
  const parts = result.partitions;
  if (result.result === 'ok') {
    return `linearizable: ${parts.length} partition(s), ${count(parts, 'operations')} operations, ${count(parts, 'steps')} steps`;
  }
  const illegal = result.illegal;
  if (result.result === 'unknown' || illegal === undefined) {
    const lines = [`unknown: the search ran out of budget after ${Math.round(result.elapsedMs)} ms`];
    for (const p of parts) {
      if (p.result !== 'unknown') continue;
      lines.push(
        `  partition ${p.partition}: ${p.operations} operations, ${p.steps} steps, ${p.memo} memo entries (${p.reason ?? 'budget'})`,
      );
    }
    lines.push('  make the history easier: fewer clients per key, more keys, fewer unknown writes');
    return lines.join('\n');
  }
  const lines = [
    `not linearizable: partition ${illegal.partition} of ${parts.length} (${illegal.operations.length} operations)`,
    `longest partial linearization: ${illegal.longest.length} of ${illegal.operations.length} operations`,
    `  initial state: ${illegal.initialState}`,
  ];
  illegal.longest.forEach((step, k) => {
    lines.push(`  ${String(k + 1).padStart(4)}. ${label(step.index, step.op)} ${step.description}`);
    lines.push(`        ⇒ ${step.stateAfter}`);
  });
  lines.push('none of these could be linearized next:');
  for (const s of illegal.stuck) {
    const why = s.blocking ? '   ← its return closes the window' : '';
    lines.push(`        ${label(s.index, s.op)} ${s.description}${why}`);
  }
  return lines.join('\n');
}

function label<I, O>(index: number, op: Operation<I, O>): string {
  return `#${index} [${formatTime(op.call)}, ${formatTime(op.ret)}] client ${String(op.client)}:`;
}

function count(parts: CheckResult['partitions'], field: 'operations' | 'steps'): number {
  return parts.reduce((sum, p) => sum + p[field], 0);
}
