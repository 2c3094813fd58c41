// Write unavailability when the leader goes away. An open-loop writer sends one
// write every `intervalMs` (each with its own timeout) round-robin to the
// members that survive. Per repetition: healthy cluster → 1 s of steady writes
// → signal the leader (t0) → the first write *sent after t0* that succeeds
// ends the window at its completion → the member is started again on its data.
import type { BenchCluster } from './cluster.js';
import { memberUrl } from './cluster.js';
import { call } from './http.js';
import { sleep } from './processes.js';
import { median } from './stats.js';
import type { Workload } from './workloads.js';

export interface FailoverOptions {
  readonly signal: NodeJS.Signals;
  readonly reps: number;
  readonly intervalMs?: number;
  readonly requestTimeoutMs?: number;
  readonly maxWaitMs?: number;
  readonly log: (line: string) => void;
}

export interface FailoverResult {
  readonly signal: NodeJS.Signals;
  /** kill → completion of the first successful write sent after the kill, per repetition (null: none within maxWaitMs). */
  readonly windowsMs: readonly (number | null)[];
  readonly medianMs: number | null;
}

interface Sent {
  readonly sent: number;
  done: number;
  ok: boolean;
}

export async function measureFailover(cluster: BenchCluster, workload: Workload, o: FailoverOptions): Promise<FailoverResult> {
  const intervalMs = o.intervalMs ?? 5;
  const timeoutMs = o.requestTimeoutMs ?? 1000;
  const maxWaitMs = o.maxWaitMs ?? 15_000;
  let targets: string[] = [];
  let rr = 0;
  let writing = true;
  const log: Sent[] = [];

  const writeOnce = (): void => {
    if (targets.length === 0) return;
    const url = targets[rr++ % targets.length]!;
    const spec = workload.create();
    const rec: Sent = { sent: performance.now(), done: 0, ok: false };
    if (log.length < 200_000) log.push(rec);
    call(`${url}${spec.path}`, spec.method, spec.body, timeoutMs, spec.headers).then(
      (a) => {
        rec.done = performance.now();
        rec.ok = a.status >= 200 && a.status < 300;
      },
      () => {
        rec.done = performance.now();
      },
    );
  };

  const writer = (async (): Promise<void> => {
    let next = performance.now();
    const hardStop = next + o.reps * (maxWaitMs + 40_000);
    while (writing && performance.now() < hardStop) {
      writeOnce();
      next += intervalMs;
      const d = next - performance.now();
      if (d > 0) await sleep(d);
      else next = performance.now();
    }
  })();

  const windows: (number | null)[] = [];
  try {
    for (let rep = 1; rep <= o.reps; rep++) {
      const leader = await cluster.waitHealthy(30_000);
      targets = cluster.members.filter((m) => m.name !== leader).map((m) => m.url);
      await sleep(1000);
      const t0 = performance.now();
      cluster.signal(leader, o.signal);
      let t1: number | null = null;
      while (performance.now() - t0 < maxWaitMs) {
        let best = Infinity;
        for (const r of log) if (r.ok && r.sent >= t0 && r.done < best) best = r.done;
        if (best !== Infinity) {
          t1 = best;
          break;
        }
        await sleep(5);
      }
      const windowMs = t1 === null ? null : Math.round(t1 - t0);
      windows.push(windowMs);
      await cluster.waitExit(leader, 15_000);
      const newLeader = await cluster.waitHealthy(30_000).catch(() => '?');
      o.log(`  ${o.signal} ${leader} (rep ${rep}/${o.reps}): writes unavailable for ${windowMs ?? `>${maxWaitMs}`} ms, new leader ${newLeader}`);
      log.length = 0;
      cluster.restart(leader);
      await waitAllCaughtUp(cluster, 60_000);
    }
  } finally {
    writing = false;
    targets = [];
    await writer;
  }
  return { signal: o.signal, windowsMs: windows, medianMs: median(windows) };
}

/** Every member runs, agrees on the leader and has applied what the leader had committed. */
async function waitAllCaughtUp(cluster: BenchCluster, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const leader = await cluster.waitHealthy(timeoutMs);
  const target = (await cluster.progress(leader))?.commit ?? 0;
  while (performance.now() < deadline) {
    const all = await Promise.all(cluster.members.map((m) => cluster.progress(m.name)));
    if (all.every((p) => p !== undefined && p.applied >= target)) {
      await cluster.waitHealthy(Math.max(1, deadline - performance.now()));
      return;
    }
    await sleep(20);
  }
  throw new Error(`members did not catch up with index ${target} within ${timeoutMs} ms (${memberUrl(cluster, leader)})`);
}
