// Ids kept in ascending code-unit order (byte order, as ids are ASCII) so that
// listing, pagination and snapshots never sort: O(log n) search plus one memmove
// per insert.
export class SortedIds {
  private constructor(private readonly ids: string[]) {}

  static empty(): SortedIds {
    return new SortedIds([]);
  }

  /** Adopts `ids`, which must be strictly ascending (checked: snapshots are input). */
  static fromAscending(ids: string[]): SortedIds {
    for (let i = 1; i < ids.length; i++) {
      if (!(ids[i - 1]! < ids[i]!)) throw new RangeError(`ids not strictly ascending at ${i}`);
    }
    return new SortedIds(ids);
  }

  get size(): number {
    return this.ids.length;
  }

  /** Inserts an id that is not present yet. */
  insert(id: string): void {
    this.ids.splice(this.indexAfter(id), 0, id);
  }

  /** Index of the first id strictly greater than `after` (0 when undefined). */
  indexAfter(after: string | undefined): number {
    if (after === undefined) return 0;
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids[mid]! <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  at(index: number): string | undefined {
    return this.ids[index];
  }

  values(): readonly string[] {
    return this.ids;
  }
}
