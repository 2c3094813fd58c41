import { describe, test, expect } from '@jest/globals';
import fc from 'fast-check';
import { packTexts, textCount, unpackTexts } from '../../../src/domain/text-column.js';

const wellFormed = fc.string({ unit: 'grapheme', maxLength: 20 });

describe('text columns', () => {
  test('round-trip any well-formed strings, empty ones included', () => {
    fc.assert(
      fc.property(fc.array(wellFormed, { maxLength: 50 }), (values) => {
        const column = packTexts(values);
        expect(textCount(column)).toBe(values.length);
        expect(unpackTexts(column, values.length)).toEqual(values);
      }),
    );
    expect(unpackTexts(packTexts(['', 'é', '😀', '', 'ascii']), 5)).toEqual(['', 'é', '😀', '', 'ascii']);
  });

  test('refuse columns that do not add up', () => {
    const [lengths, utf8] = packTexts(['ab', 'cd']);
    expect(unpackTexts([lengths, utf8], 3)).toBeUndefined();
    expect(unpackTexts([lengths, utf8.subarray(0, 3)], 2)).toBeUndefined();
    expect(unpackTexts([lengths, Buffer.from('abcde')], 2)).toBeUndefined();
    expect(unpackTexts([lengths.subarray(0, 7), utf8], 2)).toBeUndefined();
    expect(unpackTexts(['ab', 'cd'], 2)).toBeUndefined();
    expect(textCount('nope')).toBe(-1);
  });
});
