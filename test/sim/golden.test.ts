// The 32 golden seeds (lib/ci.ts): fixed forever, so a change that breaks one of
// them is noticed whatever SIM_BASE is.
import { describe } from '@jest/globals';
import { CI_TICKS, GOLDEN_SEEDS } from './lib/ci.js';
import { seedTests } from './lib/suite.js';

describe('simulation: golden seeds', () => {
  seedTests(GOLDEN_SEEDS, { ticks: CI_TICKS });
});
