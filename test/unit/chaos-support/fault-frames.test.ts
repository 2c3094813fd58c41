import { describe, test, expect } from '@jest/globals';
import fc from 'fast-check';
import { FrameSplitter, emptyDirectionStats } from '../../support/fault-frames.js';
import { deriveSeed, seededRandom } from '../../support/fault-random.js';
import { frame } from './helpers.js';

/** Cuts `bytes` at the given positions (sorted, deduplicated, inside the buffer). */
function cut(bytes: Buffer, points: readonly number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...at, bytes.length]) {
    if (p > prev) out.push(bytes.subarray(prev, p));
    prev = Math.max(prev, p);
  }
  return out;
}

describe('FrameSplitter', () => {
  test('however the stream is chunked, exactly the kept frames come out, whole and in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (bodies, keeps, points) => {
          const frames = bodies.map((b) => frame(Buffer.from(b)));
          const stats = emptyDirectionStats();
          const asked: number[] = [];
          const splitter = new FrameSplitter((i) => {
            asked.push(i);
            return keeps[i] as boolean;
          }, stats);
          const out = cut(Buffer.concat(frames), points).flatMap((chunk) => splitter.push(chunk));
          const kept = frames.filter((_, i) => keeps[i]);
          expect(Buffer.concat(out).equals(Buffer.concat(kept))).toBe(true);
          expect(asked).toEqual(frames.map((_, i) => i));
          expect(stats.framesForwarded).toBe(kept.length);
          expect(stats.framesDropped).toBe(frames.length - kept.length);
          expect(stats.bytesForwarded).toBe(Buffer.concat(kept).length);
          expect(stats.bytesDropped + stats.bytesForwarded).toBe(Buffer.concat(frames).length);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('a header split byte by byte is held until complete, then forwarded as one piece', () => {
    const stats = emptyDirectionStats();
    const splitter = new FrameSplitter(() => true, stats);
    const bytes = frame('hello');
    const pieces = [...bytes].map((b) => splitter.push(Buffer.from([b])));
    expect(pieces.slice(0, 3)).toEqual([[], [], []]);
    expect(Buffer.concat(pieces.flat()).equals(bytes)).toBe(true);
    expect(stats).toEqual({ bytesForwarded: 9, bytesDropped: 0, framesForwarded: 1, framesDropped: 0 });
  });

  test('frames of one chunk that are all kept leave as a single slice of it', () => {
    const splitter = new FrameSplitter(() => true, emptyDirectionStats());
    const chunk = Buffer.concat([frame('a'), frame(''), frame('bc')]);
    const out = splitter.push(chunk);
    expect(out).toHaveLength(1);
    expect(out[0]?.equals(chunk)).toBe(true);
  });
});

describe('seeded randomness', () => {
  test('one seed gives one sequence; derived seeds differ per part', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBe(5);
    expect(deriveSeed(7, 0, 0)).toBe(deriveSeed(7, 0, 0));
    expect(new Set([deriveSeed(7, 0, 0), deriveSeed(7, 0, 1), deriveSeed(7, 1, 0), deriveSeed(8, 0, 0)]).size).toBe(4);
  });
});
