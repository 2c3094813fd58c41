import { describe, test, expect } from '@jest/globals';
import { JOB_STATUSES, type JobStatus } from '../../../src/domain/field-rules.js';
import { PrintFarmStateMachine } from '../../../src/domain/print-farm.state-machine.js';
import { at, filament, job, printer, status } from './commands.fixture.js';

function farm(): { sm: PrintFarmStateMachine; apply: (bytes: Uint8Array) => { status: number; body: unknown } } {
  const sm = new PrintFarmStateMachine();
  let index = 0;
  return { sm, apply: (bytes) => sm.apply(++index, bytes) };
}

/** A farm with printer p1, p2 and filament f1 (PLA, 1000 g total, `remaining` left). */
function stocked(remaining = 1000): ReturnType<typeof farm> {
  const f = farm();
  f.apply(printer('p1'));
  f.apply(printer('p2'));
  f.apply(filament('f1', 1000, remaining));
  return f;
}

describe('printers and filaments', () => {
  test('create answers 201 with the API object', () => {
    const { apply, sm } = farm();
    expect(apply(printer('p1'))).toEqual({ status: 201, body: { id: 'p1', company: 'Creality', model: 'Ender 3' } });
    expect(apply(filament('f1', 1000, 0, {}, 'PETG'))).toEqual({
      status: 201,
      body: { id: 'f1', type: 'PETG', color: 'red', total_weight_in_grams: 1000, remaining_weight_in_grams: 0 },
    });
    expect(sm.getPrinter('p1')).toEqual({ id: 'p1', company: 'Creality', model: 'Ender 3' });
    expect(sm.getFilament('f1')?.remaining_weight_in_grams).toBe(0);
  });

  test('a duplicate id is 409 ALREADY_EXISTS and changes nothing', () => {
    const { apply, sm } = stocked();
    const before = sm.stateHash();
    expect(apply(printer('p1'))).toEqual({
      status: 409,
      body: { error: 'printer "p1" already exists', code: 'ALREADY_EXISTS' },
    });
    expect(apply(filament('f1', 5))).toMatchObject({ status: 409, body: { code: 'ALREADY_EXISTS' } });
    expect(sm.getFilament('f1')?.total_weight_in_grams).toBe(1000);
    expect(sm.stateHash()).toBe(before);
  });

  test('printers, filaments and jobs have separate id spaces', () => {
    const { apply } = farm();
    expect(apply(printer('x')).status).toBe(201);
    expect(apply(filament('x', 100)).status).toBe(201);
    expect(apply(job('x', 'x', 'x', 10)).status).toBe(201);
  });
});

