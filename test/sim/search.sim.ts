// Entry point of `npm run test:sim` (scripts/sim.mjs): a longer search over a
// seed range, or the replay of one seed, with the options passed in SIM_*
// environment variables. Not part of `npm test` (its name does not end in .test.ts).
import { afterAll, describe } from '@jest/globals';
import { parseCanaries, seedRange, seedTests } from './lib/suite.js';
import type { SimResult } from './lib/run.js';

const env = process.env;
const steps = Number(env.SIM_STEPS ?? 2000);
const canaries = parseCanaries(env.SIM_CANARY);
const single = env.SIM_SEED !== undefined && env.SIM_SEED !== '' ? Number(env.SIM_SEED) : undefined;
const seeds = single !== undefined ? [single] : seedRange(Number(env.SIM_START ?? 1), Number(env.SIM_SEEDS ?? 100));
const results: SimResult[] = [];
const started = performance.now();

describe(`simulator search: ${seeds.length} seed(s) from ${seeds[0]}, ${steps} ticks${canaries.size > 0 ? `, canaries ${[...canaries].join(',')}` : ''}`, () => {
  seedTests(seeds, { ticks: steps, canaries, faithfulRuntime: env.SIM_FAITHFUL === '1', alwaysWriteArtifacts: single !== undefined }, (r) =>
    results.push(r),
  );
  afterAll(() => {
    const failed = results.filter((r) => !r.ok);
    const byInvariant = new Map<string, number>();
    for (const r of failed) byInvariant.set(r.failure!.invariant, (byInvariant.get(r.failure!.invariant) ?? 0) + 1);
    const events = results.reduce((n, r) => n + r.stats.events, 0);
    const lines = [
      `${results.length} seeds, ${failed.length} failed ${JSON.stringify(Object.fromEntries(byInvariant))}, ` +
        `${Math.round((performance.now() - started) / 1000)} s, ${events} events`,
    ];
    if (single !== undefined && results[0] !== undefined) {
      const r = results[0];
      lines.push(`trace hash ${r.traceHash}; stats ${JSON.stringify(r.stats)}; history ${JSON.stringify(r.history)}`);
      if (r.artifacts !== null) lines.push(`artifacts: ${r.artifacts}`);
    }
    for (const r of failed) lines.push(`  seed ${r.seed}: ${r.failure!.invariant}: ${r.failure!.detail.split('\n')[0]}`);
    console.log(lines.join('\n'));
  });
});
