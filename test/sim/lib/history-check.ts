// C1–C3 on the client history: retries that share an Idempotency-Key are one
// operation and must all get the first answer (C3); every acknowledged write
// is in the committed log (C2); unknown job creations are resolved from the
// final state (raft.md §5.3) and the history is checked for linearizability
// against the print farm model, partitioned by filament (C1).
import { checkOperations, describeFailure, type CheckResult } from '../../support/linearizability/checker.js';
import { buildHistory, classifyAttempt, shrinkUnknownWrites } from '../../support/linearizability/history.js';
import { isUnknown, type Operation } from '../../support/linearizability/model.js';
import {
  printFarmModel,
  printFarmOutputFromHttp,
  type PrintFarmInput,
  type PrintFarmOutput,
} from '../../support/linearizability/models/print-farm.js';
import { Violation } from './invariants.js';
import type { Simulation } from './simulation.js';

export interface HistoryReport {
  readonly operations: number;
  readonly unknown: number;
  readonly resolved: number;
  readonly dropped: number;
  readonly verdict: CheckResult['result'];
  readonly elapsedMs: number;
  readonly check: CheckResult<PrintFarmInput, PrintFarmOutput>;
}

type Op = Operation<PrintFarmInput, PrintFarmOutput>;

function observedIds(op: Op): string[] {
  const out = op.output;
  if (isUnknown(out)) return [];
  switch (op.input.kind) {
    case 'getJob':
      return out.status === 200 ? [op.input.jobId] : [];
    case 'setStatus':
      return out.status === 200 || out.code === 'INVALID_TRANSITION' ? [op.input.jobId] : [];
    case 'listJobs':
      return (out.jobs ?? []).map((j) => j.id);
    default:
      return [];
  }
}

export function checkHistory(sim: Simulation, timeoutMs: number): HistoryReport {
  const requests = sim.workload.requests;
  // C2: a write answered from apply is in the committed log.
  for (const r of requests) {
    if (r.access !== 'write' || r.idempotencyKey === undefined || classifyAttempt(r.result) !== 'ok') continue;
    if (!sim.invariants.committedKeys.has(r.idempotencyKey)) {
      throw new Violation('C2', `write ${r.idempotencyKey} (${r.input.kind}) was answered ${r.result.kind === 'response' ? r.result.status : ''} but is not in the committed log`);
    }
  }
  const built = buildHistory(requests, (input, response) => printFarmOutputFromHttp(input, response.status, response.body));
  const conflict = built.conflicts[0];
  if (conflict !== undefined) {
    throw new Violation('C3', `retries of key ${conflict.idempotencyKey} got different answers: ${JSON.stringify(conflict.first)} and ${JSON.stringify(conflict.other)}`);
  }
  const leader = sim.currentLeader();
  const applied = new Set<string>();
  if (leader !== null) for (const j of leader.sm.listPrintJobs({ limit: 1_000_000 }).items) applied.add(j.id);
  const shrunk = shrinkUnknownWrites(built.operations, {
    writeIdOf: (op) => (op.input.kind === 'createJob' ? op.input.jobId : undefined),
    applied,
    successOutput: () => ({ status: 201 }),
    observedIds,
  });
  const ops = shrunk.operations;
  const check = checkOperations(printFarmModel, ops, { timeoutMs });
  if (check.result === 'illegal') throw new HistoryViolation(describeFailure(check), check);
  return {
    operations: ops.length,
    unknown: ops.filter((o) => isUnknown(o.output)).length,
    resolved: shrunk.resolved,
    dropped: shrunk.dropped + built.dropped,
    verdict: check.result,
    elapsedMs: check.elapsedMs,
    check,
  };
}

export class HistoryViolation extends Violation {
  constructor(
    report: string,
    readonly check: CheckResult<PrintFarmInput, PrintFarmOutput>,
  ) {
    super('C1', `the client history is not linearizable\n${report}`);
  }
}
