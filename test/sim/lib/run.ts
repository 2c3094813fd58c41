// Runs one seed end to end and reports: the safety invariants are checked
// while it runs, then the liveness checks of the quiesce window and the
// client-history checks. A failure carries the seed, the invariant, the
// replay command and the artifact directory.
import { checkHistory, type HistoryReport } from './history-check.js';
import { checkLiveness } from './liveness.js';
import { Violation } from './invariants.js';
import { replayCommand, writeArtifacts, type FailureInfo } from './artifacts.js';
import { TICK, type SimOptions, type SimParams } from './params.js';
import { Simulation, type RunStats } from './simulation.js';

export const DEFAULT_ARTIFACTS = '.test-artifacts/sim';

export interface SimResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly failure: FailureInfo | null;
  readonly traceHash: string;
  readonly stats: RunStats;
  readonly params: SimParams;
  readonly history: Omit<HistoryReport, 'check'> | null;
  readonly elapsedMs: number;
  readonly replay: string;
  readonly artifacts: string | null;
}

export async function runSimulation(options: SimOptions): Promise<SimResult> {
  const started = performance.now();
  const sim = new Simulation(options);
  let failure: FailureInfo | null = null;
  let error: unknown = null;
  let history: HistoryReport | null = null;
  try {
    await sim.run();
    checkLiveness(sim);
    if (options.skipLinearizability !== true) history = checkHistory(sim, 20_000);
  } catch (err) {
    if (!(err instanceof Violation)) throw err;
    error = err;
    failure = { invariant: err.invariant, detail: err.detail, tick: Math.floor(sim.queue.now / TICK) };
  }
  const traceHash = sim.trace.hash();
  const root = options.artifactsDir === undefined ? DEFAULT_ARTIFACTS : options.artifactsDir;
  const write = failure !== null || options.alwaysWriteArtifacts === true;
  const artifacts = write && root !== null ? writeArtifacts(root, sim, failure, traceHash, error) : null;
  let historySummary: Omit<HistoryReport, 'check'> | null = null;
  if (history !== null) {
    const { check: _check, ...rest } = history;
    historySummary = rest;
  }
  return {
    seed: options.seed,
    ok: failure === null,
    failure,
    traceHash,
    stats: sim.stats(),
    params: sim.params,
    history: historySummary,
    elapsedMs: performance.now() - started,
    replay: replayCommand(sim),
    artifacts,
  };
}

/** One line for a failed run: what broke, how to replay it, where the trace is. */
export function describeResult(r: SimResult): string {
  if (r.failure === null) return `seed ${r.seed}: ok`;
  return `seed ${r.seed}: ${r.failure.invariant} at tick ${r.failure.tick}: ${r.failure.detail}\n  replay: ${r.replay}${r.artifacts !== null ? `\n  artifacts: ${r.artifacts}` : ''}`;
}
