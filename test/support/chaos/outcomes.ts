// Tallies of what the chaos clients got back, and the answers that no fault
// can excuse: the workload only sends valid requests with fresh ids, so a
// validation error, a reused-key refusal, a duplicate id or a 500 is a bug.
import type { ChaosRequest } from './workload.js';

const EXPECTED_400 = new Set(['UNKNOWN_FILAMENT', 'INSUFFICIENT_FILAMENT', 'INVALID_TRANSITION']);

function label(r: ChaosRequest): string {
  const res = r.result;
  if (res.kind === 'error') return res.error;
  return res.code === undefined ? String(res.status) : `${res.status} ${res.code}`;
}

/** "201: 812, 200: 3012, 503 NO_LEADER: 40, timeout: 12, …", most frequent first. */
export function outcomeCounts(requests: readonly ChaosRequest[]): string {
  const counts = new Map<string, number>();
  for (const r of requests) counts.set(label(r), (counts.get(label(r)) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');
}

export function unexpectedAnswers(requests: readonly ChaosRequest[], examples = 3): string[] {
  const byLabel = new Map<string, ChaosRequest[]>();
  for (const r of requests) {
    const res = r.result;
    if (res.kind === 'error') continue;
    const s = res.status;
    const fine =
      (s >= 200 && s < 300) || s === 404 || s === 503 || (s === 400 && res.code !== undefined && EXPECTED_400.has(res.code));
    if (fine) continue;
    const key = label(r);
    const list = byLabel.get(key) ?? [];
    list.push(r);
    byLabel.set(key, list);
  }
  return [...byLabel.entries()].map(([key, list]) => {
    const shown = list.slice(0, examples).map((r) => `${r.input.kind} ${JSON.stringify(r.input)} on ${r.node} (key ${r.idempotencyKey ?? '-'})`);
    return `unexpected answer ${key} ×${list.length}: ${shown.join('; ')}`;
  });
}

/** Percentiles of the time to a definite answer, per access kind: where the run spent its time. */
export function latencySummary(requests: readonly ChaosRequest[]): string {
  const parts: string[] = [];
  for (const access of ['write', 'read'] as const) {
    const ms = requests
      .filter((r) => r.access === access && r.result.kind === 'response' && r.result.status !== 503)
      .map((r) => r.ret - r.call)
      .sort((a, b) => a - b);
    if (ms.length === 0) continue;
    const at = (q: number): string => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!.toFixed(0);
    parts.push(`${access}s p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${at(1)} ms`);
  }
  return parts.join('; ');
}
