import { describe, expect, test } from '@jest/globals';
import { ReadBatcher } from '../../../src/consensus/runtime/read-batcher.js';
import { NoLeaderError } from '../../../src/consensus/runtime/replicator.js';

function setup() {
  const started: string[] = [];
  let applied = 0;
  let now = 0;
  const b = new ReadBatcher({ readIndex: (ctx) => started.push(ctx), appliedIndex: () => applied }, 1000, () => now);
  return { b, started, setApplied: (i: number) => (applied = i), advance: (ms: number) => (now += ms) };
}

async function settledState(p: Promise<void>): Promise<'resolved' | 'rejected' | 'pending'> {
  const marker = Symbol('pending');
  const r = await Promise.race([p.then(() => 'resolved' as const, () => 'rejected' as const), new Promise((res) => setImmediate(() => res(marker)))]);
  return r === marker ? 'pending' : (r as 'resolved' | 'rejected');
}

describe('ReadIndex batching', () => {
  test('reads that arrive while a round is in flight share the next round', async () => {
    const { b, started, setApplied } = setup();
    const r1 = b.read(5000);
    const r2 = b.read(5000);
    const r3 = b.read(5000);
    // r1 started round 1 alone; r2 and r3 wait for the next round (their index must be fixed after they arrived).
    expect(started).toEqual(['r1']);
    setApplied(10);
    b.confirmed(10, 'r1');
    expect(await settledState(r1)).toBe('resolved');
    expect(started).toEqual(['r1', 'r2']);
    expect(await settledState(r2)).toBe('pending');
    b.confirmed(12, 'r2');
    // Applied is 10 < 12: the reads wait for apply (B21).
    expect(await settledState(r2)).toBe('pending');
    setApplied(12);
    b.applied(12);
    expect(await settledState(r2)).toBe('resolved');
    expect(await settledState(r3)).toBe('resolved');
  });

  test('a failed round is retried on the next tick and a lost one after its timeout', async () => {
    const { b, started, advance, setApplied } = setup();
    const r = b.read(5000);
    b.failed('r1');
    expect(started).toEqual(['r1']);
    b.tick();
    expect(started).toEqual(['r1', 'r2']);
    advance(1500);
    b.tick();
    expect(started).toEqual(['r1', 'r2', 'r3']);
    b.confirmed(5, 'r2'); // a stale answer for an abandoned round is ignored
    expect(await settledState(r)).toBe('pending');
    setApplied(5);
    b.confirmed(5, 'r3');
    expect(await settledState(r)).toBe('resolved');
  });

  test('a read that gets no index before its deadline fails with NoLeaderError', async () => {
    const { b } = setup();
    await expect(b.read(10)).rejects.toBeInstanceOf(NoLeaderError);
  });
});
