// The simulator's own building blocks: the event order, the seeded randomness,
// the durability model of the simulated disk and the partitions of the network.
import { describe, test, expect } from '@jest/globals';
import { EntryType, type Entry } from '../../src/consensus/core/types.js';
import { EventQueue } from './lib/events.js';
import { SimRng } from './lib/rng.js';
import { SimDisk, applySave, applySnapshot, emptyLog, type DiskEnv, type DurableLog } from './lib/disk.js';
import { SimNetwork } from './lib/network.js';
import type { PeerFrame } from '../../src/consensus/transport/frames.js';

function entries(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push({ index: i, term, type: EntryType.Normal, data: new Uint8Array([i]) });
  return out;
}

describe('event queue', () => {
  test('runs events by time, then in the order they were scheduled', () => {
    const q = new EventQueue();
    const seen: string[] = [];
    q.at(20, () => seen.push('b'));
    q.at(10, () => seen.push('a1'));
    q.at(10, () => seen.push('a2'));
    q.at(5, () => q.after(5, () => seen.push('a3')));
    while (q.size > 0) q.pop()!.run();
    expect(seen).toEqual(['a1', 'a2', 'a3', 'b']);
    expect(q.now).toBe(20);
  });
});

describe('seeded randomness', () => {
  test('a seed and a label name one stream', () => {
    const draw = (r: SimRng): number[] => Array.from({ length: 5 }, () => r.int(1000));
    expect(draw(new SimRng(42, 'x'))).toEqual(draw(new SimRng(42, 'x')));
    expect(draw(new SimRng(42, 'x'))).not.toEqual(draw(new SimRng(42, 'y')));
    expect(draw(new SimRng(42, 'x'))).not.toEqual(draw(new SimRng(43, 'x')));
    const r = new SimRng(7);
    for (let i = 0; i < 1000; i++) {
      const v = r.between(3, 5);
      expect(v >= 3 && v <= 5).toBe(true);
    }
  });
});

interface DiskHarness {
  disk: SimDisk;
  queue: EventQueue;
  fail: { next: boolean };
  coin: { value: boolean };
}

function diskHarness(latency = 10): DiskHarness {
  const queue = new EventQueue();
  const fail = { next: false };
  const coin = { value: false };
  const env: DiskEnv = {
    schedule: (delay, fn) => queue.after(delay, fn),
    latency: () => latency,
    fsyncFails: () => {
      const f = fail.next;
      fail.next = false;
      return f;
    },
    coin: () => coin.value,
  };
  return { disk: new SimDisk(env), queue, fail, coin };
}

function drain(q: EventQueue, until = Infinity): void {
  while (q.size > 0 && q.peekTime() <= until) q.pop()!.run();
}