describe('job creation', () => {
  test('creates a Queued job with the command time, reserving without consuming', () => {
    const { apply, sm } = stocked();
    const result = apply(job('j1', 'p1', 'f1', 300, { at: at(5000) }));
    expect(result).toEqual({
      status: 201,
      body: {
        id: 'j1',
        printer_id: 'p1',
        filament_id: 'f1',
        filepath: 'prints/j1.gcode',
        print_weight_in_grams: 300,
        status: 'Queued',
        created_at: '2026-01-01T00:00:05.000Z',
        updated_at: '2026-01-01T00:00:05.000Z',
      },
    });
    expect(sm.getFilament('f1')?.remaining_weight_in_grams).toBe(1000);
    expect(sm.reservedWeight('f1')).toBe(300);
  });

  test('checks are ordered: duplicate id, unknown printer, unknown filament, weight', () => {
    const { apply } = stocked(100);
    expect(apply(job('j1', 'p1', 'f1', 100)).status).toBe(201);
    expect(apply(job('j1', 'nope', 'nope', 1_000_000))).toMatchObject({ status: 409, body: { code: 'ALREADY_EXISTS' } });
    expect(apply(job('j2', 'nope', 'nope', 1_000_000))).toEqual({
      status: 400,
      body: { error: 'printer "nope" does not exist', code: 'UNKNOWN_PRINTER' },
    });
    expect(apply(job('j2', 'p1', 'nope', 1_000_000))).toEqual({
      status: 400,
      body: { error: 'filament "nope" does not exist', code: 'UNKNOWN_FILAMENT' },
    });
    expect(apply(job('j2', 'p1', 'f1', 1))).toMatchObject({ status: 400, body: { code: 'INSUFFICIENT_FILAMENT' } });
  });

  test('reservation rule: weight ≤ remaining − Σ Queued/Running weights, equality allowed', () => {
    const { apply, sm } = stocked(500);
    expect(apply(job('a', 'p1', 'f1', 200)).status).toBe(201);
    expect(apply(job('b', 'p2', 'f1', 200)).status).toBe(201);
    const refused = apply(job('c', 'p1', 'f1', 101));
    expect(refused).toEqual({
      status: 400,
      body: {
        error:
          'filament "f1" has 100 g available (500 g remaining, 400 g reserved by queued and running jobs), the job needs 101 g',
        code: 'INSUFFICIENT_FILAMENT',
      },
    });
    expect(sm.getPrintJob('c')).toBeUndefined();
    expect(apply(job('c', 'p1', 'f1', 100)).status).toBe(201);
    expect(sm.reservedWeight('f1')).toBe(500);
    expect(apply(job('d', 'p1', 'f1', 1)).status).toBe(400);
  });

  test('an empty spool takes no job', () => {
    const { apply } = stocked(0);
    expect(apply(job('a', 'p1', 'f1', 1))).toMatchObject({ status: 400, body: { code: 'INSUFFICIENT_FILAMENT' } });
  });

  test('finished and canceled jobs stop reserving', () => {
    const { apply, sm } = stocked(500);
    apply(job('a', 'p1', 'f1', 300));
    apply(job('b', 'p1', 'f1', 200));
    expect(apply(job('c', 'p1', 'f1', 1)).status).toBe(400);
    apply(status('a', 'Canceled'));
    expect(sm.reservedWeight('f1')).toBe(200);
    expect(apply(job('c', 'p1', 'f1', 300)).status).toBe(201);
    apply(status('b', 'Running'));
    apply(status('b', 'Done'));
    expect(sm.getFilament('f1')?.remaining_weight_in_grams).toBe(300);
    expect(sm.reservedWeight('f1')).toBe(300);
    expect(apply(job('d', 'p1', 'f1', 1)).status).toBe(400);
  });
});

describe('status machine', () => {
  const allowed: Record<JobStatus, readonly JobStatus[]> = {
    Queued: ['Running', 'Canceled'],
    Running: ['Done', 'Canceled'],
    Done: [],
    Canceled: [],
  };
  const pathTo: Record<JobStatus, readonly JobStatus[]> = {
    Queued: [],
    Running: ['Running'],
    Done: ['Running', 'Done'],
    Canceled: ['Canceled'],
  };

  for (const from of JOB_STATUSES) {
    for (const to of JOB_STATUSES) {
      const legal = allowed[from].includes(to);
      test(`${from} → ${to} is ${legal ? 'allowed' : 'refused'}`, () => {
        const { apply, sm } = stocked(1000);
        apply(job('j', 'p1', 'f1', 100, { at: at(0) }));
        for (const step of pathTo[from]) expect(apply(status('j', step, { at: at(1) })).status).toBe(200);
        const before = { job: sm.getPrintJob('j'), filament: sm.getFilament('f1'), reserved: sm.reservedWeight('f1') };
        const result = apply(status('j', to, { at: at(2) }));
        if (legal) {
          expect(result.status).toBe(200);
          expect(result.body).toMatchObject({ id: 'j', status: to, updated_at: at(2), created_at: at(0) });
          expect(sm.getPrintJob('j')?.status).toBe(to);
        } else {
          expect(result).toEqual({
            status: 400,
            body: { error: `a ${from} job cannot become ${to}`, code: 'INVALID_TRANSITION' },
          });
          expect({ job: sm.getPrintJob('j'), filament: sm.getFilament('f1'), reserved: sm.reservedWeight('f1') }).toEqual(before);
          expect(sm.getPrintJob('j')?.updated_at).toBe(from === 'Queued' ? at(0) : at(1));
        }
      });
    }
  }

  test('Done subtracts the weight exactly once; Canceled from Running changes no weight', () => {
    const { apply, sm } = stocked(1000);
    apply(job('a', 'p1', 'f1', 250));
    apply(job('b', 'p1', 'f1', 100));
    apply(status('a', 'Running'));
    expect(sm.getFilament('f1')?.remaining_weight_in_grams).toBe(1000);
    apply(status('a', 'Done'));
    expect(sm.getFilament('f1')?.remaining_weight_in_grams).toBe(750);
    expect(apply(status('a', 'Done')).status).toBe(400);
    expect(sm.getFilament('f1')?.remaining_weight_in_grams).toBe(750);
    apply(status('b', 'Running'));
    apply(status('b', 'Canceled'));
    expect(sm.getFilament('f1')?.remaining_weight_in_grams).toBe(750);
    expect(sm.reservedWeight('f1')).toBe(0);
  });

  test('a status change of an unknown job is 404 NOT_FOUND', () => {
    const { apply } = stocked();
    expect(apply(status('ghost', 'Running'))).toEqual({
      status: 404,
      body: { error: 'print job "ghost" does not exist', code: 'NOT_FOUND' },
    });
  });
});

