// Random command sequences against a reference model: every answer matches the
// model, and invariants I1, I2 and I4 hold after every step; snapshots taken
// anywhere are deterministic and restore to an equivalent state.
import { describe, test, expect } from '@jest/globals';
import fc from 'fast-check';
import type { JobStatus } from '../../../src/domain/field-rules.js';
import { PrintFarmStateMachine } from '../../../src/domain/print-farm.state-machine.js';
import { at, filament, job, printer, status } from './commands.fixture.js';

type Op =
  | { kind: 'printer'; id: string }
  | { kind: 'filament'; id: string; total: number; remaining: number }
  | { kind: 'job'; id: string; printerId: string; filamentId: string; weight: number }
  | { kind: 'status'; id: string; to: JobStatus }
  | { kind: 'snapshotRestore' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('printer' as const), id: fc.constantFrom('p1', 'p2') }),
  fc
    .record({ id: fc.constantFrom('f1', 'f2'), total: fc.integer({ min: 1, max: 1000 }), cut: fc.integer({ min: 0, max: 1000 }) })
    .map(({ id, total, cut }): Op => ({ kind: 'filament', id, total, remaining: Math.min(total, cut) })),
  {
    arbitrary: fc.record({
      kind: fc.constant('job' as const),
      id: fc.constantFrom('j0', 'j1', 'j2', 'j3', 'j4'),
      printerId: fc.constantFrom('p1', 'p1', 'p2', 'px'),
      filamentId: fc.constantFrom('f1', 'f2', 'f2', 'fx'),
      weight: fc.integer({ min: 1, max: 300 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('status' as const),
      id: fc.constantFrom('j0', 'j1', 'j2', 'j3', 'j4', 'jx'),
      to: fc.constantFrom<JobStatus>('Queued', 'Running', 'Running', 'Done', 'Done', 'Canceled'),
    }),
    weight: 6,
  },
  fc.constant({ kind: 'snapshotRestore' as const }),
);

const NEXT: Record<JobStatus, readonly JobStatus[]> = {
  Queued: ['Running', 'Canceled'],
  Running: ['Done', 'Canceled'],
  Done: [],
  Canceled: [],
};

interface Model {
  printers: Set<string>;
  filaments: Map<string, { total: number; initial: number; remaining: number }>;
  jobs: Map<string, { filamentId: string; weight: number; status: JobStatus }>;
}

function reserved(model: Model, filamentId: string): number {
  let sum = 0;
  for (const j of model.jobs.values()) {
    if (j.filamentId === filamentId && (j.status === 'Queued' || j.status === 'Running')) sum += j.weight;
  }
  return sum;
}

/** Expected status code, and the model updated as the state machine must be. */
function step(model: Model, op: Exclude<Op, { kind: 'snapshotRestore' }>): number {
  switch (op.kind) {
    case 'printer':
      if (model.printers.has(op.id)) return 409;
      model.printers.add(op.id);
      return 201;
    case 'filament':
      if (model.filaments.has(op.id)) return 409;
      model.filaments.set(op.id, { total: op.total, initial: op.remaining, remaining: op.remaining });
      return 201;
    case 'job': {
      if (model.jobs.has(op.id)) return 409;
      const f = model.filaments.get(op.filamentId);
      if (!model.printers.has(op.printerId) || f === undefined) return 400;
      if (op.weight > f.remaining - reserved(model, op.filamentId)) return 400;
      model.jobs.set(op.id, { filamentId: op.filamentId, weight: op.weight, status: 'Queued' });
      return 201;
    }
    case 'status': {
      const j = model.jobs.get(op.id);
      if (j === undefined) return 404;
      if (!NEXT[j.status].includes(op.to)) return 400;
      if (op.to === 'Done') model.filaments.get(j.filamentId)!.remaining -= j.weight;
      j.status = op.to;
      return 200;
    }
  }
}

function encode(op: Exclude<Op, { kind: 'snapshotRestore' }>, time: string): Uint8Array {
  switch (op.kind) {
    case 'printer':
      return printer(op.id, { at: time });
    case 'filament':
      return filament(op.id, op.total, op.remaining, { at: time });
    case 'job':
      return job(op.id, op.printerId, op.filamentId, op.weight, { at: time });
    case 'status':
      return status(op.id, op.to, { at: time });
  }
}

function checkInvariants(sm: PrintFarmStateMachine, model: Model, previous: Map<string, JobStatus>): void {
  const jobs = sm.listPrintJobs({ limit: 10_000 }).items;
  for (const f of sm.listFilaments({ limit: 10_000 }).items) {
    const mine = jobs.filter((j) => j.filament_id === f.id);
    const held = mine.filter((j) => j.status === 'Queued' || j.status === 'Running').reduce((s, j) => s + j.print_weight_in_grams, 0);
    const done = mine.filter((j) => j.status === 'Done').reduce((s, j) => s + j.print_weight_in_grams, 0);
    // I1
    expect(0).toBeLessThanOrEqual(held);
    expect(held).toBeLessThanOrEqual(f.remaining_weight_in_grams);
    expect(f.remaining_weight_in_grams).toBeLessThanOrEqual(f.total_weight_in_grams);
    expect(sm.reservedWeight(f.id)).toBe(held);
    // I2
    expect(f.remaining_weight_in_grams).toBe(model.filaments.get(f.id)!.initial - done);
  }
  // I4
  for (const j of jobs) {
    const before = previous.get(j.id);
    if (before !== undefined && before !== j.status) expect(NEXT[before]).toContain(j.status);
    previous.set(j.id, j.status);
  }
  expect(jobs.map((j) => [j.id, j.status])).toEqual(
    [...model.jobs].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, j]) => [id, j.status]),
  );
}

