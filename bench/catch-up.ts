// A member is stopped, `writes` writes go to the others, and the member is
// started again on its data: how long until it has applied everything the
// leader had committed, how long until its readiness probe says ready, and its
// resident memory once caught up.
import type { BenchCluster } from './cluster.js';
import { runLoad, type LoadResult } from './load.js';
import { sleep } from './processes.js';
import type { Workload } from './workloads.js';

export interface CatchUpResult {
  readonly member: string;
  readonly writes: LoadResult;
  /** Leader's commit index when the member was started again. */
  readonly targetIndex: number;
  readonly catchUpMs: number | null;
  readonly readyMs: number | null;
  readonly rssBytes: number | null;
  /** Largest RSS among all members at the same moment. */
  readonly maxRssBytes: number | null;
}

export async function measureCatchUp(
  cluster: BenchCluster,
  workload: Workload,
  writes: number,
  log: (line: string) => void,
  maxWaitMs = 120_000,
): Promise<CatchUpResult> {
  const leader = await cluster.waitHealthy(30_000);
  const member = cluster.members.filter((m) => m.name !== leader).at(-1)!.name;
  cluster.signal(member, 'SIGTERM');
  await cluster.waitExit(member, 15_000);
  const urls = cluster.members.filter((m) => m.name !== member).map((m) => m.url);
  log(`  ${member} stopped; ${writes} writes at 64 clients to the other two`);
  const load = await runLoad({ urls, connections: Math.min(64, writes), seconds: 600, amount: writes, next: () => workload.create() });
  const leaderNow = await cluster.waitHealthy(30_000);
  const targetIndex = (await cluster.progress(leaderNow))?.commit ?? 0;

  const started = cluster.restart(member);
  let readyAt: number | null = null;
  let caughtAt: number | null = null;
  while (performance.now() - started < maxWaitMs && (readyAt === null || caughtAt === null)) {
    const [ready, progress] = await Promise.all([
      readyAt === null ? cluster.isReady(member) : Promise.resolve(true),
      caughtAt === null ? cluster.progress(member) : Promise.resolve(undefined),
    ]);
    const now = performance.now();
    if (ready && readyAt === null) readyAt = now;
    if (progress !== undefined && progress.applied >= targetIndex && caughtAt === null) caughtAt = now;
    await sleep(10);
  }
  // Memory is read a second after the catch-up, not in the middle of it.
  await sleep(1000);
  const rss = cluster.rssBytes(member) ?? null;
  const all = cluster.members.map((m) => cluster.rssBytes(m.name)).filter((x): x is number => x !== undefined);
  const catchUpMs = caughtAt === null ? null : Math.round(caughtAt - started);
  const readyMs = readyAt === null ? null : Math.round(readyAt - started);
  log(`  ${member} restarted: caught up with index ${targetIndex} in ${catchUpMs ?? '>' + maxWaitMs} ms, ready in ${readyMs ?? '-'} ms, RSS ${rss === null ? '-' : Math.round(rss / 1048576)} MiB`);
  return { member, writes: load, targetIndex, catchUpMs, readyMs, rssBytes: rss, maxRssBytes: all.length ? Math.max(...all) : null };
}
