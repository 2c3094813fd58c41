// What a failed run leaves behind in .test-artifacts/sim/<seed>/: the event
// trace as NDJSON, the client history, the parameters, a human summary with
// the replay command, and the checker's report when the history was at fault.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeFailureArtifact } from '../../support/linearizability/artifact.js';
import { HistoryViolation } from './history-check.js';
import { TICK } from './params.js';
import type { Simulation } from './simulation.js';

export interface FailureInfo {
  readonly invariant: string;
  readonly detail: string;
  readonly tick: number;
}

export function replayCommand(sim: Simulation): string {
  const o = sim.options;
  const canaries = o.canaries !== undefined && o.canaries.size > 0 ? ` --canary ${[...o.canaries].join(',')}` : '';
  return `npm run test:sim -- --seed ${o.seed} --steps ${o.ticks}${canaries}`;
}

export function summary(sim: Simulation, failure: FailureInfo | null, hash: string): string {
  const lines: string[] = [];
  lines.push(`seed ${sim.options.seed}, ${sim.options.ticks} ticks: ${failure === null ? 'ok' : `FAILED ${failure.invariant} at tick ${failure.tick}`}`);
  if (failure !== null) lines.push('', failure.detail, '');
  lines.push(`replay: ${replayCommand(sim)}`);
  if (sim.options.canaries !== undefined && sim.options.canaries.size > 0) lines.push(`canaries: ${[...sim.options.canaries].join(', ')}`);
  lines.push(`trace hash ${hash}`, `parameters ${JSON.stringify(sim.params)}`, `stats ${JSON.stringify(sim.stats())}`, '', 'nodes:');
  for (const h of sim.hosts.values()) {
    const p = h.proc;
    if (p === null) {
      lines.push(`  ${h.id}: down${h.retired ? ' (retired)' : ''}, crashes ${h.crashes}`);
      continue;
    }
    const st = p.core.status();
    const members = st.membership.members.map((m) => `${m.id}:${m.role}`).join(' ');
    lines.push(
      `  ${h.id} (${h.identity.incarnation}): ${st.role} term ${st.term} leader ${st.leader || '-'} commit ${st.commit} applied ${p.applied} ` +
        `log ${st.firstIndex}..${st.lastIndex} snapshot ${p.lastSnapshot?.index ?? 0} crashes ${h.crashes} members [${members}]`,
    );
  }
  lines.push('', 'leaders by term:');
  const terms = [...sim.invariants.leaders.entries()].sort((a, b) => a[0] - b[0]);
  lines.push(`  ${terms.map(([t, id]) => `${t}:${id}`).join(' ')}`);
  if (sim.operator.actions.length > 0) lines.push('', 'operator:', ...sim.operator.actions.map((a) => `  ${a}`));
  const trace = sim.trace.all();
  if (trace.length > 0) {
    lines.push('', 'last events:');
    for (const l of trace.slice(-60)) lines.push(`  ${String(Math.floor(l.t / TICK)).padStart(5)}.${String(l.t % TICK).padStart(2, '0')} ${l.e}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Writes the artifacts; returns the directory. */
export function writeArtifacts(root: string, sim: Simulation, failure: FailureInfo | null, hash: string, error: unknown): string {
  const dir = path.join(root, String(sim.options.seed));
  mkdirSync(dir, { recursive: true });
  const ndjson = sim.trace
    .all()
    .map((l) => JSON.stringify(l))
    .join('\n');
  writeFileSync(path.join(dir, 'trace.ndjson'), `${ndjson}\n`);
  writeFileSync(path.join(dir, 'summary.txt'), summary(sim, failure, hash));
  writeFileSync(path.join(dir, 'params.json'), `${JSON.stringify({ seed: sim.options.seed, ticks: sim.options.ticks, params: sim.params }, null, 1)}\n`);
  const history = sim.workload.requests.map((r) => JSON.stringify(r, (_k, v: unknown) => (v === Infinity ? '∞' : v))).join('\n');
  writeFileSync(path.join(dir, 'history.ndjson'), `${history}\n`);
  if (error instanceof HistoryViolation) writeFailureArtifact(dir, 'linearizability', error.check);
  return dir;
}
