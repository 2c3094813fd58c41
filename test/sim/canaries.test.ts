// A harness that cannot catch planted bugs proves nothing (raft.md §6.2): each
// test-only canary in the core must make one of a few fixed seeds fail with the
// invariant that guards against it, and that seed must pass once the canary is off.
import { describe, test, expect } from '@jest/globals';
import type { UnsafeTestBug } from '../../src/consensus/core/types.js';
import { runSimulation, type SimResult } from './lib/run.js';
import type { SimParams } from './lib/params.js';

interface Canary {
  readonly bug: UnsafeTestBug;
  readonly catalogue: string;
  /** Invariants that may report it. */
  readonly caughtBy: readonly string[];
  readonly seeds: readonly number[];
  readonly ticks: number;
  readonly overrides?: Partial<SimParams>;
}

/**
 * Figure 8 needs a new leader whose first Apps carry old entries without its no-op: one entry
 * per message, a window of one, lossy links and frequent leader changes make that common.
 */
const FIGURE_8: Partial<SimParams> = {
  voters: 5,
  spares: 0,
  membershipChanges: false,
  maxMsgBytes: 160,
  maxInflight: 1,
  network: { drop: 0.1, duplicate: 0.01, tail: 0.1 },
  partitions: true,
  crashes: true,
  fsyncTicks: 2,
};

/**
 * B7 shows when a node that forgot its vote restarts (or is asked again) within the same term:
 * many elections (no pre-vote or check-quorum, partitions, lossy links) and many crashes.
 */
const ELECTIONS: Partial<SimParams> = {
  voters: 5,
  spares: 0,
  membershipChanges: false,
  crashes: true,
  partitions: true,
  network: { drop: 0.05, duplicate: 0.01, tail: 0.1 },
  preVote: false,
  checkQuorum: false,
};

const CANARIES: readonly Canary[] = [
  { bug: 'vote-before-durable', catalogue: 'B6', caughtBy: ['S3', 'S2', 'S1'], seeds: [1, 2, 3], ticks: 600 },
  { bug: 'ack-before-fsync', catalogue: 'B31', caughtBy: ['S6', 'S3', 'S5'], seeds: [2, 3, 4], ticks: 600 },
  { bug: 'truncate-on-stale-append', catalogue: 'B2', caughtBy: ['S6', 'S5', 'S7'], seeds: [4, 7, 11, 3, 5, 6], ticks: 800 },
  { bug: 'forget-vote-on-leader', catalogue: 'B7', caughtBy: ['S3', 'S2', 'S1'], seeds: [4, 7, 9, 13, 14, 1, 2], ticks: 1000, overrides: ELECTIONS },
  { bug: 'read-without-read-index', catalogue: 'B19/B20', caughtBy: ['C1'], seeds: [4, 6, 1, 2, 3, 5], ticks: 800 },
  { bug: 'commit-previous-term-by-counting', catalogue: 'B1', caughtBy: ['S5', 'S7'], seeds: [3, 6, 2, 4, 5, 8], ticks: 800, overrides: FIGURE_8 },
];

async function run(c: Canary, seed: number, on: boolean): Promise<SimResult> {
  return runSimulation({
    seed,
    ticks: c.ticks,
    quiesceTicks: 200,
    ...(on ? { canaries: new Set([c.bug]) } : {}),
    ...(c.overrides !== undefined ? { overrides: c.overrides } : {}),
    artifactsDir: on ? null : undefined,
  });
}

describe('canaries: planted bugs are caught', () => {
  for (const c of CANARIES) {
    test(`${c.catalogue} ${c.bug}: caught by ${c.caughtBy.join('/')} within seeds ${c.seeds.join(', ')}; the catching seed passes without it`, async () => {
      let caught: SimResult | null = null;
      for (const seed of c.seeds) {
        const r = await run(c, seed, true);
        if (!r.ok) {
          caught = r;
          break;
        }
      }
      expect(caught).not.toBeNull();
      const failure = caught!.failure!;
      expect(c.caughtBy).toContain(failure.invariant);
      console.log(`${c.bug} (${c.catalogue}): seed ${caught!.seed} fails ${failure.invariant} at tick ${failure.tick}: ${failure.detail.split('\n')[0]}`);
      const clean = await run(c, caught!.seed, false);
      expect(clean.failure).toBeNull();
    }, 120_000);
  }
});
