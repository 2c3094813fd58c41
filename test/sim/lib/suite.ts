// Jest glue: one test per seed, failing with the seed, the broken invariant,
// the replay command and the artifact directory.
import { test } from '@jest/globals';
import type { UnsafeTestBug } from '../../../src/consensus/core/types.js';
import { describeResult, runSimulation, type SimResult } from './run.js';
import type { SimOptions } from './params.js';

export const CANARIES: readonly UnsafeTestBug[] = [
  'vote-before-durable',
  'commit-previous-term-by-counting',
  'read-without-read-index',
  'ack-before-fsync',
  'truncate-on-stale-append',
  'forget-vote-on-leader',
];

export function parseCanaries(text: string | undefined): ReadonlySet<UnsafeTestBug> {
  const out = new Set<UnsafeTestBug>();
  for (const name of (text ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const known = CANARIES.find((c) => c === name);
    if (known === undefined) throw new Error(`unknown canary ${name} (known: ${CANARIES.join(', ')})`);
    out.add(known);
  }
  return out;
}

export function seedRange(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + i);
}

/** Per seed, a few seconds of simulation at most; jest's default of 30 s leaves room for a loaded machine. */
export const SEED_TIMEOUT_MS = 120_000;

export function seedTests(seeds: readonly number[], options: Omit<SimOptions, 'seed'>, onResult?: (r: SimResult) => void): void {
  for (const seed of seeds) {
    test(
      `seed ${seed}`,
      async () => {
        const r = await runSimulation({ ...options, seed });
        onResult?.(r);
        if (!r.ok) throw new Error(describeResult(r));
      },
      SEED_TIMEOUT_MS,
    );
  }
}
