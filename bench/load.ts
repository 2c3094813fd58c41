// Closed-loop load: `connections` keep-alive connections, each with one request
// in flight, spread over the given URLs (connection i goes to urls[i % n]).
// Percentiles come from every response's time in float ms (autocannon's own
// histogram has whole-ms resolution).
import autocannon from 'autocannon';
import { assertLoopback } from './http.js';
import { percentile, round } from './stats.js';
import type { RequestSpec } from './workloads.js';

export interface LoadSpec {
  readonly urls: readonly string[];
  readonly connections: number;
  /** Seconds to run; ignored when `amount` is set. */
  readonly seconds: number;
  /** Stop after this many responses instead of after `seconds`. */
  readonly amount?: number;
  readonly timeoutSeconds?: number;
  /** Requests per second over all connections (open loop); unlimited when absent. */
  readonly overallRate?: number;
  readonly next: () => RequestSpec;
}

export interface LoadResult {
  readonly connections: number;
  readonly seconds: number;
  readonly ok: number;
  readonly rps: number;
  readonly non2xx: number;
  readonly statuses: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

const MAX_SAMPLES = 5_000_000;

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  for (const u of spec.urls) assertLoopback(u);
  const lat = new Float64Array(MAX_SAMPLES);
  let n = 0;
  let non2xx = 0;
  const statuses: Record<string, number> = {};
  const opts: autocannon.Options = {
    // autocannon accepts several URLs (its typings say one).
    url: spec.urls as unknown as string,
    connections: spec.connections,
    duration: spec.seconds,
    timeout: spec.timeoutSeconds ?? 10,
    pipelining: 1,
    requests: [
      {
        setupRequest: (req) => {
          // autocannon writes content-length into the headers object it is given: never share one.
          const next = spec.next();
          return { ...req, ...next, headers: { ...next.headers } };
        },
      },
    ],
  };
  if (spec.amount !== undefined) opts.amount = spec.amount;
  if (spec.overallRate !== undefined) opts.overallRate = spec.overallRate;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const inst = autocannon(opts, (err: unknown, res: autocannon.Result) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(res)));
    inst.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) {
        if (n < MAX_SAMPLES) lat[n++] = ms;
      } else {
        non2xx++;
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    });
  });
  const s = lat.subarray(0, n).sort();
  const r3 = (x: number | null): number | null => (x === null ? null : round(x, 3));
  const seconds = result.duration;
  return {
    connections: spec.connections,
    seconds,
    ok: n,
    rps: seconds > 0 ? Math.round(n / seconds) : 0,
    non2xx,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    p50: r3(percentile(s, 50)),
    p90: r3(percentile(s, 90)),
    p99: r3(percentile(s, 99)),
    max: r3(n > 0 ? s[n - 1]! : null),
  };
}
