import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { EntryType } from '../../../src/consensus/core/types.js';
import { decodeEntryValue, encodeEntryValue, entryKey, entryKeyIndex } from '../../../src/persistence/entry-codec.js';
import {
  decodeHardState,
  decodeIdentity,
  decodeSnapshotMeta,
  encodeHardState,
  encodeIdentity,
  encodeSnapshotMeta,
} from '../../../src/persistence/meta-codec.js';
import { newestFirst, parseSnapshotFileName, snapshotFileName } from '../../../src/persistence/snapshot-names.js';
import { CorruptionError } from '../../../src/persistence/types.js';
import { readUint53, writeUint53 } from '../../../src/persistence/uint53.js';
import { IDENTITY, snapMeta } from './helpers.js';

describe('uint53', () => {
  test('round-trips every safe integer and sorts like the numbers', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.maxSafeNat(), (a, b) => {
        const ka = Buffer.alloc(8);
        const kb = Buffer.alloc(8);
        writeUint53(ka, 0, a);
        writeUint53(kb, 0, b);
        expect(readUint53(ka, 0)).toBe(a);
        expect(Math.sign(Buffer.compare(ka, kb))).toBe(Math.sign(a - b));
      }),
    );
  });

  test('refuses negative, fractional and unsafe values; reads of impossible values give null', () => {
    const buf = Buffer.alloc(8);
    expect(() => writeUint53(buf, 0, -1)).toThrow(RangeError);
    expect(() => writeUint53(buf, 0, 1.5)).toThrow(RangeError);
    expect(() => writeUint53(buf, 0, 2 ** 53)).toThrow(RangeError);
    expect(readUint53(Buffer.from([0x00, 0x20, 0, 0, 0, 0, 0, 0]), 0)).toBeNull();
  });
});

describe('entry codec', () => {
  test('round-trips index, term, type and data', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.maxSafeNat(),
        fc.constantFrom(EntryType.Normal, EntryType.Config),
        fc.uint8Array({ maxLength: 300 }),
        (index, term, type, data) => {
          const key = entryKey(index);
          expect(entryKeyIndex(key)).toBe(index);
          const e = decodeEntryValue(key, encodeEntryValue(key, { index, term, type, data }));
          expect({ ...e, data: Array.from(e.data) }).toEqual({ index, term, type, data: Array.from(data) });
        },
      ),
    );
  });

  test('every single-bit flip of a record is detected', () => {
    const key = entryKey(12);
    const value = encodeEntryValue(key, { index: 12, term: 3, type: EntryType.Normal, data: new Uint8Array([1, 2, 3, 4]) });
    for (let bit = 0; bit < value.length * 8; bit++) {
      const copy = Buffer.from(value);
      copy[bit >> 3] ^= 1 << (bit & 7);
      expect(() => decodeEntryValue(key, copy)).toThrow(CorruptionError);
    }
  });

  test('an unknown entry type with a valid checksum is refused', () => {
    const key = entryKey(3);
    const value = encodeEntryValue(key, { index: 3, term: 1, type: 7 as EntryType, data: new Uint8Array(0) });
    expect(() => decodeEntryValue(key, value)).toThrow(/unknown entry type 7/);
  });

  test('malformed keys are refused', () => {
    expect(() => entryKeyIndex(Buffer.from([0x65, 1]))).toThrow(/malformed entry key 6501/);
    expect(() => entryKeyIndex(entryKey(0))).toThrow(CorruptionError);
  });
});

describe('metadata codec', () => {
  test('hard state, identity and snapshot meta round-trip', () => {
    const hs = { term: 2 ** 40, vote: 'nœud-1', commit: 77 };
    expect(decodeHardState(encodeHardState(hs))).toEqual(hs);
    expect(decodeIdentity(encodeIdentity(IDENTITY))).toEqual(IDENTITY);
    expect(decodeSnapshotMeta(encodeSnapshotMeta(snapMeta(9, 4)))).toEqual(snapMeta(9, 4));
  });

  test('extra properties of caller objects are not stored', () => {
    const meta = { ...snapMeta(9, 4), extra: 'x' };
    expect(decodeSnapshotMeta(encodeSnapshotMeta(meta))).toEqual(snapMeta(9, 4));
  });

  test('a record stored under the wrong key fails its checksum', () => {
    expect(() => decodeSnapshotMeta(encodeIdentity(IDENTITY))).toThrow(/snapshot metadata .*checksum mismatch/);
  });
});

describe('snapshot file names', () => {
  test('names round-trip and sort newest first by index, then term', () => {
    expect(snapshotFileName({ index: 42, term: 3 })).toBe('snapshot-00000000000000000042-3.snap');
    expect(parseSnapshotFileName('snapshot-00000000000000000042-3.snap')).toEqual({
      name: 'snapshot-00000000000000000042-3.snap',
      index: 42,
      term: 3,
    });
    expect(parseSnapshotFileName('snapshot-42-3.snap')).toBeNull();
    expect(parseSnapshotFileName('snapshot-00000000000000000042-3.snap.tmp')).toBeNull();
    const names = [snapshotFileName({ index: 9, term: 1 }), snapshotFileName({ index: 100, term: 1 }), snapshotFileName({ index: 100, term: 2 }), 'other'];
    expect(newestFirst(names).map((n) => [n.index, n.term])).toEqual([
      [100, 2],
      [100, 1],
      [9, 1],
    ]);
  });
});
