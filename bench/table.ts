// The printed table: one row per measurement, our figure, etcd's, the ratio
// and the target from the issue ("3 of 5 — Fast") with a verdict.
import { median, round } from './stats.js';
import type { LoadRow, SuiteResult } from './suite.js';

/** Flat figures of one run (or medians over runs): rps/p50/p99 per load row, ms and bytes for the rest. */
export type Figures = Record<string, number | null>;

const LOAD_ROWS: readonly { key: LoadRow; name: string }[] = [
  { key: 'create1', name: 'create job, 1 client' },
  { key: 'create16', name: 'create job, 16 clients' },
  { key: 'create64', name: 'create job, 64 clients' },
  { key: 'transition64', name: 'status transition, 64 clients' },
  { key: 'read64', name: 'read job by id (linearizable), 64 clients' },
  { key: 'stale64', name: 'read job by id (stale), 64 clients' },
];

export function figuresOf(s: SuiteResult): Figures {
  const f: Figures = {};
  for (const { key } of LOAD_ROWS) {
    const r = s.load[key];
    f[`${key}.rps`] = r?.rps ?? null;
    f[`${key}.p50`] = r?.p50 ?? null;
    f[`${key}.p99`] = r?.p99 ?? null;
    f[`${key}.failed`] = r === undefined ? null : r.non2xx + r.errors + r.timeouts;
  }
  f['kill.ms'] = s.kill?.medianMs ?? null;
  f['term.ms'] = s.term?.medianMs ?? null;
  f['catchUp.ms'] = s.catchUp?.catchUpMs ?? null;
  f['ready.ms'] = s.catchUp?.readyMs ?? null;
  f['rss.bytes'] = s.catchUp?.rssBytes ?? null;
  f['maxRss.bytes'] = s.catchUp?.maxRssBytes ?? null;
  return f;
}

/** Our figure over etcd's, key by key, for one run (both measured in that run). */
export function ratiosOf(ours: Figures, theirs: Figures): Figures {
  const out: Figures = {};
  for (const [k, v] of Object.entries(ours)) {
    const t = theirs[k];
    out[k] = v !== null && t !== null && t !== undefined && t !== 0 ? v / t : null;
  }
  return out;
}

export function medianFigures(runs: readonly Figures[]): Figures {
  const keys = new Set(runs.flatMap((r) => Object.keys(r)));
  const out: Figures = {};
  for (const k of keys) out[k] = median(runs.map((r) => r[k]));
  return out;
}

interface Row {
  readonly name: string;
  readonly ours: string;
  readonly theirs: string;
  readonly ratio: string;
  readonly target: string;
  readonly verdict: string;
}

export interface TableContext {
  /** Ratios to print instead of ours/theirs (the median of per-run ratios, for the medians table). */
  readonly ratios?: Figures;
  readonly ours: string;
  readonly theirs: string | null;
  readonly failoverReps: number;
  readonly catchUpWrites: number;
}

export function renderTable(ours: Figures, theirs: Figures | null, ctx: TableContext): string {
  const rows: Row[] = [];
  const r = (key: string, o: number | null, t: number | null): number | null =>
    ctx.ratios !== undefined ? (ctx.ratios[key] ?? null) : o !== null && t ? o / t : null;
  const time = (key: string): [number | null, number | null, number | null] => {
    const o = ours[key] ?? null;
    const t = theirs?.[key] ?? null;
    return [o, t, r(key, o, t)];
  };
  for (const { key, name } of LOAD_ROWS) rows.push(loadRow(key, name, ours, theirs, ctx.ratios));
  const reps = `median of ${ctx.failoverReps}`;
  rows.push(timeRow(`kill -9 leader: writes unavailable (${reps})`, time('kill.ms'), 'ratio', 0.25));
  rows.push(timeRow(`SIGTERM leader: writes unavailable (${reps})`, time('term.ms'), 'absolute', 200));
  rows.push(timeRow(`restarted member catches up after ${ctx.catchUpWrites} writes`, time('catchUp.ms'), 'absolute', 5000));
  rows.push(memoryRow('that member: resident memory (RSS)', time('rss.bytes'), true));
  rows.push(memoryRow('largest RSS of the 3 members then', time('maxRss.bytes'), false));
  rows.push(timeRow('that member: process start to ready', time('ready.ms'), 'absolute', 3000));
  const header: Row = { name: 'measurement', ours: ctx.ours, theirs: ctx.theirs ?? 'etcd (not run)', ratio: 'ratio', target: 'target', verdict: 'met?' };
  return markdown([header, ...rows]);
}

