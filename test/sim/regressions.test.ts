// Seeds that found problems, kept so that they stay found and fixed.
//
// Runtime findings (raft-node.ts / boot.ts, owned by the runtime's author). The simulated
// runtime mirrors raft-node; `faithfulRuntime` mirrors it exactly, bugs included, and by default
// it carries the proposed fixes (NodeTuning.learnSenderAddress, recordReconciledSnapshot):
//  A. A node only knows the addresses of the members of its latest and applied configurations
//     (plus those join-client learned once, forgotten at the next refresh). A learner that
//     restarts before its first entry has no configuration at all; one that installs a snapshot
//     or replays entries older than the leader's membership forgets the leader's address. Either
//     way it can never answer the leader (frames from it arrive; nothing goes back).
//  B. boot.ts reconcile() starts from a snapshot file newer than the one the log store recorded
//     (a crash between the two writes) without recording it: the first append or commit after
//     it fails LevelLogStore's checks ("would leave a gap", "commit beyond the last index"), the
//     node fail-stops, restarts and fails again, forever.
// When raft-node and boot carry the fixes, drop the switches and keep the seeds as plain runs.
import { describe, test, expect } from '@jest/globals';
import { CI_TICKS } from './lib/ci.js';
import { runSimulation } from './lib/run.js';
import type { RuntimeFix, SimParams } from './lib/params.js';

/** Frequent snapshots without trailing log make followers install snapshots from the leader often. */
const SNAPSHOT_HEAVY: Partial<SimParams> = {
  voters: 3,
  spares: 0,
  membershipChanges: false,
  leadershipTransfers: false,
  snapshotThreshold: 20,
  snapshotTrailing: 0,
  crashes: true,
  partitions: true,
  fsyncTicks: 3,
};

interface Finding {
  readonly finding: string;
  readonly fix: RuntimeFix;
  /** At least one reproduces the finding with the exact mirror; all pass with the fix. */
  readonly seeds: readonly number[];
  readonly ticks: number;
  readonly overrides?: Partial<SimParams>;
}

const FINDINGS: readonly Finding[] = [
  { finding: 'A: a learner restarted before its first entry never answers the leader', fix: 'learn-sender-address', seeds: [1, 34, 53], ticks: CI_TICKS },
  { finding: 'A: a node whose configuration is older than the leader cannot answer it', fix: 'learn-sender-address', seeds: [289, 677, 374], ticks: CI_TICKS },
  { finding: 'B: a snapshot file newer than the log store leaves a voter crash-looping', fix: 'record-reconciled-snapshot', seeds: [2], ticks: 1200, overrides: SNAPSHOT_HEAVY },
];

describe('simulation: runtime findings', () => {
  for (const f of FINDINGS) {
    test(`finding ${f.finding}: seeds ${f.seeds.join(', ')} fail without the fix ${f.fix} (as today's runtime), pass with it`, async () => {
      const common = { ticks: f.ticks, ...(f.overrides !== undefined ? { overrides: f.overrides } : {}) };
      const reproduced: number[] = [];
      for (const seed of f.seeds) {
        const faithful = await runSimulation({ ...common, seed, withoutFixes: [f.fix], artifactsDir: null, skipLinearizability: true });
        if (faithful.failure?.invariant === 'L1') reproduced.push(seed);
        const fixed = await runSimulation({ ...common, seed });
        expect(fixed.failure).toBeNull();
      }
      expect(reproduced.length).toBeGreaterThan(0);
    }, 180_000);
  }
});
