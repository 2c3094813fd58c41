// Block 2 of the simulator seeds run by npm test (see lib/ci.ts).
import { describe } from '@jest/globals';
import { blockSeeds, CI_TICKS } from './lib/ci.js';
import { seedTests } from './lib/suite.js';

describe('simulation: seed block 2', () => {
  seedTests(blockSeeds(1), { ticks: CI_TICKS });
});