function loadRow(key: LoadRow, name: string, ours: Figures, theirs: Figures | null, ratios: Figures | undefined): Row {
  const o = { rps: ours[`${key}.rps`] ?? null, p50: ours[`${key}.p50`] ?? null, p99: ours[`${key}.p99`] ?? null, failed: ours[`${key}.failed`] ?? null };
  const t = theirs === null ? null : { rps: theirs[`${key}.rps`] ?? null, p50: theirs[`${key}.p50`] ?? null, p99: theirs[`${key}.p99`] ?? null, failed: theirs[`${key}.failed`] ?? null };
  const cell = (x: typeof o | null): string =>
    x === null || x.rps === null ? '–' : `${x.rps}/s, p50 ${ms(x.p50)}, p99 ${ms(x.p99)}${x.failed ? `, ${x.failed} failed` : ''}`;
  const ratio = ratios !== undefined ? (ratios[`${key}.rps`] ?? null) : t !== null && o.rps !== null && t.rps ? o.rps / t.rps : null;
  let target = '';
  let verdict = '';
  const need = key === 'create1' ? 1 : key === 'create64' || key === 'read64' ? 2 : null;
  if (need !== null) {
    target = `≥ ${need}× etcd${key === 'create64' ? ', p99 ≤ etcd' : ''}`;
    if (ratio === null) verdict = 'n/a';
    else {
      const p99Ratio = ratios !== undefined ? (ratios[`${key}.p99`] ?? null) : o.p99 !== null && t?.p99 ? o.p99 / t.p99 : null;
      const p99ok = key !== 'create64' || (p99Ratio !== null && p99Ratio <= 1);
      verdict = ratio >= need && p99ok && !o.failed ? 'yes' : 'NO';
    }
  }
  return { name, ours: cell(o), theirs: cell(t), ratio: ratio === null ? '–' : `${round(ratio, 2)}×`, target, verdict };
}

function timeRow(name: string, [ours, theirs, ratio]: [number | null, number | null, number | null], kind: 'ratio' | 'absolute', limit: number): Row {
  let verdict: string;
  let target: string;
  if (kind === 'ratio') {
    target = `≤ ${limit}× etcd`;
    verdict = ratio === null ? 'n/a' : ratio <= limit ? 'yes' : 'NO';
  } else {
    target = `≤ ${limit >= 1000 ? `${limit / 1000} s` : `${limit} ms`}`;
    verdict = ours === null ? 'NO' : ours <= limit ? 'yes' : 'NO';
  }
  return { name, ours: ms(ours), theirs: ms(theirs), ratio: ratio === null ? '–' : `${round(ratio, 2)}×`, target, verdict };
}

/** MB are 10^6 bytes (the stricter reading of "300 MB"). */
function memoryRow(name: string, [ours, theirs, ratio]: [number | null, number | null, number | null], judged: boolean): Row {
  const mb = (b: number | null): string => (b === null ? '–' : `${Math.round(b / 1e6)} MB`);
  return {
    name,
    ours: mb(ours),
    theirs: mb(theirs),
    ratio: ratio === null ? '–' : `${round(ratio, 2)}×`,
    target: judged ? '≤ 300 MB' : '',
    verdict: !judged ? '' : ours === null ? 'NO' : ours <= 300e6 ? 'yes' : 'NO',
  };
}

function ms(x: number | null): string {
  if (x === null) return '–';
  return x >= 100 ? `${Math.round(x)} ms` : `${round(x, 2)} ms`;
}

function markdown(rows: readonly Row[]): string {
  const cols: (keyof Row)[] = ['name', 'ours', 'theirs', 'ratio', 'target', 'verdict'];
  const width = cols.map((c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: Row): string => `| ${cols.map((c, i) => r[c].padEnd(width[i]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}
