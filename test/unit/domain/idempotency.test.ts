import { describe, test, expect } from '@jest/globals';
import fc from 'fast-check';
import type { Idempotency } from '../../../src/domain/commands.js';
import { PrintFarmStateMachine } from '../../../src/domain/print-farm.state-machine.js';
import { at, filament, job, printer, status } from './commands.fixture.js';

const HOUR = 60 * 60 * 1000;
const key = (k: string, fingerprint = `fp-${k}`): Idempotency => ({ key: k, fingerprint });

function stocked(options?: ConstructorParameters<typeof PrintFarmStateMachine>[0]): {
  sm: PrintFarmStateMachine;
  apply: (bytes: Uint8Array) => { status: number; body: unknown };
} {
  const sm = new PrintFarmStateMachine(options);
  let index = 0;
  const apply = (bytes: Uint8Array): { status: number; body: unknown } => sm.apply(++index, bytes);
  apply(printer('p1'));
  apply(filament('f1', 1000));
  return { sm, apply };
}

describe('idempotency keys', () => {
  test('a retried job creation returns the first outcome (same generated id) and reserves once (B24)', () => {
    const { sm, apply } = stocked();
    const first = apply(job('uuid-1', 'p1', 'f1', 300, { at: at(0), idempotency: key('K') }));
    expect(first.status).toBe(201);
    const before = sm.stateHash();
    // The retry reached another node, which generated another id and time.
    const retry = apply(job('uuid-2', 'p1', 'f1', 300, { at: at(1000), idempotency: key('K') }));
    expect(retry).toEqual(first);
    expect(sm.getPrintJob('uuid-2')).toBeUndefined();
    expect(sm.reservedWeight('f1')).toBe(300);
    expect(sm.listPrintJobs({ limit: 10 }).items).toHaveLength(1);
    // Only the watermark moved.
    expect(sm.counts()).toEqual({ printers: 1, filaments: 1, jobsByStatus: { Queued: 1, Running: 0, Done: 0, Canceled: 0 } });
    expect(sm.stateHash()).not.toBe(before);
  });

  test('a retried Done returns 200 with the job and subtracts the weight once (B24, second form)', () => {
    const { sm, apply } = stocked();
    apply(job('j', 'p1', 'f1', 300, { at: at(0) }));
    apply(status('j', 'Running', { at: at(1) }));
    const first = apply(status('j', 'Done', { at: at(2), idempotency: key('D') }));
    expect(first).toMatchObject({ status: 200, body: { id: 'j', status: 'Done', updated_at: at(2) } });
    const retry = apply(status('j', 'Done', { at: at(3), idempotency: key('D') }));
    expect(retry).toEqual(first);
    expect(sm.getFilament('f1')?.remaining_weight_in_grams).toBe(700);
  });

  test('the replayed answer is the first one even after the entity moved on', () => {
    const { apply } = stocked();
    const created = apply(job('j', 'p1', 'f1', 300, { at: at(0), idempotency: key('C') }));
    const running = apply(status('j', 'Running', { at: at(1), idempotency: key('R') }));
    apply(status('j', 'Done', { at: at(2) }));
    expect(apply(job('other', 'p1', 'f1', 300, { at: at(3), idempotency: key('C') }))).toEqual(created);
    expect(created.body).toMatchObject({ status: 'Queued', updated_at: at(0) });
    expect(apply(status('j', 'Running', { at: at(4), idempotency: key('R') }))).toEqual(running);
    expect(running.body).toMatchObject({ status: 'Running', updated_at: at(1) });
  });

  test('a filament creation replays its initial remaining weight', () => {
    const { apply } = stocked();
    const created = apply(filament('f2', 500, 400, { idempotency: key('F') }));
    apply(job('j', 'p1', 'f2', 100));
    apply(status('j', 'Running'));
    apply(status('j', 'Done'));
    expect(apply(filament('f2', 500, 400, { idempotency: key('F') }))).toEqual(created);
    expect(created.body).toMatchObject({ remaining_weight_in_grams: 400 });
  });

  test('refusals decided in apply are remembered too', () => {
    const { apply } = stocked();
    const refused = apply(job('big', 'p1', 'f1', 5000, { idempotency: key('X') }));
    expect(refused).toMatchObject({ status: 400, body: { code: 'INSUFFICIENT_FILAMENT' } });
    apply(filament('f9', 1_000_000));
    expect(apply(job('big', 'p1', 'f1', 5000, { idempotency: key('X') }))).toEqual(refused);
    const missing = apply(status('ghost', 'Done', { idempotency: key('G') }));
    expect(missing.status).toBe(404);
    apply(job('ghost', 'p1', 'f1', 1));
    expect(apply(status('ghost', 'Done', { idempotency: key('G') }))).toEqual(missing);
  });

  test('a key reused for a different request is 422 IDEMPOTENCY_KEY_REUSED and changes nothing', () => {
    const { sm, apply } = stocked();
    apply(job('a', 'p1', 'f1', 100, { idempotency: key('K', 'one') }));
    const reused = apply(job('b', 'p1', 'f1', 100, { idempotency: key('K', 'two') }));
    expect(reused).toEqual({
      status: 422,
      body: { error: 'this Idempotency-Key was used for a different request', code: 'IDEMPOTENCY_KEY_REUSED' },
    });
    expect(sm.getPrintJob('b')).toBeUndefined();
    // The key still holds the first outcome.
    expect(apply(job('c', 'p1', 'f1', 100, { idempotency: key('K', 'one') }))).toMatchObject({ body: { id: 'a' } });
  });

  test('keys expire after the window, measured with command timestamps only', () => {
    const { sm, apply } = stocked({ idempotency: { windowMs: 24 * HOUR, maxClockStepMs: Infinity } });
    apply(job('a', 'p1', 'f1', 100, { at: at(0), idempotency: key('K') }));
    // A command stamped by a node whose clock is behind does not move time backwards.
    apply(printer('p2', { at: at(-5 * HOUR) }));
    expect(apply(job('b', 'p1', 'f1', 100, { at: at(24 * HOUR - 1), idempotency: key('K') }))).toMatchObject({
      body: { id: 'a' },
    });
    expect(sm.idempotencyKeyCount()).toBe(1);
    // Any command whose time reaches the window's end expires the key.
    apply(printer('p3', { at: at(24 * HOUR) }));
    expect(sm.idempotencyKeyCount()).toBe(0);
    expect(apply(job('b', 'p1', 'f1', 100, { at: at(24 * HOUR + 1), idempotency: key('K') }))).toMatchObject({
      status: 201,
      body: { id: 'b' },
    });
  });

  test('a key stored while time lagged still expires one window after the watermark of its storage', () => {
    const { sm, apply } = stocked({ idempotency: { windowMs: HOUR, maxClockStepMs: Infinity } });
    apply(printer('p2', { at: at(10 * HOUR) }));
    apply(job('a', 'p1', 'f1', 1, { at: at(0), idempotency: key('old-clock') }));
    apply(printer('p3', { at: at(11 * HOUR - 1) }));
    expect(sm.idempotencyKeyCount()).toBe(1);
    apply(printer('p4', { at: at(11 * HOUR) }));
    expect(sm.idempotencyKeyCount()).toBe(0);
  });

  test('one node with a clock a day ahead cannot expire every key: one command moves time at most a minute', () => {
    const { sm, apply } = stocked({ idempotency: { windowMs: 24 * HOUR } });
    apply(job('a', 'p1', 'f1', 100, { at: at(0), idempotency: key('K') }));
    apply(printer('skewed', { at: at(25 * HOUR) }));
    expect(sm.idempotencyKeyCount()).toBe(1);
    // The retry still gets the first outcome instead of creating a second job.
    expect(apply(job('b', 'p1', 'f1', 100, { at: at(1000), idempotency: key('K') }))).toMatchObject({ body: { id: 'a' } });
    expect(sm.getPrintJob('b')).toBeUndefined();
  });

  test('the table is bounded: the oldest keys are evicted first', () => {
    const { sm, apply } = stocked({ idempotency: { capacity: 3 } });
    for (const k of ['k1', 'k2', 'k3', 'k4']) apply(printer(`printer-${k}`, { idempotency: key(k) }));
    expect(sm.idempotencyKeyCount()).toBe(3);
    // k1 was evicted: the request runs again (and finds its printer already there).
    expect(apply(printer('printer-k1', { idempotency: key('k1') }))).toMatchObject({ status: 409 });
    expect(apply(printer('printer-k4', { idempotency: key('k4') }))).toMatchObject({ status: 201 });
  });

  test('keys, outcomes and the time watermark survive snapshot and restore', () => {
    const { sm, apply } = stocked({ idempotency: { windowMs: HOUR, maxClockStepMs: Infinity } });
    const created = apply(job('a', 'p1', 'f1', 100, { at: at(0), idempotency: key('K') }));
    const refused = apply(job('b', 'p1', 'f1', 5000, { at: at(1), idempotency: key('X') }));
    const ran = apply(status('a', 'Running', { at: at(2), idempotency: key('R') }));
    apply(printer('late', { at: at(HOUR / 2) }));
    const restored = new PrintFarmStateMachine({ idempotency: { windowMs: HOUR, maxClockStepMs: Infinity } });
    restored.restore(sm.snapshot());
    expect(restored.stateHash()).toBe(sm.stateHash());
    expect(restored.apply(100, job('z', 'p1', 'f1', 100, { at: at(3), idempotency: key('K') }))).toEqual(created);
    expect(restored.apply(101, job('z', 'p1', 'f1', 5000, { at: at(4), idempotency: key('X') }))).toEqual(refused);
    expect(restored.apply(102, status('a', 'Running', { at: at(5), idempotency: key('R') }))).toEqual(ran);
    expect(restored.apply(103, job('z', 'p1', 'f1', 1, { at: at(6), idempotency: key('K', 'other') })).status).toBe(422);
    // The watermark (HOUR / 2) came along: a key stored now by a command stamped
    // at 0 counts its age from HOUR / 2, and outlives the three older keys.
    restored.apply(104, printer('p-new', { at: at(0), idempotency: key('N') }));
    restored.apply(105, printer('p-expire', { at: at(HOUR + 2) }));
    expect(restored.idempotencyKeyCount()).toBe(1);
    expect(restored.apply(106, printer('p-new', { at: at(0), idempotency: key('N') })).status).toBe(201);
  });

  test('replicas with skewed clocks hold identical tables at every index', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ skew: fc.integer({ min: -3 * HOUR, max: 3 * HOUR }), k: fc.constantFrom('a', 'b', 'c', 'd') }), {
          minLength: 1,
          maxLength: 40,
        }),
        (steps) => {
          const log = steps.map((s, i) =>
            job(`j${i}`, 'p1', 'f1', 1, { at: at(i * HOUR + s.skew), idempotency: key(s.k) }),
          );
          const a = stocked({ idempotency: { windowMs: 2 * HOUR } });
          const b = stocked({ idempotency: { windowMs: 2 * HOUR } });
          for (const entry of log) {
            expect(a.apply(entry)).toEqual(b.apply(entry));
            expect(a.sm.stateHash()).toBe(b.sm.stateHash());
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});
