// Write unavailability when the leader goes away, one repetition at a time. An
// open-loop writer sends one write every `intervalMs` (each with its own
// timeout) round-robin to the members that survive: healthy cluster → 1 s of
// steady writes → signal the leader (t0) → the first write *sent after t0*
// that succeeds ends the window at its completion → the member is started
// again on its data and every member catches up.
import type { BenchCluster } from './cluster.js';
import { call } from './http.js';
import { sleep } from './processes.js';
import type { Workload } from './workloads.js';

export interface FailoverOptions {
  readonly signal: NodeJS.Signals;
  readonly intervalMs?: number;
  readonly requestTimeoutMs?: number;
  readonly maxWaitMs?: number;
}

export interface FailoverRep {
  readonly killed: string;
  readonly newLeader: string;
  /** t0 → completion of the first successful write sent after t0; null when none within maxWaitMs. */
  readonly windowMs: number | null;
}

interface Sent {
  readonly sent: number;
  done: number;
  ok: boolean;
}

export async function failoverRep(cluster: BenchCluster, workload: Workload, o: FailoverOptions): Promise<FailoverRep> {
  const intervalMs = o.intervalMs ?? 5;
  const timeoutMs = o.requestTimeoutMs ?? 1000;
  const maxWaitMs = o.maxWaitMs ?? 15_000;
  const leader = await cluster.waitHealthy(30_000);
  const targets = cluster.members.filter((m) => m.name !== leader).map((m) => m.url);
  const log: Sent[] = [];
  let writing = true;
  let rr = 0;
  const writer = (async (): Promise<void> => {
    let next = performance.now();
    const hardStop = next + maxWaitMs + 60_000;
    while (writing && performance.now() < hardStop) {
      const url = targets[rr++ % targets.length]!;
      const spec = workload.create();
      const rec: Sent = { sent: performance.now(), done: 0, ok: false };
      if (log.length < 100_000) log.push(rec);
      call(`${url}${spec.path}`, spec.method, spec.body, timeoutMs, spec.headers).then(
        (a) => {
          rec.done = performance.now();
          rec.ok = a.status >= 200 && a.status < 300;
        },
        () => {
          rec.done = performance.now();
        },
      );
      next += intervalMs;
      const d = next - performance.now();
      if (d > 0) await sleep(d);
      else next = performance.now();
    }
  })();
  try {
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
    writing = false;
    await writer;
    await cluster.waitExit(leader, 15_000);
    const newLeader = await cluster.waitHealthy(30_000).catch(() => '?');
    cluster.restart(leader);
    await waitAllCaughtUp(cluster, 60_000);
    return { killed: leader, newLeader, windowMs: t1 === null ? null : Math.round(t1 - t0) };
  } finally {
    writing = false;
    await writer;
  }
}

/** Every member runs, agrees on the leader and has applied what the leader had committed. */
export async function waitAllCaughtUp(cluster: BenchCluster, timeoutMs: number): Promise<void> {
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
  throw new Error(`${cluster.label}: members did not catch up with index ${target} within ${timeoutMs} ms`);
}
