// One full pass over one system: the load rows, leader failover (kill -9 and
// SIGTERM) and the catch-up of a restarted member.
import { loadavg as osLoadavg } from 'node:os';
import { measureCatchUp, type CatchUpResult } from './catch-up.js';
import type { BenchCluster } from './cluster.js';
import { measureFailover, type FailoverResult } from './failover.js';
import { runLoad, type LoadResult } from './load.js';
import type { Phase } from './options.js';
import type { Workload } from './workloads.js';

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

export interface SuiteResult {
  readonly label: string;
  readonly startedAt: string;
  readonly loadavg: readonly number[];
  readonly load: Partial<Record<LoadRow, LoadResult>>;
  readonly kill?: FailoverResult;
  readonly term?: FailoverResult;
  readonly catchUp?: CatchUpResult;
}

export async function runSuite(cluster: BenchCluster, workload: Workload, o: SuiteOptions): Promise<SuiteResult> {
  const startedAt = new Date().toISOString();
  const loadavg = osLoadavg();
  o.log(`${cluster.label}: starting a 3-member cluster`);
  await cluster.start();
  try {
    const leader = await cluster.waitHealthy(30_000);
    // The leader first: one client talks to the leader, more are spread over every member.
    const urls = [...cluster.members].sort((a, b) => Number(b.name === leader) - Number(a.name === leader)).map((m) => m.url);
    await workload.prepare(urls[0]!);
    const load: Partial<Record<LoadRow, LoadResult>> = {};
    const row = async (name: LoadRow, what: string, connections: number, seconds: number, next: () => ReturnType<Workload['create']>): Promise<void> => {
      const r = await runLoad({ urls, connections, seconds, next });
      load[name] = r;
      const bad = r.non2xx + r.errors + r.timeouts;
      o.log(`  ${what.padEnd(26)} c=${String(connections).padStart(2)} ${String(r.rps).padStart(6)}/s  p50 ${r.p50} ms  p99 ${r.p99} ms${bad ? `  (${bad} failed: ${JSON.stringify(r.statuses)} errors ${r.errors} timeouts ${r.timeouts})` : ''}`);
    };
    if (o.phases.has('load')) {
      if (o.warmupSeconds > 0) await runLoad({ urls, connections: 64, seconds: o.warmupSeconds, next: () => workload.create() });
      await row('create1', 'create', 1, o.writeSeconds, () => workload.create());
      await row('create16', 'create', 16, o.writeSeconds, () => workload.create());
      await row('create64', 'create', 64, o.writeSeconds, () => workload.create());
      await row('transition64', 'status transition', 64, o.writeSeconds, () => workload.transition());
      await row('read64', 'read by id, linearizable', 64, o.readSeconds, () => workload.read(false));
      await row('stale64', 'read by id, stale', 64, o.readSeconds, () => workload.read(true));
    }
    const failover = o.phases.has('failover');
    const kill = failover ? await measureFailover(cluster, workload, { signal: 'SIGKILL', reps: o.failoverReps, log: o.log }) : undefined;
    const term = failover ? await measureFailover(cluster, workload, { signal: 'SIGTERM', reps: o.failoverReps, log: o.log }) : undefined;
    const catchUp = o.phases.has('catch-up') ? await measureCatchUp(cluster, workload, o.catchUpWrites, o.log) : undefined;
    return {
      label: cluster.label,
      startedAt,
      loadavg,
      load,
      ...(kill ? { kill } : {}),
      ...(term ? { term } : {}),
      ...(catchUp ? { catchUp } : {}),
    };
  } finally {
    await cluster.stop();
  }
}
