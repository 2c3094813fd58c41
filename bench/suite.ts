// One run over every system under test, interleaved so that a drifting load on
// a shared machine hits them alike: each load row runs on one system and then
// on the other (alternating which goes first), and so do the failover
// repetitions. Only the catch-up (100,000 writes each) runs one after the other.
import { loadavg } from 'node:os';
import { measureCatchUp, type CatchUpResult } from './catch-up.js';
import type { BenchCluster } from './cluster.js';
import { failoverRep, type FailoverRep } from './failover.js';
import { runLoad, type LoadResult } from './load.js';
import type { Phase } from './options.js';
import { median } from './stats.js';
import type { RequestSpec, Workload } from './workloads.js';

export interface SuiteOptions {
  readonly writeSeconds: number;
  readonly readSeconds: number;
  readonly warmupSeconds: number;
  readonly failoverReps: number;
  readonly catchUpWrites: number;
  readonly phases: ReadonlySet<Phase>;
  readonly log: (line: string) => void;
}

export type LoadRow = 'create1' | 'create16' | 'create64' | 'transition64' | 'read64' | 'stale64';

export interface FailoverResult {
  readonly signal: NodeJS.Signals;
  readonly reps: readonly FailoverRep[];
  readonly medianMs: number | null;
}

export interface SuiteResult {
  readonly label: string;
  readonly startedAt: string;
  readonly loadavg: readonly number[];
  readonly load: Partial<Record<LoadRow, LoadResult & { loadavg1: number }>>;
  readonly kill?: FailoverResult;
  readonly term?: FailoverResult;
  readonly catchUp?: CatchUpResult;
}

export interface SystemUnderTest {
  readonly cluster: BenchCluster;
  readonly workload: Workload;
}

interface RowDef {
  readonly key: LoadRow;
  readonly what: string;
  readonly connections: number;
  readonly read: boolean;
  readonly next: (w: Workload) => RequestSpec;
}

const ROWS: readonly RowDef[] = [
  { key: 'create1', what: 'create', connections: 1, read: false, next: (w) => w.create() },
  { key: 'create16', what: 'create', connections: 16, read: false, next: (w) => w.create() },
  { key: 'create64', what: 'create', connections: 64, read: false, next: (w) => w.create() },
  { key: 'transition64', what: 'status transition', connections: 64, read: false, next: (w) => w.transition() },
  { key: 'read64', what: 'read by id, linearizable', connections: 64, read: true, next: (w) => w.read(false) },
  { key: 'stale64', what: 'read by id, stale', connections: 64, read: true, next: (w) => w.read(true) },
];

interface Running {
  readonly sut: SystemUnderTest;
  /** The leader first: one client talks to the leader, more are spread over every member. */
  readonly urls: string[];
  readonly result: {
    label: string;
    startedAt: string;
    loadavg: readonly number[];
    load: Partial<Record<LoadRow, LoadResult & { loadavg1: number }>>;
    kill?: FailoverResult;
    term?: FailoverResult;
    catchUp?: CatchUpResult;
  };
}

export async function runSuites(systems: readonly SystemUnderTest[], o: SuiteOptions): Promise<SuiteResult[]> {
  const running: Running[] = [];
  try {
    for (const sut of systems) {
      o.log(`${sut.cluster.label}: starting a 3-member cluster`);
      const startedAt = new Date().toISOString();
      await sut.cluster.start();
      const leader = await sut.cluster.waitHealthy(30_000);
      const urls = [...sut.cluster.members].sort((a, b) => Number(b.name === leader) - Number(a.name === leader)).map((m) => m.url);
      await sut.workload.prepare(urls[0]!);
      running.push({ sut, urls, result: { label: sut.cluster.label, startedAt, loadavg: loadavg(), load: {} } });
    }
    if (o.phases.has('load')) await loadRows(running, o);
    if (o.phases.has('failover')) {
      for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
        const reps = new Map<Running, FailoverRep[]>(running.map((r) => [r, []]));
        for (let rep = 0; rep < o.failoverReps; rep++) {
          for (const r of alternate(running, rep)) {
            const one = await failoverRep(r.sut.cluster, r.sut.workload, { signal });
            reps.get(r)!.push(one);
            o.log(`  ${r.sut.cluster.label.padEnd(12)} ${signal} ${one.killed} (${rep + 1}/${o.failoverReps}): writes unavailable for ${one.windowMs ?? '>15000'} ms, new leader ${one.newLeader}`);
          }
        }
        for (const r of running) {
          const list = reps.get(r)!;
          const res: FailoverResult = { signal, reps: list, medianMs: median(list.map((x) => x.windowMs ?? 15_000)) };
          if (signal === 'SIGKILL') r.result.kill = res;
          else r.result.term = res;
        }
      }
    }
    if (o.phases.has('catch-up')) {
      for (const r of running) {
        o.log(`  ${r.sut.cluster.label}: catch-up of a restarted member`);
        r.result.catchUp = await measureCatchUp(r.sut.cluster, r.sut.workload, o.catchUpWrites, o.log);
      }
    }
    return running.map((r) => r.result);
  } finally {
    for (const sut of systems) await sut.cluster.stop().catch(() => undefined);
  }
}

async function loadRows(running: readonly Running[], o: SuiteOptions): Promise<void> {
  if (o.warmupSeconds > 0) {
    for (const r of running) await runLoad({ urls: r.urls, connections: 64, seconds: o.warmupSeconds, next: () => r.sut.workload.create() });
  }
  for (let i = 0; i < ROWS.length; i++) {
    const row = ROWS[i]!;
    for (const r of alternate(running, i)) {
      const seconds = row.read ? o.readSeconds : o.writeSeconds;
      const loadavg1 = loadavg()[0]!;
      const res = await runLoad({ urls: r.urls, connections: row.connections, seconds, next: () => row.next(r.sut.workload) });
      r.result.load[row.key] = { ...res, loadavg1 };
      const bad = res.non2xx + res.errors + res.timeouts;
      o.log(
        `  ${r.sut.cluster.label.padEnd(12)} ${row.what.padEnd(26)} c=${String(row.connections).padStart(2)} ${String(res.rps).padStart(6)}/s  p50 ${res.p50} ms  p99 ${res.p99} ms  (load ${loadavg1.toFixed(1)})` +
          (bad ? `  ${bad} failed: ${JSON.stringify(res.statuses)} errors ${res.errors} timeouts ${res.timeouts}` : ''),
      );
    }
  }
}

/** The systems in turn, starting with a different one each time. */
function alternate<T>(list: readonly T[], i: number): T[] {
  const k = i % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}
