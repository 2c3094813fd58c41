import { describe, test, expect, beforeAll, afterAll } from '@jest/globals';
import { buildApp, type InjectOptions, type InjectResponse, type TestApp } from './build-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildApp({ bodyLimit: 1024 });
});
afterAll(async () => {
  await t.close();
});

async function call(options: InjectOptions): Promise<InjectResponse> {
  const response = await t.request(options);
  expect(String(response.headers['content-type'])).toMatch(/^application\/json/);
  return response;
}

const validationFailed = (error: string): unknown => ({ error, code: 'VALIDATION_FAILED' });

describe('every failure is JSON {error, code}', () => {
  test('unknown route: 404 NOT_FOUND', async () => {
    const r = await call({ method: 'GET', url: '/api/v1/spools' });
    expect([r.statusCode, r.json()]).toEqual([404, { error: 'no route for GET /api/v1/spools', code: 'NOT_FOUND' }]);
    expect((await call({ method: 'GET', url: '/api/v1/printers/p1/extra' })).statusCode).toBe(404);
  });

  test('known path, wrong method: 405 with Allow, for API and operations routes alike', async () => {
    const cases: Array<[string, string, string]> = [
      ['DELETE', '/api/v1/printers/p1', 'GET, HEAD'],
      ['PATCH', '/api/v1/printers', 'GET, HEAD, POST'],
      ['DELETE', '/api/v1/print_jobs/j1/status', 'POST, PUT'],
      ['GET', '/api/v1/print_jobs/j1/status', 'POST, PUT'],
      ['POST', '/health/live', 'GET, HEAD'],
    ];
    for (const [method, url, allow] of cases) {
      const r = await call({ method, url });
      expect([method, url, r.statusCode, r.headers['allow'], r.json()]).toEqual([
        method,
        url,
        405,
        allow,
        { error: `${method} is not allowed on ${url}`, code: 'METHOD_NOT_ALLOWED' },
      ]);
    }
  });

  test('malformed JSON, empty body, non-object body: 400 VALIDATION_FAILED', async () => {
    const json = { 'content-type': 'application/json' };
    const malformed = await call({ method: 'POST', url: '/api/v1/printers', payload: '{"company": ', headers: json });
    expect([malformed.statusCode, malformed.json()]).toEqual([400, validationFailed('request body is not valid JSON')]);
    const empty = await call({ method: 'POST', url: '/api/v1/printers', payload: '', headers: json });
    expect([empty.statusCode, empty.json()]).toEqual([400, validationFailed('request body must be a JSON object')]);
    const none = await call({ method: 'POST', url: '/api/v1/filaments' });
    expect([none.statusCode, none.json()]).toEqual([400, validationFailed('request body must be a JSON object')]);
    for (const payload of ['"text"', '42', 'null', '[]']) {
      const r = await call({ method: 'POST', url: '/api/v1/print_jobs', payload, headers: json });
      expect([payload, r.statusCode, r.json()]).toEqual([payload, 400, validationFailed('request body must be a JSON object')]);
    }
  });

  test('a body of another content type: 400 VALIDATION_FAILED', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const r = await call({
        method: 'POST',
        url: '/api/v1/printers',
        payload: 'company=a&model=b',
        headers: { 'content-type': type },
      });
      expect([type, r.statusCode, r.json()]).toEqual([type, 400, validationFailed('Content-Type must be application/json')]);
    }
    const charset = await call({
      method: 'POST',
      url: '/api/v1/printers',
      payload: JSON.stringify({ company: 'a', model: 'b' }),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(charset.statusCode).toBe(201);
  });

  test('a body over the limit: 413 PAYLOAD_TOO_LARGE', async () => {
    const r = await call({
      method: 'POST',
      url: '/api/v1/printers',
      payload: JSON.stringify({ company: 'a'.repeat(2000), model: 'b' }),
      headers: { 'content-type': 'application/json' },
    });
    expect([r.statusCode, r.json()]).toEqual([413, { error: 'request body is larger than the limit of 1024 bytes', code: 'PAYLOAD_TOO_LARGE' }]);
  });

  test('no leader: 503 NO_LEADER with Retry-After, and nothing is applied', async () => {
    const applied = t.replicator.applied.length;
    t.replicator.loseLeader(4);
    try {
      const write = await call({ method: 'POST', url: '/api/v1/printers', payload: { company: 'a', model: 'b' } });
      expect([write.statusCode, write.headers['retry-after'], write.json()]).toEqual([
        503,
        '4',
        { error: 'no leader is known', code: 'NO_LEADER' },
      ]);
      const status = await call({ method: 'POST', url: '/api/v1/print_jobs/j/status?status=Done' });
      expect(status.statusCode).toBe(503);
      const read = await call({ method: 'GET', url: '/api/v1/print_jobs' });
      expect([read.statusCode, read.headers['retry-after']]).toEqual([503, '4']);
    } finally {
      t.replicator.regainLeader();
    }
    expect(t.replicator.applied.length).toBe(applied);
    expect((await call({ method: 'POST', url: '/api/v1/printers', payload: { company: 'a', model: 'b' } })).statusCode).toBe(201);
  });

  test('an unexpected error: 500 INTERNAL, and the server keeps serving', async () => {
    const r = await call({ method: 'GET', url: '/health/boom' });
    expect([r.statusCode, r.json()]).toEqual([500, { error: 'internal server error', code: 'INTERNAL' }]);
    expect((await call({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
  });

  test('other modules\' HttpExceptions keep their own body or gain error and code', async () => {
    const own = await call({ method: 'GET', url: '/health/token' });
    expect([own.statusCode, own.json()]).toEqual([401, { error: 'a valid cluster token is required', code: 'UNAUTHORIZED' }]);
    const unready = await call({ method: 'GET', url: '/health/unready' });
    expect([unready.statusCode, unready.json()]).toEqual([
      503,
      {
        status: 'error',
        info: {},
        details: { raft: { status: 'down' } },
        error: 'Service Unavailable Exception',
        code: 'SERVICE_UNAVAILABLE',
      },
    ]);
  });

  test('validation runs before anything is proposed', async () => {
    const applied = t.replicator.applied.length;
    const r = await call({ method: 'POST', url: '/api/v1/print_jobs', payload: { printer_id: 'p', filament_id: 'f', filepath: 'x' } });
    expect([r.statusCode, r.json()]).toEqual([400, validationFailed('print_weight_in_grams is required')]);
    expect(t.replicator.applied.length).toBe(applied);
  });
});
