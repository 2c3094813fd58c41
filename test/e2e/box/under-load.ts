// Runs a scenario step while the print-farm clients write and read through the
// Ingress, then checks the recorded history.
import { FarmWorkload, type CheckReport, type WorkloadStats } from './workload/farm-workload.js';
import type { Raft3DBox } from './raft3d-box.js';

export interface LoadResult {
  readonly stats: WorkloadStats;
  readonly report: CheckReport;
  readonly ms: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function underLoad(r3d: Raft3DBox, prefix: string, step: () => Promise<void>, opts: { clients?: number; settleMs?: number } = {}): Promise<LoadResult> {
  const started = Date.now();
  const w = new FarmWorkload({ baseUrl: r3d.box.ingress.url, clients: opts.clients ?? 3, filaments: 3, prefix, thinkMs: 100 });
  await w.setup();
  w.start();
  try {
    await sleep(1500);
    await step();
    await sleep(opts.settleMs ?? 2000);
  } finally {
    await w.stop();
  }
  const report = await w.check();
  return { stats: w.stats(), report, ms: Date.now() - started };
}

/** A one-line summary for failure messages and logs. */
export function summary(r: LoadResult): string {
  const s = r.stats;
  return `${s.attempts} requests (${s.ok} answered, ${s.unavailable} unavailable, ${s.unknown} in doubt), ${s.createdJobs} jobs acknowledged, longest write gap ${s.longestWriteGapMs} ms, ${r.report.operations} operations checked (${r.report.unknownWrites} unknown writes) in ${Math.round(r.ms / 1000)} s: ${r.report.result.result}`;
}
