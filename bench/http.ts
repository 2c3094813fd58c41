// Small loopback HTTP calls for setup, probes and the failover writer.

export interface Answer {
  readonly status: number;
  readonly text: string;
}

export async function call(
  url: string,
  method: string,
  body: string | undefined,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const init: RequestInit = { method, headers: { ...headers }, signal: AbortSignal.timeout(timeoutMs) };
  if (body !== undefined) {
    init.body = body;
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, init);
  return { status: res.status, text: await res.text() };
}

/** The parsed JSON of a 2xx answer, or undefined for anything else (error, timeout, other status). */
export async function jsonOf(url: string, method: string, body: string | undefined, timeoutMs: number): Promise<unknown> {
  try {
    const a = await call(url, method, body, timeoutMs);
    if (a.status < 200 || a.status >= 300) return undefined;
    return JSON.parse(a.text) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-negative integer field that may be a JSON number or (etcd's gateway) a decimal string. */
export function intField(o: Record<string, unknown>, key: string): number | undefined {
  const v = o[key];
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v);
  return undefined;
}

export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!/^127\./.test(host) && host !== 'localhost' && host !== '[::1]') throw new Error(`refusing a non-loopback target ${url}`);
}
