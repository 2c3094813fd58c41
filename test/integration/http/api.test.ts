import { describe, test, expect, beforeEach, afterEach } from '@jest/globals';
import { buildApp, type InjectOptions, type InjectResponse, type TestApp } from './build-app.js';

let t: TestApp;
beforeEach(async () => {
  t = await buildApp();
});
afterEach(async () => {
  await t.close();
});

async function call(method: string, url: string, payload?: unknown, headers?: Record<string, string>): Promise<InjectResponse> {
  const options: InjectOptions = { method, url, ...(payload === undefined ? {} : { payload }), ...(headers ? { headers } : {}) };
  const response = await t.request(options);
  expect(String(response.headers['content-type'])).toMatch(/^application\/json/);
  return response;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function seed(remaining?: number): Promise<void> {
  expect((await call('POST', '/api/v1/printers', { id: 'p1', company: 'Creality', model: 'Ender 3' })).statusCode).toBe(201);
  const spool = { id: 'f1', type: 'PLA', color: 'red', total_weight_in_grams: 1000 };
  const body = remaining === undefined ? spool : { ...spool, remaining_weight_in_grams: remaining };
  expect((await call('POST', '/api/v1/filaments', body)).statusCode).toBe(201);
}

describe('the original walkthrough', () => {
  test('printer, filament, job, Running, Done: the filament loses the job weight', async () => {
    const printer = await call('POST', '/api/v1/printers', { company: 'Creality', model: 'Ender 3' });
    expect(printer.statusCode).toBe(201);
    const printerBody = printer.json() as { id: string };
    expect(printerBody).toEqual({ id: expect.stringMatching(UUID), company: 'Creality', model: 'Ender 3' });

    const filament = await call('POST', '/api/v1/filaments', {
      type: 'pla',
      color: 'red',
      total_weight_in_grams: 1000,
      remaining_weight_in_grams: 800,
    });
    expect(filament.statusCode).toBe(201);
    const filamentBody = filament.json() as { id: string };
    expect(filamentBody).toEqual({
      id: expect.stringMatching(UUID),
      type: 'PLA',
      color: 'red',
      total_weight_in_grams: 1000,
      remaining_weight_in_grams: 800,
    });

    const created = await call('POST', '/api/v1/print_jobs', {
      printer_id: printerBody.id,
      filament_id: filamentBody.id,
      filepath: 'prints/sword/hilt.gcode',
      print_weight_in_grams: 100,
      status: 'Done',
    });
    expect(created.statusCode).toBe(201);
    const jobBody = created.json() as { id: string; created_at: string };
    expect(jobBody).toEqual({
      id: expect.stringMatching(UUID),
      printer_id: printerBody.id,
      filament_id: filamentBody.id,
      filepath: 'prints/sword/hilt.gcode',
      print_weight_in_grams: 100,
      status: 'Queued',
      created_at: expect.stringMatching(ISO),
      updated_at: jobBody.created_at,
    });

    const running = await call('POST', `/api/v1/print_jobs/${jobBody.id}/status?status="running"`);
    expect(running.statusCode).toBe(200);
    expect(running.json()).toMatchObject({ id: jobBody.id, status: 'Running' });
    const done = await call('POST', `/api/v1/print_jobs/${jobBody.id}/status?status=Done`);
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ status: 'Done' });

    const after = await call('GET', `/api/v1/filaments/${filamentBody.id}`);
    expect(after.statusCode).toBe(200);
    expect(after.json()).toMatchObject({ remaining_weight_in_grams: 700 });
    expect((await call('GET', `/api/v1/print_jobs/${jobBody.id}`)).json()).toMatchObject({ status: 'Done' });
  });
});

