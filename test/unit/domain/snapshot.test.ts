import { describe, test, expect } from '@jest/globals';
import fc from 'fast-check';
import { PrintFarmStateMachine } from '../../../src/domain/print-farm.state-machine.js';
import { SnapshotDecodeError } from '../../../src/domain/snapshot-codec.js';
import { at, filament, job, printer, status } from './commands.fixture.js';

/** A small farm touching every kind of record and outcome. */
function sample(): PrintFarmStateMachine {
  const sm = new PrintFarmStateMachine();
  const log = [
    printer('p-2'),
    printer('p-1', { idempotency: { key: 'kp', fingerprint: 'fp' } }),
    filament('f1', 1000, 800, { idempotency: { key: 'kf', fingerprint: 'ff' } }),
    filament('f0', 50, 0, {}, 'TPU'),
    job('j2', 'p-1', 'f1', 300, { at: at(10), idempotency: { key: 'kj', fingerprint: 'fj' } }),
    job('j1', 'p-2', 'f1', 200, { at: at(20) }),
    job('j3', 'p-2', 'f1', 100, { at: at(25) }),
    status('j2', 'Running', { at: at(30), idempotency: { key: 'ks', fingerprint: 'fs' } }),
    status('j2', 'Done', { at: at(40) }),
    status('j1', 'Canceled', { at: at(50) }),
    job('big', 'p-1', 'f0', 1, { at: at(60), idempotency: { key: 'kr', fingerprint: 'fr' } }),
  ];
  log.forEach((entry, i) => sm.apply(i + 1, entry));
  return sm;
}

describe('snapshots', () => {
  test('restore reproduces the state: reads, counts, reservations and hash', () => {
    const original = sample();
    const copy = new PrintFarmStateMachine();
    copy.apply(1, printer('to-be-replaced'));
    copy.restore(original.snapshot());
    expect(copy.getPrinter('to-be-replaced')).toBeUndefined();
    expect(copy.listPrinters({ limit: 10 })).toEqual(original.listPrinters({ limit: 10 }));
    expect(copy.listFilaments({ limit: 10 })).toEqual(original.listFilaments({ limit: 10 }));
    expect(copy.listPrintJobs({ limit: 10 })).toEqual(original.listPrintJobs({ limit: 10 }));
    expect(copy.counts()).toEqual(original.counts());
    expect(copy.reservedWeight('f1')).toBe(100);
    expect(copy.getFilament('f1')?.remaining_weight_in_grams).toBe(500);
    expect(copy.idempotencyKeyCount()).toBe(5);
    expect(Buffer.from(copy.snapshot()).equals(Buffer.from(original.snapshot()))).toBe(true);
  });

  test('the restored state goes on exactly like the original', () => {
    const original = sample();
    const copy = new PrintFarmStateMachine();
    copy.restore(original.snapshot());
    const more = [
      job('j4', 'p-1', 'f1', 400, { at: at(70) }),
      job('j5', 'p-1', 'f1', 1, { at: at(71) }),
      status('j3', 'Running', { at: at(72) }),
      job('again', 'p-1', 'f1', 300, { at: at(73), idempotency: { key: 'kj', fingerprint: 'fj' } }),
    ];
    more.forEach((entry, i) => expect(copy.apply(100 + i, entry)).toEqual(original.apply(100 + i, entry)));
    expect(copy.stateHash()).toBe(original.stateHash());
  });

  test('is independent of the order in which ids arrived', () => {
    const ids = Array.from({ length: 3000 }, (_, i) => `job-${(i * 7919) % 3000}`);
    const make = (order: readonly string[]): Uint8Array => {
      const sm = new PrintFarmStateMachine();
      sm.apply(1, printer('p'));
      sm.apply(2, filament('f', 1_000_000));
      order.forEach((id, i) => sm.apply(3 + i, job(id, 'p', 'f', 1, { at: at(1) })));
      return sm.snapshot();
    };
    expect(Buffer.from(make(ids)).equals(Buffer.from(make([...ids].reverse())))).toBe(true);
  });

  test('an empty state round-trips', () => {
    const copy = new PrintFarmStateMachine();
    copy.restore(new PrintFarmStateMachine().snapshot());
    expect(copy.counts()).toEqual({ printers: 0, filaments: 0, jobsByStatus: { Queued: 0, Running: 0, Done: 0, Canceled: 0 } });
  });

  test('damaged snapshots are refused with SnapshotDecodeError and leave the state as it was', () => {
    const bytes = sample().snapshot();
    let refused = 0;
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), fc.boolean(), (i, mask, truncate) => {
        const damaged = truncate ? bytes.slice(0, i) : Uint8Array.from(bytes, (b, j) => (j === i ? b ^ mask : b));
        const target = new PrintFarmStateMachine();
        target.apply(1, printer('keep'));
        const before = target.stateHash();
        try {
          // Some flips (inside a color, say) still describe a valid farm.
          target.restore(damaged);
        } catch (err) {
          expect(err).toBeInstanceOf(SnapshotDecodeError);
          expect(target.stateHash()).toBe(before);
          refused++;
        }
      }),
      { numRuns: 500 },
    );
    expect(refused).toBeGreaterThan(250);
  });

  test('refuses a snapshot whose weights break I1 or I2', () => {
    // Reservations above remaining weight can only come from a corrupted or forged snapshot.
    const sm = new PrintFarmStateMachine();
    sm.apply(1, printer('p'));
    sm.apply(2, filament('f', 100));
    sm.apply(3, job('j', 'p', 'f', 100));
    const bytes = Buffer.from(sm.snapshot());
    // The filament's remaining weight (u32 LE 100 at the end of its 13-byte row) becomes 99.
    const row = Buffer.from([0, 100, 0, 0, 0, 100, 0, 0, 0, 100, 0, 0, 0]);
    const at = bytes.indexOf(row);
    expect(at).toBeGreaterThan(0);
    bytes[at + 9] = 99;
    expect(() => new PrintFarmStateMachine().restore(bytes)).toThrow(SnapshotDecodeError);
  });

  test('100,000 jobs survive snapshot and restore byte for byte (speed is measured by the benchmark, not here)', () => {
    const sm = new PrintFarmStateMachine();
    let index = 0;
    sm.apply(++index, printer('p'));
    for (let f = 0; f < 100; f++) sm.apply(++index, filament(`f${f}`, 1_000_000));
    for (let j = 0; j < 100_000; j++) {
      sm.apply(++index, job(`job-${(j * 7919) % 100_000}-${j}`, 'p', `f${j % 100}`, 5, { at: at(j) }));
    }
    const bytes = sm.snapshot();
    const copy = new PrintFarmStateMachine();
    copy.restore(bytes);
    expect(copy.counts().jobsByStatus.Queued).toBe(100_000);
    expect(copy.stateHash()).toBe(sm.stateHash());
    expect(Buffer.from(copy.snapshot()).equals(Buffer.from(bytes))).toBe(true);
  });
});
