// Tier T1 of the reference test plan: one scripted scenario per entry of the
// bug catalogue (reference §3) that concerns the Raft core, plus the paper's
// Figures 7 and 8. Each file under scenarios/ holds its expected transcript;
// REWRITE=1 regenerates the transcripts for review in the diff. EXPECT lines
// and the safety invariants fail a scenario even while rewriting.
import { describe, test, expect } from '@jest/globals';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runScript } from '../support/raft-script/interpreter.js';
import { TEST_BUGS } from '../support/raft-script/state.js';

const DIR = fileURLToPath(new URL('./scenarios/', import.meta.url));
const REWRITE = process.env['REWRITE'] === '1';

const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.txt'))
  .sort();

function source(file: string): string {
  return readFileSync(`${DIR}${file}`, 'utf8');
}

/**
 * The core's test-only canaries (CoreConfig.unsafeTestBugs) and scenarios
 * that must fail when one is switched on: proof that those scenarios exercise
 * the rule rather than pass by accident (reference §6.2).
 */
const CANARIES: readonly (readonly [bug: string, file: string])[] = [
  ['commit-previous-term-by-counting', 'b01-figure-8-commit-by-counting.txt'],
  ['commit-previous-term-by-counting', 'fig08-current-term-entry-commits-older-ones.txt'],
  ['truncate-on-stale-append', 'b02-stale-duplicate-append.txt'],
  ['vote-before-durable', 'b06-vote-durable-before-reply.txt'],
  ['forget-vote-on-leader', 'b07-vote-kept-on-learning-leader.txt'],
  ['read-without-read-index', 'b19-no-stale-read-from-deposed-leader.txt'],
  ['read-without-read-index', 'b20-read-index-waits-for-term-commit.txt'],
  ['ack-before-fsync', 'b31-acknowledged-writes-survive-total-crash.txt'],
  ['ack-before-fsync', 'b32-stale-write-completion-aba.txt'],
];

describe('known Raft bugs: scripted scenarios', () => {
  for (const file of files) {
    const text = source(file);
    const title = (text.split('\n')[0] ?? '').replace(/^#\s*/, '');
    test(title || file, () => {
      const run = runScript(text, `scenarios/${file}`);
      if (REWRITE) {
        if (run.actual !== text) writeFileSync(`${DIR}${file}`, run.actual);
        return;
      }
      expect(run.actual).toBe(run.expected);
    });
  }
});

describe('known Raft bugs: every canary of the core fails its scenario', () => {
  test('each canary has a scenario', () => {
    expect([...new Set(CANARIES.map(([bug]) => bug))].sort()).toEqual([...TEST_BUGS].sort());
  });

  for (const [bug, file] of CANARIES) {
    test(`${bug} → ${file} fails`, () => {
      expect(files).toContain(file);
      expect(() => runScript(source(file), `scenarios/${file}`, [bug])).toThrow(/ExpectationFailed|InvariantViolation/);
    });
  }
});