describe('commands that cannot be decoded', () => {
  test('are refused with 400 and change nothing', () => {
    const { apply, sm } = stocked();
    const before = sm.stateHash();
    for (const bytes of [new Uint8Array(), new Uint8Array([0xc1]), new Uint8Array([0x93, 1, 2, 3])]) {
      const result = apply(bytes);
      expect(result.status).toBe(400);
      expect(result.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect(sm.stateHash()).toBe(before);
  });
});

describe('reads', () => {
  test('lists are sorted by id (byte order), paginated with after and limit', () => {
    const { apply, sm } = farm();
    for (const id of ['b', '10', 'a', '9', 'B', 'a.1']) apply(printer(id));
    expect(sm.listPrinters({ limit: 100 }).items.map((p) => p.id)).toEqual(['10', '9', 'B', 'a', 'a.1', 'b']);
    expect(sm.listPrinters({ limit: 2 })).toMatchObject({ hasMore: true });
    expect(sm.listPrinters({ limit: 2, after: '9' }).items.map((p) => p.id)).toEqual(['B', 'a']);
    expect(sm.listPrinters({ limit: 2, after: 'a' })).toEqual({
      items: [
        { id: 'a.1', company: 'Creality', model: 'Ender 3' },
        { id: 'b', company: 'Creality', model: 'Ender 3' },
      ],
      hasMore: false,
    });
    expect(sm.listPrinters({ limit: 5, after: 'zzz' })).toEqual({ items: [], hasMore: false });
    expect(sm.listPrinters({ limit: 5, after: 'a.0' }).items.map((p) => p.id)).toEqual(['a.1', 'b']);
  });

  test('filters combine and hasMore counts only matching items', () => {
    const { apply, sm } = stocked();
    apply(filament('f2', 1000, 1000, {}, 'ABS'));
    apply(job('j1', 'p1', 'f1', 10));
    apply(job('j2', 'p2', 'f1', 10));
    apply(job('j3', 'p1', 'f2', 10));
    apply(job('j4', 'p1', 'f1', 10));
    apply(status('j4', 'Running'));
    expect(sm.listFilaments({ limit: 10, type: 'ABS' }).items.map((f) => f.id)).toEqual(['f2']);
    expect(sm.listPrintJobs({ limit: 10, printerId: 'p1' }).items.map((j) => j.id)).toEqual(['j1', 'j3', 'j4']);
    expect(sm.listPrintJobs({ limit: 10, printerId: 'p1', filamentId: 'f1' }).items.map((j) => j.id)).toEqual([
      'j1',
      'j4',
    ]);
    expect(sm.listPrintJobs({ limit: 10, status: 'Running' }).items.map((j) => j.id)).toEqual(['j4']);
    expect(sm.listPrintJobs({ limit: 1, status: 'Queued', printerId: 'p1' })).toMatchObject({ hasMore: true });
    expect(sm.listPrintJobs({ limit: 1, status: 'Queued', printerId: 'p2' })).toMatchObject({ hasMore: false });
  });

  test('counts feed the metrics gauges', () => {
    const { apply, sm } = stocked();
    apply(job('j1', 'p1', 'f1', 10));
    apply(job('j2', 'p1', 'f1', 10));
    apply(status('j2', 'Canceled'));
    expect(sm.counts()).toEqual({
      printers: 2,
      filaments: 1,
      jobsByStatus: { Queued: 1, Running: 0, Done: 0, Canceled: 1 },
    });
  });

  test('read results are copies', () => {
    const { apply, sm } = stocked();
    const created = apply(job('j1', 'p1', 'f1', 10)).body as { status: string };
    created.status = 'Done';
    const view = sm.getPrintJob('j1')!;
    view.status = 'Done';
    expect(sm.getPrintJob('j1')?.status).toBe('Queued');
  });
});
