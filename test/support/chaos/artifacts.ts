// What a failed chaos run leaves behind in .test-artifacts/chaos/<timestamp>/:
// every recorded attempt, the checked history, the fault schedule, the final
// state of each node, the checker's report and every node's log.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckResult } from '../linearizability/checker.js';
import { writeFailureArtifact } from '../linearizability/artifact.js';
import { toJsonValue } from '../linearizability/format.js';
import { repoRoot } from '../process-cluster.js';
import type { FarmOperation } from './chaos-history.js';
import type { NemesisEvent } from './nemesis.js';
import type { ChaosRequest } from './workload.js';

export interface ChaosArtifacts {
  readonly seed: number;
  readonly summary: readonly string[];
  readonly requests: readonly ChaosRequest[];
  readonly nemesis: readonly NemesisEvent[];
  readonly operations?: readonly FarmOperation[];
  readonly check?: CheckResult;
  /** Node id → final state as served (stale lists). */
  readonly finalStates: ReadonlyMap<string, string>;
  /** Node id → path of its log. */
  readonly logs: ReadonlyMap<string, string>;
}

export function newArtifactDir(): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return join(repoRoot, '.test-artifacts', 'chaos', stamp);
}

/** Writes everything into `dir` (created if needed) and returns it. */
export function writeChaosArtifacts(dir: string, a: ChaosArtifacts): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'summary.txt'), `seed ${a.seed} (rerun with CHAOS_SEED=${a.seed})\n${a.summary.join('\n')}\n`);
  writeFileSync(join(dir, 'attempts.ndjson'), a.requests.map((r) => JSON.stringify(toJsonValue(r))).join('\n') + '\n');
  writeFileSync(join(dir, 'nemesis.log'), a.nemesis.map((e) => `${e.at.toFixed(1)}\t${e.action}\t${e.detail}`).join('\n') + '\n');
  if (a.operations !== undefined) writeFileSync(join(dir, 'history.json'), `${JSON.stringify(toJsonValue(a.operations), null, 1)}\n`);
  if (a.check !== undefined) writeFailureArtifact(dir, 'linearizability', a.check);
  for (const [id, state] of a.finalStates) writeFileSync(join(dir, `final-${id}.json`), `${state}\n`);
  for (const [id, path] of a.logs) if (existsSync(path)) copyFileSync(path, join(dir, `${id}.log`));
  return dir;
}