describe('simulated disk', () => {
  test('a write is durable only once its fsync completed; writes complete in order', () => {
    const h = diskHarness();
    const done: string[] = [];
    h.disk.submit({ kind: 'save', apply: (l) => applySave(l, { term: 1, vote: '', commit: 0 }, entries(1, 2, 1)), done: () => done.push('a'), fail: () => done.push('fail') });
    h.disk.submit({ kind: 'save', apply: (l) => applySave(l, undefined, entries(3, 3, 1)), done: () => done.push('b'), fail: () => done.push('fail') });
    drain(h.queue, 9);
    expect(h.disk.durable.entries).toEqual([]);
    drain(h.queue, 10);
    expect(h.disk.durable.entries.map((e) => e.index)).toEqual([1, 2]);
    drain(h.queue);
    expect(done).toEqual(['a', 'b']);
    expect(h.disk.durable.entries.map((e) => e.index)).toEqual([1, 2, 3]);
  });

  test('a crash loses the writes behind the one in its fsync; that one is durable or not as the coin says', () => {
    for (const coin of [false, true]) {
      const h = diskHarness();
      h.coin.value = coin;
      const done: string[] = [];
      h.disk.submit({ kind: 'save', apply: (l) => applySave(l, { term: 2, vote: 'n1', commit: 0 }, entries(1, 1, 2)), done: () => done.push('a'), fail: () => done.push('x') });
      h.disk.submit({ kind: 'save', apply: (l) => applySave(l, undefined, entries(2, 2, 2)), done: () => done.push('b'), fail: () => done.push('x') });
      drain(h.queue, 5);
      h.disk.crash();
      drain(h.queue);
      expect(done).toEqual([]);
      expect(h.disk.durable.entries.map((e) => e.index)).toEqual(coin ? [1] : []);
      expect(h.disk.durable.hardState.term).toBe(coin ? 2 : 0);
    }
  });

  test('a failed fsync fails its write and every later one (B34)', () => {
    const h = diskHarness();
    const out: string[] = [];
    h.fail.next = true;
    h.disk.submit({ kind: 'save', apply: (l) => applySave(l, undefined, entries(1, 1, 1)), done: () => out.push('a'), fail: (e) => out.push(`a:${e.name}`) });
    h.disk.submit({ kind: 'save', apply: (l) => applySave(l, undefined, entries(2, 2, 1)), done: () => out.push('b'), fail: (e) => out.push(`b:${e.name}`) });
    drain(h.queue);
    h.disk.submit({ kind: 'save', apply: (l) => applySave(l, undefined, entries(3, 3, 1)), done: () => out.push('c'), fail: (e) => out.push(`c:${e.name}`) });
    drain(h.queue);
    expect(out).toEqual(['a:FsyncError', 'b:FsyncError', 'c:FsyncError']);
  });

  test('save replaces the suffix; a snapshot compacts the prefix; the LevelLogStore checks refuse a gap', () => {
    const log: DurableLog = emptyLog();
    applySave(log, { term: 1, vote: '', commit: 1 }, entries(1, 5, 1));
    applySave(log, { term: 2, vote: 'n2', commit: 3 }, entries(4, 4, 2));
    expect(log.entries.map((e) => `${e.index}/${e.term}`)).toEqual(['1/1', '2/1', '3/1', '4/2']);
    applySnapshot(log, { index: 3, term: 1, membership: { members: [] } }, 2, false);
    expect(log.entries.map((e) => e.index)).toEqual([3, 4]);
    expect(() => applySave(log, undefined, entries(7, 7, 2))).toThrow(/gap/);
    applySnapshot(log, { index: 4, term: 2, membership: { members: [] } }, 4, true);
    expect(log.entries).toEqual([]);
    expect(log.snapshot?.index).toBe(4);
  });
});

describe('simulated network', () => {
  test('cut links lose frames both ways or one way; heal restores them; a restarted receiver loses what was in flight', () => {
    const q = new EventQueue();
    const got: string[] = [];
    const epochs = new Map([['a', 1], ['b', 1], ['c', 1]]);
    const net = new SimNetwork(
      {
        now: () => q.now,
        at: (t, fn) => q.at(t, fn),
        trace: () => undefined,
        epochOf: (id) => epochs.get(id) ?? -1,
        deliver: (to, epoch, from, frame) => {
          if (epochs.get(to) !== epoch) return false;
          got.push(`${from.id}>${to}:${frame.kind === 'snap-ack' ? frame.nextOffset : ''}`);
          return true;
        },
      },
      { drop: 0, duplicate: 0, tail: 0 },
      new SimRng(1),
    );
    const frame = (n: number): PeerFrame => ({ kind: 'snap-ack', from: 'x', term: 1, snapshotIndex: 1, nextOffset: n, installed: false, failed: false });
    const send = (from: string, to: string, n: number): boolean => net.send({ id: from, incarnation: from }, to, frame(n));
    net.partition([['a'], ['b', 'c']]);
    send('a', 'b', 1);
    send('b', 'c', 2);
    net.heal();
    net.cutOneWay('c', 'a');
    send('a', 'c', 3);
    send('c', 'a', 4);
    send('b', 'a', 5);
    epochs.set('a', 2);
    drain(q);
    expect(got.sort()).toEqual(['a>c:3', 'b>c:2']);
    epochs.set('b', -1);
    expect(send('a', 'b', 6)).toBe(false);
  });
});