describe('business rules over HTTP', () => {
  test('two concurrent jobs that overbook a filament: exactly one 201 and one 400', async () => {
    await seed(500);
    const job = (id: string): Promise<InjectResponse> =>
      call('POST', '/api/v1/print_jobs', { id, printer_id: 'p1', filament_id: 'f1', filepath: 'x.gcode', print_weight_in_grams: 300 });
    const answers = await Promise.all([job('a'), job('b')]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([201, 400]);
    const refused = answers.find((r) => r.statusCode === 400)!;
    expect(refused.json()).toMatchObject({ code: 'INSUFFICIENT_FILAMENT' });
    expect((await call('GET', '/api/v1/print_jobs')).json()).toHaveLength(1);
  });

  test('refusals decided by the state machine carry their codes', async () => {
    await seed();
    const job = { id: 'j1', printer_id: 'p1', filament_id: 'f1', filepath: 'x.gcode', print_weight_in_grams: 10 };
    expect((await call('POST', '/api/v1/print_jobs', job)).statusCode).toBe(201);
    const duplicate = await call('POST', '/api/v1/print_jobs', job);
    expect([duplicate.statusCode, duplicate.json()]).toEqual([409, { error: 'print job "j1" already exists', code: 'ALREADY_EXISTS' }]);
    const noPrinter = await call('POST', '/api/v1/print_jobs', { ...job, id: 'j2', printer_id: 'nope' });
    expect([noPrinter.statusCode, noPrinter.json()]).toEqual([400, { error: 'printer "nope" does not exist', code: 'UNKNOWN_PRINTER' }]);
    const noFilament = await call('POST', '/api/v1/print_jobs', { ...job, id: 'j2', filament_id: 'nope' });
    expect(noFilament.json()).toEqual({ error: 'filament "nope" does not exist', code: 'UNKNOWN_FILAMENT' });
    const illegal = await call('POST', '/api/v1/print_jobs/j1/status?status=Done');
    expect([illegal.statusCode, illegal.json()]).toEqual([400, { error: 'a Queued job cannot become Done', code: 'INVALID_TRANSITION' }]);
    const ghost = await call('POST', '/api/v1/print_jobs/ghost/status?status=Running');
    expect([ghost.statusCode, ghost.json()]).toEqual([404, { error: 'print job "ghost" does not exist', code: 'NOT_FOUND' }]);
    const printerDuplicate = await call('POST', '/api/v1/printers', { id: 'p1', company: 'X', model: 'Y' });
    expect([printerDuplicate.statusCode, printerDuplicate.json()]).toEqual([409, { error: 'printer "p1" already exists', code: 'ALREADY_EXISTS' }]);
  });

  test('status update forms: JSON body, PUT alias, Cancelled spelling; a missing or unknown status is 400', async () => {
    await seed();
    for (const id of ['a', 'b']) {
      await call('POST', '/api/v1/print_jobs', { id, printer_id: 'p1', filament_id: 'f1', filepath: 'x.gcode', print_weight_in_grams: 1 });
    }
    expect((await call('PUT', '/api/v1/print_jobs/a/status', { status: 'RUNNING' })).json()).toMatchObject({ status: 'Running' });
    expect((await call('POST', '/api/v1/print_jobs/a/status', { status: 'done' })).json()).toMatchObject({ status: 'Done' });
    expect((await call('PUT', '/api/v1/print_jobs/b/status?status=Cancelled')).json()).toMatchObject({ status: 'Canceled' });
    const missing = await call('POST', '/api/v1/print_jobs/b/status');
    expect([missing.statusCode, missing.json()]).toEqual([
      400,
      { error: 'status is required, as the status query parameter or a JSON body {"status": "..."}', code: 'VALIDATION_FAILED' },
    ]);
    const unknown = await call('POST', '/api/v1/print_jobs/b/status?status=paused');
    expect([unknown.statusCode, unknown.json()]).toEqual([
      400,
      { error: 'status must be one of Queued, Running, Done, Canceled (got "paused")', code: 'VALIDATION_FAILED' },
    ]);
    // The seed's clients send the JSON content type with no body at all.
    const emptyJson = await call('POST', '/api/v1/print_jobs/b/status?status=Running', '', { 'content-type': 'application/json' });
    expect(emptyJson.statusCode).toBe(400);
    expect(emptyJson.json()).toMatchObject({ code: 'INVALID_TRANSITION' });
  });

  test('GET of an unknown id is 404; an integer id is stored as its decimal string', async () => {
    const missing = await call('GET', '/api/v1/printers/nope');
    expect([missing.statusCode, missing.json()]).toEqual([404, { error: 'printer "nope" does not exist', code: 'NOT_FOUND' }]);
    expect((await call('GET', '/api/v1/filaments/nope')).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/print_jobs/nope')).statusCode).toBe(404);
    const created = await call('POST', '/api/v1/printers', { id: 42, company: 'A', model: 'B' });
    expect(created.json()).toEqual({ id: '42', company: 'A', model: 'B' });
    expect((await call('GET', '/api/v1/printers/42')).statusCode).toBe(200);
    const bad = await call('GET', '/api/v1/printers/a%20b');
    expect([bad.statusCode, bad.json()]).toEqual([
      400,
      { error: 'id must be 1 to 128 characters of A-Z a-z 0-9 . _ : -', code: 'VALIDATION_FAILED' },
    ]);
  });

  test('validation failures name the field and change nothing', async () => {
    const answers = await Promise.all([
      call('POST', '/api/v1/filaments', { type: 'PLA', color: 'red', total_weight_in_grams: '100' }),
      call('POST', '/api/v1/filaments', { type: 'PLA', color: 'red', total_weight_in_grams: 12.5 }),
      call('POST', '/api/v1/filaments', { type: 'PLA', color: 'red', total_weight_in_grams: 10, remaining_weight_in_grams: 11 }),
      call('POST', '/api/v1/printers', { company: '  ', model: 'x' }),
      call('POST', '/api/v1/printers', [{ company: 'a', model: 'b' }]),
    ]);
    expect(answers.map((r) => [r.statusCode, r.json()])).toEqual([
      [400, { error: 'total_weight_in_grams must be an integer', code: 'VALIDATION_FAILED' }],
      [400, { error: 'total_weight_in_grams must be an integer', code: 'VALIDATION_FAILED' }],
      [400, { error: 'remaining_weight_in_grams must not exceed total_weight_in_grams', code: 'VALIDATION_FAILED' }],
      [400, { error: 'company must not be empty', code: 'VALIDATION_FAILED' }],
      [400, { error: 'request body must be a JSON object', code: 'VALIDATION_FAILED' }],
    ]);
    expect(t.replicator.applied).toHaveLength(0);
  });
});

describe('lists', () => {
  test('sorted by id, paginated with limit and after, with a Link to the next page', async () => {
    for (const id of ['c', 'a', 'e', 'b', 'd']) await call('POST', '/api/v1/printers', { id, company: 'X', model: 'Y' });
    const first = await call('GET', '/api/v1/printers?limit=2');
    expect((first.json() as Array<{ id: string }>).map((p) => p.id)).toEqual(['a', 'b']);
    expect(first.headers['link']).toBe('</api/v1/printers?limit=2&after=b>; rel="next"');
    const second = await call('GET', '/api/v1/printers?limit=2&after=b');
    expect((second.json() as Array<{ id: string }>).map((p) => p.id)).toEqual(['c', 'd']);
    const last = await call('GET', '/api/v1/printers?limit=2&after=d');
    expect((last.json() as Array<{ id: string }>).map((p) => p.id)).toEqual(['e']);
    expect(last.headers['link']).toBeUndefined();
    expect((await call('GET', '/api/v1/printers?after=zz')).json()).toEqual([]);
    for (const bad of ['0', '10001', 'x', '2.5']) {
      const r = await call('GET', `/api/v1/printers?limit=${bad}`);
      expect([r.statusCode, r.json()]).toEqual([400, { error: 'limit must be an integer from 1 to 10000', code: 'VALIDATION_FAILED' }]);
    }
  });

  test('filters: filament type, job status (same parsing as updates), printer and filament', async () => {
    await seed();
    await call('POST', '/api/v1/printers', { id: 'p2', company: 'X', model: 'Y' });
    await call('POST', '/api/v1/filaments', { id: 'f2', type: 'abs', color: 'black', total_weight_in_grams: 500 });
    const job = (id: string, printer_id: string, filament_id: string): Promise<InjectResponse> =>
      call('POST', '/api/v1/print_jobs', { id, printer_id, filament_id, filepath: 'x.gcode', print_weight_in_grams: 5 });
    await job('j1', 'p1', 'f1');
    await job('j2', 'p2', 'f1');
    await job('j3', 'p1', 'f2');
    await call('POST', '/api/v1/print_jobs/j2/status?status=Canceled');
    const ids = async (url: string): Promise<string[]> => ((await call('GET', url)).json() as Array<{ id: string }>).map((x) => x.id);
    expect(await ids('/api/v1/filaments?type=ABS')).toEqual(['f2']);
    expect(await ids('/api/v1/filaments?type=abs')).toEqual(['f2']);
    expect(await ids('/api/v1/print_jobs?status="cancelled"')).toEqual(['j2']);
    expect(await ids('/api/v1/print_jobs?status=queued&printer_id=p1')).toEqual(['j1', 'j3']);
    expect(await ids('/api/v1/print_jobs?filament_id=f1')).toEqual(['j1', 'j2']);
    expect(await ids('/api/v1/print_jobs?printer_id=p9')).toEqual([]);
    const badStatus = await call('GET', '/api/v1/print_jobs?status=paused');
    expect(badStatus.statusCode).toBe(400);
    const badType = await call('GET', '/api/v1/filaments?type=wood');
    expect([badType.statusCode, badType.json()]).toEqual([
      400,
      { error: 'type must be one of PLA, PETG, ABS, TPU (got "wood")', code: 'VALIDATION_FAILED' },
    ]);
  });
});

describe('read consistency', () => {
  test('reads go through the read barrier unless stale is asked for', async () => {
    await seed();
    await call('GET', '/api/v1/printers');
    await call('GET', '/api/v1/printers/p1');
    expect(t.replicator.readBarriers).toBe(2);
    expect((await call('GET', '/api/v1/printers?consistency=stale')).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/filaments/f1', undefined, { 'x-raft3d-consistency': 'stale' })).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/print_jobs?consistency=linearizable')).statusCode).toBe(200);
    expect(t.replicator.readBarriers).toBe(3);
  });

  test('stale reads answer from local state even without a leader; others get 503', async () => {
    await seed();
    t.replicator.loseLeader(2);
    const stale = await call('GET', '/api/v1/printers/p1?consistency=stale');
    expect([stale.statusCode, stale.json()]).toEqual([200, { id: 'p1', company: 'Creality', model: 'Ender 3' }]);
    const fresh = await call('GET', '/api/v1/printers/p1');
    expect([fresh.statusCode, fresh.headers['retry-after'], fresh.json()]).toEqual([
      503,
      '2',
      { error: 'no leader is known', code: 'NO_LEADER' },
    ]);
  });

  test('an unknown consistency value is 400', async () => {
    const r = await call('GET', '/api/v1/printers?consistency=eventual');
    expect([r.statusCode, r.json()]).toEqual([400, { error: 'consistency must be stale or linearizable', code: 'VALIDATION_FAILED' }]);
    const h = await call('GET', '/api/v1/printers', undefined, { 'x-raft3d-consistency': 'sometimes' });
    expect(h.statusCode).toBe(400);
  });
});

