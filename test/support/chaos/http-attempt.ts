// One HTTP attempt of a chaos client, timed on the test process's monotonic
// clock and classified the way raft.md §5.2 needs: a response, or an error
// that says whether anything may have reached the server.
import type { HttpResult } from '../linearizability/history.js';

export interface TimedResult {
  readonly call: number;
  readonly ret: number;
  readonly result: HttpResult;
}

export interface AttemptRequest {
  readonly method: 'GET' | 'POST';
  /** host:port of the node. */
  readonly host: string;
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

export async function sendAttempt(req: AttemptRequest): Promise<TimedResult> {
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  const init: RequestInit = { method: req.method, headers, signal: AbortSignal.timeout(req.timeoutMs) };
  if (req.body !== undefined) {
    init.body = JSON.stringify(req.body);
    headers['content-type'] = 'application/json';
  }
  const call = performance.now();
  let result: HttpResult;
  try {
    const res = await fetch(`http://${req.host}${req.path}`, init);
    // The body belongs to the answer: an attempt is over only once it has been read.
    const text = await res.text();
    const body = parseBody(text);
    const code = codeOf(body);
    result = code === undefined ? { kind: 'response', status: res.status, body } : { kind: 'response', status: res.status, code, body };
  } catch (error) {
    result = { kind: 'error', error: errorKind(error) };
  }
  return { call, ret: performance.now(), result };
}

/** refused: the connection was never made, so nothing was sent; anything else may have reached the node. */
export function errorKind(error: unknown): 'timeout' | 'reset' | 'refused' {
  // By name, not instanceof: fetch's errors come from another realm than jest's test code.
  const name: unknown = typeof error === 'object' && error !== null ? Reflect.get(error, 'name') : undefined;
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
  const code = causeCode(error);
  return code === 'ECONNREFUSED' ? 'refused' : 'reset';
}

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code: unknown = Reflect.get(current, 'code');
    if (typeof code === 'string') return code;
    current = Reflect.get(current, 'cause');
  }
  return undefined;
}

function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function codeOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const code: unknown = Reflect.get(body, 'code');
  return typeof code === 'string' ? code : undefined;
}
