// Records kept in ascending id order (code-unit order, i.e. byte order, as ids
// are ASCII), so that listing, pagination and snapshots walk them in order
// without sorting or hash lookups. Chunked (a one-level B-tree): an insert is
// two binary searches and a splice of at most MAX_CHUNK entries, whatever the
// number of records and the order their ids arrive in.
const MAX_CHUNK = 1024;

export interface Identified {
  readonly id: string;
}

export class SortedRecords<T extends Identified> {
  private constructor(
    private readonly chunks: T[][],
    private count: number,
  ) {}

  static empty<T extends Identified>(): SortedRecords<T> {
    return new SortedRecords<T>([], 0);
  }

  /** Adopts `records`, whose ids must be strictly ascending (checked: snapshots are input). */
  static fromAscending<T extends Identified>(records: readonly T[]): SortedRecords<T> {
    for (let i = 1; i < records.length; i++) {
      if (!(records[i - 1]!.id < records[i]!.id)) throw new RangeError(`ids not strictly ascending at ${i}`);
    }
    const chunks: T[][] = [];
    for (let i = 0; i < records.length; i += MAX_CHUNK / 2) chunks.push(records.slice(i, i + MAX_CHUNK / 2));
    return new SortedRecords(chunks, records.length);
  }

  get size(): number {
    return this.count;
  }

  /** Inserts a record whose id is not present yet. */
  insert(record: T): void {
    this.count++;
    if (this.chunks.length === 0) {
      this.chunks.push([record]);
      return;
    }
    const c = Math.min(this.chunkAfter(record.id), this.chunks.length - 1);
    const chunk = this.chunks[c]!;
    chunk.splice(indexAfter(chunk, record.id), 0, record);
    if (chunk.length > MAX_CHUNK) this.chunks.splice(c + 1, 0, chunk.splice(chunk.length >>> 1));
  }

  /** Records whose id is strictly greater than `after` (all when undefined), ascending. */
  *after(after: string | undefined): Generator<T, void, undefined> {
    let c = after === undefined ? 0 : this.chunkAfter(after);
    if (c >= this.chunks.length) return;
    let i = after === undefined ? 0 : indexAfter(this.chunks[c]!, after);
    for (; c < this.chunks.length; c++, i = 0) {
      const chunk = this.chunks[c]!;
      for (; i < chunk.length; i++) yield chunk[i]!;
    }
  }

  forEach(visit: (record: T, index: number) => void): void {
    let index = 0;
    for (const chunk of this.chunks) for (const record of chunk) visit(record, index++);
  }

  /** Index of the first chunk whose last id is greater than `id` (chunks.length if none). */
  private chunkAfter(id: string): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid]!;
      if (chunk[chunk.length - 1]!.id <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Index of the first record of `chunk` whose id is strictly greater than `id`. */
function indexAfter(chunk: readonly Identified[], id: string): number {
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (chunk[mid]!.id <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