describe('idempotency keys over HTTP', () => {
  test('a retried POST returns the first outcome, with the same generated id, and acts once', async () => {
    await seed();
    const body = { printer_id: 'p1', filament_id: 'f1', filepath: 'x.gcode', print_weight_in_grams: 300 };
    const first = await call('POST', '/api/v1/print_jobs', body, { 'idempotency-key': 'retry-1' });
    const second = await call('POST', '/api/v1/print_jobs', body, { 'idempotency-key': 'retry-1' });
    expect(first.statusCode).toBe(201);
    expect([second.statusCode, second.body]).toEqual([201, first.body]);
    expect((await call('GET', '/api/v1/print_jobs')).json()).toHaveLength(1);
    const id = (first.json() as { id: string }).id;
    await call('POST', `/api/v1/print_jobs/${id}/status?status=Running`);
    const done = await call('POST', `/api/v1/print_jobs/${id}/status?status=Done`, undefined, { 'idempotency-key': 'done-1' });
    const again = await call('PUT', `/api/v1/print_jobs/${id}/status`, { status: 'done' }, { 'idempotency-key': 'done-1' });
    expect([again.statusCode, again.body]).toEqual([200, done.body]);
    expect((await call('GET', '/api/v1/filaments/f1')).json()).toMatchObject({ remaining_weight_in_grams: 700 });
  });

  test('the same key for a different request is 422', async () => {
    await call('POST', '/api/v1/printers', { company: 'A', model: 'B' }, { 'idempotency-key': 'k' });
    const reused = await call('POST', '/api/v1/printers', { company: 'A', model: 'C' }, { 'idempotency-key': 'k' });
    expect([reused.statusCode, reused.json()]).toEqual([
      422,
      { error: 'this Idempotency-Key was used for a different request', code: 'IDEMPOTENCY_KEY_REUSED' },
    ]);
    const badKey = await call('POST', '/api/v1/printers', { company: 'A', model: 'B' }, { 'idempotency-key': 'k'.repeat(300) });
    expect([badKey.statusCode, badKey.json()]).toEqual([
      400,
      { error: 'Idempotency-Key must be 1 to 256 printable ASCII characters', code: 'VALIDATION_FAILED' },
    ]);
  });
});
