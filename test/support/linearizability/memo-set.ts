// The set of (linearized bitset, state id) pairs already explored (raft.md §5.6, §5.9).
// Open addressing over typed arrays: a Map of small arrays costs ~100 bytes of object overhead
// per entry, which decides whether a hard history fits in memory before its budget runs out.

const CHUNK_WORDS = 1 << 16;
const INITIAL_CAPACITY = 1 << 10;

export class MemoSet {
  private table = new Int32Array(INITIAL_CAPACITY);
  private mask = INITIAL_CAPACITY - 1;
  private hashes = new Int32Array(INITIAL_CAPACITY / 2);
  private states = new Int32Array(INITIAL_CAPACITY / 2);
  private readonly chunks: Uint32Array[] = [];
  private readonly perChunk: number;
  private count = 0;

  constructor(private readonly words: number) {
    this.perChunk = Math.max(1, Math.floor(CHUNK_WORDS / Math.max(1, words)));
  }

  get size(): number {
    return this.count;
  }

  /** Adds the pair unless present; returns whether it was added. `hash` must depend only on the pair. */
  add(bits: Uint32Array, stateId: number, hash: number): boolean {
    const table = this.table;
    const mask = this.mask;
    let slot = hash & mask;
    for (;;) {
      const stored = table[slot]!;
      if (stored === 0) break;
      const entry = stored - 1;
      if (this.hashes[entry] === hash && this.states[entry] === stateId && this.sameBits(entry, bits)) {
        return false;
      }
      slot = (slot + 1) & mask;
    }
    const entry = this.count++;
    this.store(entry, bits, stateId, hash);
    table[slot] = entry + 1;
    if (this.count * 2 > table.length) this.grow();
    return true;
  }

  private sameBits(entry: number, bits: Uint32Array): boolean {
    // `| 0` rather than Math.floor: globals are slow to reach inside jest's vm context.
    const chunk = this.chunks[(entry / this.perChunk) | 0]!;
    const base = (entry % this.perChunk) * this.words;
    for (let w = 0; w < this.words; w++) {
      if (chunk[base + w] !== bits[w]) return false;
    }
    return true;
  }

  private store(entry: number, bits: Uint32Array, stateId: number, hash: number): void {
    if (entry >= this.hashes.length) {
      this.hashes = enlarge(this.hashes);
      this.states = enlarge(this.states);
    }
    this.hashes[entry] = hash;
    this.states[entry] = stateId;
    const chunkIndex = (entry / this.perChunk) | 0;
    if (chunkIndex === this.chunks.length) this.chunks.push(new Uint32Array(this.perChunk * this.words));
    this.chunks[chunkIndex]!.set(bits, (entry % this.perChunk) * this.words);
  }

  private grow(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    for (let entry = 0; entry < this.count; entry++) {
      let slot = this.hashes[entry]! & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = entry + 1;
    }
    this.table = table;
    this.mask = mask;
  }
}

function enlarge(a: Int32Array): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(a.length * 2);
  bigger.set(a);
  return bigger;
}
