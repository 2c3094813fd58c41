// Tier T1 of the reference test plan: one scripted scenario per entry of the
// bug catalogue (reference §3) that concerns the Raft core, plus the paper's
// Figures 7 and 8. Each file under scenarios/ holds its expected transcript;
// REWRITE=1 regenerates the transcripts for review in the diff. EXPECT lines
// and the safety invariants fail a scenario even while rewriting. Entries that
// live outside the core are in known-bugs-components.test.ts; the few that do
// not apply to Raft3D are listed below with the reason.
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

/** Catalogue entries with no scenario, and why (reference §3). */
const NOT_APPLICABLE: ReadonlyMap<string, string> = new Map([
  [
    'B22',
    'Raft3D has no lease-based reads: every linearizable read, on the leader or a follower, is a ReadIndex round ' +
      '(api.md §5; reference §2.1 keeps lease reads off and neither CoreConfig nor RaftNodeOptions has such an option). ' +
      'What a deposed or paused leader does with a ReadIndex read is B19.',
  ],
]);

const COMPONENT_TESTS = fileURLToPath(new URL('./known-bugs-components.test.ts', import.meta.url));

/** Bug ids named by the first line of each scenario ("# B12 …"). */
function scriptedIds(): string[] {
  return files.flatMap((f) => {
    const m = /^#\s*(B\d+)\s/.exec(source(f));
    return m === null ? [] : [m[1]!];
  });
}

/** Bug ids that name a test or describe block of the component tests ('B28 …'). */
function componentIds(): string[] {
  return readFileSync(COMPONENT_TESTS, 'utf8')
    .split('\n')
    .filter((line) => /\b(test|describe)\b/.test(line))
    .flatMap((line) => [...line.matchAll(/['`](B\d+) /g)].map((m) => m[1]!));
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
  ['read-without-read-index', 'b19-paused-leader-read.txt'],
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

describe('known Raft bugs: coverage of the catalogue', () => {
  const all = Array.from({ length: 34 }, (_, i) => `B${i + 1}`);

  test('scripts, component tests and the not-applicable list cover exactly B1–B34', () => {
    const covered = new Set([...scriptedIds(), ...componentIds(), ...NOT_APPLICABLE.keys()]);
    expect([...covered].sort()).toEqual([...all].sort());
  });

  test('a bug listed as not applicable has a reason and no test', () => {
    const tested = new Set([...scriptedIds(), ...componentIds()]);
    for (const [id, reason] of NOT_APPLICABLE) {
      expect(tested.has(id)).toBe(false);
      expect(reason.length).toBeGreaterThan(40);
    }
  });

  test("the paper's Figure 7 and Figure 8 have their scripts", () => {
    const figures = files.map((f) => /^#\s*(Fig\d+)\s/.exec(source(f))?.[1]).filter((x) => x !== undefined);
    expect(figures.sort()).toEqual(['Fig7', 'Fig8']);
  });
});
