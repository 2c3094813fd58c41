// Cheap content hashes for the checker: 48-bit values built from two 32-bit
// FNV-1a lanes (exact for the comparisons done here, with a collision chance
// far below anything a test run could notice).
import type { Entry } from '../../../src/consensus/core/types.js';

const imul = Math.imul;
const floor = Math.floor;
const dataHashes = new WeakMap<Uint8Array, number>();

function combine(a: number, b: number): number {
  return (a >>> 0) * 65536 + (b >>> 16);
}

export function bytesHash(data: Uint8Array): number {
  const cached = dataHashes.get(data);
  if (cached !== undefined) return cached;
  let h1 = 0x811c9dc5;
  let h2 = 0x6b43a9b5;
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    h1 = imul(h1 ^ c, 0x01000193);
    h2 = imul(h2 ^ c, 0x0100019d);
  }
  const h = combine(h1, h2);
  dataHashes.set(data, h);
  return h;
}

/** Hash of an entry's identity: index, term, type and data. */
export function entryHash(e: Entry): number {
  return mix(mix(mix(bytesHash(e.data), e.index), e.term), e.type);
}

/** Hash of a log prefix ending with `e`, given the hash of the prefix before it. */
export function prefixHash(before: number, e: Entry): number {
  return mix(before, entryHash(e));
}

export function mix(a: number, b: number): number {
  const lo = (a % 4294967296) >>> 0;
  const hi = floor(a / 4294967296) >>> 0;
  let h1 = imul(lo ^ (b >>> 0), 0x9e3779b1);
  h1 = imul(h1 ^ (h1 >>> 15), 0x85ebca6b);
  let h2 = imul(hi ^ h1 ^ floor(b / 4294967296), 0xc2b2ae35);
  h2 = imul(h2 ^ (h2 >>> 13), 0x27d4eb2f);
  return combine(h1 ^ (h2 >>> 7), h2 ^ h1);
}
