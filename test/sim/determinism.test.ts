// Same seed, same run, bit for bit: the hash of the whole event trace (every
// delivered and lost message, fault, role change, client answer) must repeat.
import { describe, test, expect } from '@jest/globals';
import { runSimulation } from './lib/run.js';
import { drawParams } from './lib/params.js';

// Seed 1: membership changes, crashes, partitions and snapshots (see its parameters below).
const SEED = 1;
const base = { ticks: 1500, keepTrace: false, artifactsDir: null, skipLinearizability: true } as const;

describe('determinism', () => {
  test('the seed exercises the nondeterministic parts (faults, membership, snapshots)', () => {
    const p = drawParams(SEED);
    expect([p.membershipChanges, p.crashes, p.partitions, p.network.drop > 0]).toEqual([true, true, true, true]);
  });

  test('running a seed twice gives the same trace hash and the same statistics', async () => {
    const a = await runSimulation({ ...base, seed: SEED });
    const b = await runSimulation({ ...base, seed: SEED });
    expect(a.ok).toBe(true);
    expect(a.stats.events).toBeGreaterThan(5000);
    expect(a.stats.crashes).toBeGreaterThan(0);
    expect(a.stats.snapshotsTaken).toBeGreaterThan(0);
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.stats).toEqual(a.stats);
  }, 60_000);

  test('another seed gives another run', async () => {
    const a = await runSimulation({ ...base, seed: SEED });
    const c = await runSimulation({ ...base, seed: SEED + 1 });
    expect(c.traceHash).not.toBe(a.traceHash);
  }, 60_000);
});
