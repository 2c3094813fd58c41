// The seeds `npm test` runs (raft.md §6.4): four blocks of consecutive seeds
// (one test file each, so jest can spread them over workers) plus 32 golden
// seeds picked once for covering every parameter and fault class at least
// four times. SIM_BASE moves the blocks (e.g. derived from the commit hash in
// CI, to search new seeds on every change); the default keeps runs identical.
export const CI_TICKS = 2000;
export const BLOCK_SIZE = 60;
export const BLOCKS = 4;

export function blockSeeds(block: number): number[] {
  const base = Number(process.env.SIM_BASE ?? 1000);
  if (!Number.isSafeInteger(base) || base < 0) throw new Error(`SIM_BASE must be a non-negative integer, got ${process.env.SIM_BASE}`);
  return Array.from({ length: BLOCK_SIZE }, (_, i) => base + block * BLOCK_SIZE + i);
}

export const GOLDEN_SEEDS: readonly number[] = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 27, 34, 42, 407, 1607, 1862, 1988, 1999,
];
