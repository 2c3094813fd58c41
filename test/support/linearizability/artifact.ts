// Failure artifacts: the illegal partition's history and its partial linearizations as JSON, and
// the readable report next to it, so a failed CI run can be inspected offline (raft.md §5.8).

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CheckResult } from './checker.js';
import { toJsonValue } from './format.js';
import { describeFailure } from './report.js';

/** Plain JSON: UNKNOWN outputs become "unknown" and infinite return times "∞". */
export function failureArtifact<I, O>(result: CheckResult<I, O>): unknown {
  const illegal = result.illegal;
  return toJsonValue({
    result: result.result,
    elapsedMs: result.elapsedMs,
    partitions: result.partitions.map(({ linearization: _omitted, ...rest }) => rest),
    illegal:
      illegal === undefined
        ? null
        : {
            partition: illegal.partition,
            history: illegal.operations,
            initialState: illegal.initialState,
            longest: illegal.longest.map((s) => ({ index: s.index, description: s.description, stateAfter: s.stateAfter })),
            stuck: illegal.stuck.map((s) => ({ index: s.index, description: s.description, blocking: s.blocking })),
            partials: illegal.partials,
            partialOf: illegal.partialOf,
          },
  });
}

/** Writes `<name>.json` and `<name>.txt` into `dir` (created if needed); returns the JSON path. */
export function writeFailureArtifact<I, O>(dir: string, name: string, result: CheckResult<I, O>): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(failureArtifact(result), null, 1)}\n`);
  writeFileSync(path.join(dir, `${name}.txt`), `${describeFailure(result)}\n`);
  return file;
}