// Printers and filaments first, so that most generated jobs and transitions can succeed.
const logArb: fc.Arbitrary<Op[]> = fc
  .tuple(
    fc.integer({ min: 1, max: 1000 }),
    fc.integer({ min: 0, max: 1000 }),
    fc.integer({ min: 1, max: 1000 }),
    fc.array(opArb, { minLength: 20, maxLength: 80 }),
  )
  .map(([t1, r1, t2, ops]): Op[] => [
    { kind: 'printer', id: 'p1' },
    { kind: 'printer', id: 'p2' },
    { kind: 'filament', id: 'f1', total: t1, remaining: Math.min(t1, r1) },
    { kind: 'filament', id: 'f2', total: t2, remaining: t2 },
    ...ops,
  ]);

describe('state machine against a model', () => {
  test('answers match the model and I1, I2, I4 hold after every step', () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(logArb, (ops) => {
        let sm = new PrintFarmStateMachine();
        const model: Model = { printers: new Set(), filaments: new Map(), jobs: new Map() };
        const previous = new Map<string, JobStatus>();
        let index = 0;
        for (const op of ops) {
          if (op.kind === 'snapshotRestore') {
            const restored = new PrintFarmStateMachine();
            restored.restore(sm.snapshot());
            expect(restored.stateHash()).toBe(sm.stateHash());
            sm = restored;
            continue;
          }
          index++;
          const expected = step(model, op);
          expect(sm.apply(index, encode(op, at(index * 1000))).status).toBe(expected);
          checkInvariants(sm, model, previous);
          const outcome = op.kind === 'status' ? `${op.to}:${expected}` : `${op.kind}:${expected}`;
          seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
        }
      }),
      { numRuns: 70 },
    );
    // The runs did exercise every kind of success and refusal.
    const rare = ['job:201', 'job:400', 'job:409', 'Running:200', 'Done:200', 'Canceled:200', 'Done:400', 'Queued:400']
      .filter((outcome) => (seen.get(outcome) ?? 0) < 5);
    expect({ rare, seen: Object.fromEntries(seen) }).toMatchObject({ rare: [] });
  });

  test('replicas applying the same log hold byte-identical snapshots (I3), whatever snapshot they started from', () => {
    fc.assert(
      fc.property(logArb, fc.nat(), (ops, cut) => {
        const log = ops
          .filter((op): op is Exclude<Op, { kind: 'snapshotRestore' }> => op.kind !== 'snapshotRestore')
          .map((op, i) => encode(op, at(i * 7)));
        const a = new PrintFarmStateMachine();
        const b = new PrintFarmStateMachine();
        const split = log.length === 0 ? 0 : cut % (log.length + 1);
        log.forEach((entry, i) => a.apply(i + 1, entry));
        log.slice(0, split).forEach((entry, i) => b.apply(i + 1, entry));
        // b catches up from its own snapshot, as a restarted or lagging replica would.
        const c = new PrintFarmStateMachine();
        c.restore(b.snapshot());
        log.slice(split).forEach((entry, i) => c.apply(split + i + 1, entry));
        expect(Buffer.from(c.snapshot()).equals(Buffer.from(a.snapshot()))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
