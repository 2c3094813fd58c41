import { describe, test, expect } from '@jest/globals';
import fc from 'fast-check';
import { SortedRecords } from '../../../src/domain/sorted-records.js';

const idArb = fc.stringMatching(/^[A-Za-z0-9._:-]{1,6}$/);

describe('SortedRecords', () => {
  test('behaves like a sorted array of unique ids under any insertion order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(idArb, { maxLength: 3000 }), fc.option(idArb, { nil: undefined }), (ids, after) => {
        const records = SortedRecords.empty<{ id: string }>();
        for (const id of ids) records.insert({ id });
        const sorted = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const all: string[] = [];
        records.forEach((r, i) => {
          expect(i).toBe(all.length);
          all.push(r.id);
        });
        expect(all).toEqual(sorted);
        expect(records.size).toBe(ids.length);
        const tail = [...records.after(after)].map((r) => r.id);
        expect(tail).toEqual(after === undefined ? sorted : sorted.filter((id) => id > after));
      }),
      { numRuns: 100 },
    );
  });

  test('keeps working across many chunk splits', () => {
    const records = SortedRecords.empty<{ id: string }>();
    const ids = Array.from({ length: 20_000 }, (_, i) => String((i * 7919) % 20_000).padStart(5, '0'));
    for (const id of ids) records.insert({ id });
    const seen: string[] = [];
    records.forEach((r) => seen.push(r.id));
    expect(seen).toEqual([...ids].sort());
    expect([...records.after('19997')].map((r) => r.id)).toEqual(['19998', '19999']);
    expect([...records.after('19999')]).toEqual([]);
  });

  test('fromAscending adopts sorted input, refuses anything else, and accepts later inserts', () => {
    const records = SortedRecords.fromAscending(Array.from({ length: 1500 }, (_, i) => ({ id: `k${String(i).padStart(4, '0')}` })));
    records.insert({ id: 'k0750a' });
    records.insert({ id: 'a' });
    expect(records.size).toBe(1502);
    expect([...records.after('k0749')].slice(0, 3).map((r) => r.id)).toEqual(['k0750', 'k0750a', 'k0751']);
    expect([...records.after(undefined)][0]?.id).toBe('a');
    expect(() => SortedRecords.fromAscending([{ id: 'b' }, { id: 'a' }])).toThrow(RangeError);
    expect(() => SortedRecords.fromAscending([{ id: 'a' }, { id: 'a' }])).toThrow(RangeError);
  });
});
