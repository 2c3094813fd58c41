// Seeded randomness for the fault proxy: a failing chaos run can be replayed
// by passing the seed it printed.

/** Uniform in [0, 1). */
export type Random = () => number;

/** mulberry32: tiny, fast and good enough to decide which frames to drop. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * An independent seed per (connection, direction, purpose): decisions on one
 * connection must not depend on how frames of other connections interleave.
 */
export function deriveSeed(seed: number, ...parts: readonly number[]): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}

export function randomSeed(): number {
  return Math.floor(Math.random() * 4294967296) >>> 0;
}
