// Seeds that found problems, kept so that they stay found and fixed.
//
// Runtime findings (raft-node.ts / boot.ts, owned by the runtime's author). The simulated
// runtime mirrors raft-node; `faithfulRuntime` mirrors it exactly, bugs included, and by default
// it carries the proposed fixes (NodeTuning.learnSenderAddress, recordReconciledSnapshot):
//  A. A node only knows the addresses of the members of its latest configuration (plus those
//     join-client learned once). A learner that restarts before its first entry has an empty
//     configuration; one that installs a snapshot or replays entries older than the leader's
//     membership forgets the leader's address. Either way it can never answer the leader again.
//  B. boot.ts reconcile() starts from a snapshot file newer than the one the log store recorded
//     (a crash between the two writes) without recording it: the first append or commit after
//     it fails LevelLogStore's checks ("would leave a gap", "commit beyond the last index"), the
//     node fail-stops, restarts and fails again, forever.
// When raft-node and boot carry the fixes, drop the switches and keep the seeds as plain runs.
import { describe, test, expect } from '@jest/globals';
import { CI_TICKS } from './lib/ci.js';
import { runSimulation } from './lib/run.js';

const FINDINGS: readonly { seed: number; finding: string }[] = [
  { seed: 12, finding: 'A: a learner restarted before its first entry never answers the leader' },
  { seed: 73, finding: 'A: a node replaying an old configuration cannot answer the current leader' },
  { seed: 199, finding: 'B: a snapshot file newer than the log store leaves a voter crash-looping (no membership change involved)' },
];

describe('simulation: runtime findings', () => {
  for (const { seed, finding } of FINDINGS) {
    test(`seed ${seed}, finding ${finding}: fails with the exact mirror of today's runtime, passes with the fix`, async () => {
      const faithful = await runSimulation({ seed, ticks: CI_TICKS, faithfulRuntime: true, artifactsDir: null, skipLinearizability: true });
      expect(faithful.failure?.invariant).toBe('L1');
      const fixed = await runSimulation({ seed, ticks: CI_TICKS });
      expect(fixed.failure).toBeNull();
    }, 120_000);
  }
});
