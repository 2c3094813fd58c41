// Block 4 of the simulator seeds run by npm test (see lib/ci.ts).
import { describe } from '@jest/globals';
import { blockSeeds, CI_TICKS } from './lib/ci.js';
import { seedTests } from './lib/suite.js';

describe('simulation: seed block 4', () => {
  seedTests(blockSeeds(3), { ticks: CI_TICKS });
});
