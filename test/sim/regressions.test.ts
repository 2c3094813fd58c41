// Seeds that once failed, kept so that what they found stays fixed. Each
// comment says what the seed found and where it was fixed.
import { describe } from '@jest/globals';
import { CI_TICKS } from './lib/ci.js';
import { seedTests } from './lib/suite.js';

describe('simulation: regression seeds', () => {
  // 163: a delayed vote made n1 leader of an old term after a newer term had committed more
  //      (legal); the leader-completeness check must only ask for entries of earlier terms.
  // 167, 178: the operator took an old configuration without the node for a committed removal.
  // 107, 194: a learner restarted before its first entry has no peer addresses (runtime finding A).
  // 171: a learner installing a snapshot older than the leader's membership forgot the leader's
  //      address (runtime finding A).
  // 198: a crash between the snapshot file and the log store's record of it: the first append
  //      after it failed the store's gap check on every restart (runtime finding B).
  seedTests([107, 163, 167, 171, 178, 194, 198], { ticks: CI_TICKS });
});
