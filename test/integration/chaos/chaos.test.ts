// Chaos test (raft.md §4.2, §5, §6.3 T4): three real Raft3D processes whose
// peer links all pass through fault proxies. Concurrent clients create
// filaments and jobs, move jobs through their statuses and read, through any
// node, retrying with an Idempotency-Key; meanwhile a seeded nemesis
// partitions, drops, delays, pauses (SIGSTOP), kills -9 and restarts, and forces snapshots
// (one of them so that a restarted follower needs InstallSnapshot). At the end
// the client history must be linearizable (C1), retries must have replayed the
// first outcome (C3), and every replica must hold byte-identical state
// satisfying I1–I4 (C4).
//
// CHAOS_SEED replays a schedule's choices (timing still varies);
// CHAOS_DURATION_MS sets the length of the faulty phase (default 60 s).
// A failure writes everything to .test-artifacts/chaos/<timestamp>/.
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { checkOperations, describeFailure, type CheckResult } from '../../support/linearizability/checker.js';
import { printFarmModel } from '../../support/linearizability/models/print-farm.js';
import { randomSeed } from '../../support/fault-random.js';
import { eventually, sleep } from '../../support/process-cluster.js';
import { newArtifactDir, writeChaosArtifacts } from '../../support/chaos/artifacts.js';
import { ChaosCluster } from '../../support/chaos/chaos-cluster.js';
import { chaosHistory, observedStatuses, type ChaosHistory } from '../../support/chaos/chaos-history.js';
import { readFinalState, type FinalState } from '../../support/chaos/final-state.js';
import { domainViolations, statusRegressions } from '../../support/chaos/invariants.js';
import { Nemesis } from '../../support/chaos/nemesis.js';
import { latencySummary, outcomeCounts, unexpectedAnswers } from '../../support/chaos/outcomes.js';
import { Workload } from '../../support/chaos/workload.js';

const SEED = envInt('CHAOS_SEED') ?? randomSeed();
const DURATION_MS = envInt('CHAOS_DURATION_MS') ?? 60_000;
const IDS = ['node1', 'node2', 'node3'] as const;
const PRINTERS = ['p1', 'p2', 'p3'];
const SNAPSHOT_THRESHOLD = 150;
const SNAPSHOT_TRAILING = 30;

function envInt(name: string): number | undefined {
  const v = process.env[name];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

function countInLog(path: string, message: string): number {
  try {
    return readFileSync(path, 'utf8').split(message).length - 1;
  } catch {
    return 0;
  }
}

describe('chaos: 3 real processes behind fault proxies', () => {
  test(
    'the client history is linearizable and all replicas end byte-identical with I1–I4',
    async () => {
      const summary: string[] = [`seed ${SEED}, faulty phase ${DURATION_MS} ms`];
      const problems: string[] = [];
      const finalStates = new Map<string, string>();
      let cluster: ChaosCluster | undefined;
      let workload: Workload | undefined;
      let nemesis: Nemesis | undefined;
      let history: ChaosHistory | undefined;
      let check: CheckResult | undefined;
      let passed = false;
      const started = performance.now();
      try {
        cluster = await ChaosCluster.start({
          seed: SEED,
          tickMs: 50,
          electionTicks: 10,
          requestTimeoutMs: 2000,
          snapshotThreshold: SNAPSHOT_THRESHOLD,
          snapshotTrailing: SNAPSHOT_TRAILING,
          extraEnv: { RAFT3D_SNAPSHOT_CHUNK_BYTES: '16384' },
        });
        const c = cluster;
        for (const id of PRINTERS) {
          await eventually(`printer ${id}`, 20_000, async () => {
            const r = await c.processes.request(IDS[0], 'POST', '/api/v1/printers', { id, company: 'Prusa', model: 'MK4' }, { 'Idempotency-Key': `printer-${id}` }, 3000);
            return r.status === 201 ? true : undefined;
          });
        }
        workload = new Workload({
          nodes: IDS.map((id) => ({ id, host: c.http(id) })),
          printers: PRINTERS,
          seed: SEED ^ 0x5eed,
          clients: 8,
          slots: 6,
          opsPerFilament: 120,
          maxJobsPerFilament: 24,
          // Around the server's 2 s deadline: some attempts give up while their command can still
          // commit, so retries with the same key race the original (C3); others get the 503.
          clientTimeoutMs: [1200, 2800],
          maxWriteAttempts: 6,
          maxReadAttempts: 2,
          thinkMs: [5, 40],
        });
        await workload.createInitialFilaments();
        nemesis = new Nemesis(c, {
          seed: SEED ^ 0xfa17,
          holdMs: [1500, 3500],
          calmMs: [700, 1800],
          entriesBehind: SNAPSHOT_TRAILING * 3,
          first: ['partition-leader', 'install-snapshot', 'kill-leader'],
        });
        workload.start();
        await nemesis.run(performance.now() + DURATION_MS);

        // Quiesce: no faults, every node up, clients finish what they started.
        await c.processes.waitForLeader(30_000, [...IDS]);
        await workload.stop();
        await c.processes.waitConverged([...IDS], 30_000);
        await workload.finalReads();

        // I3: once quiescent, byte-identical state everywhere (bounded retries while the last entries apply).
        let finals: FinalState[] = [];
        for (let round = 0; round < 5; round++) {
          await c.processes.waitConverged([...IDS], 30_000);
          finals = await Promise.all(IDS.map((id) => readFinalState(c.processes, id)));
          if (finals.every((f) => f.raw === finals[0]!.raw)) break;
          await sleep(500);
        }
        IDS.forEach((id, i) => finalStates.set(id, finals[i]!.raw));
        if (!finals.every((f) => f.raw === finals[0]!.raw)) problems.push('I3: the replicas hold different states after quiescing');
        const final = finals[0]!;

        history = chaosHistory(workload.requests, final);
        problems.push(...domainViolations(final, workload.filaments));
        problems.push(...statusRegressions(final, observedStatuses(history.operations)));
        for (const conflict of history.conflicts) {
          problems.push(`C3: retries of ${conflict.idempotencyKey} answered ${JSON.stringify(conflict.first)} and ${JSON.stringify(conflict.other)}`);
        }
        problems.push(...unexpectedAnswers(workload.requests));
        for (const e of c.unexpectedExits) problems.push(`${e.id} exited by itself at ${e.at.toFixed(0)} ms (code ${e.code}, signal ${e.signal})`);
        if (c.mesh.unattributedConnections !== 0) problems.push(`${c.mesh.unattributedConnections} peer connections reached the mesh from an unexpected IP`);

        check = checkOperations(printFarmModel, history.operations, { timeoutMs: 60_000 });
        if (check.result !== 'ok') problems.push(`C1: linearizability check says ${check.result}`);

        const logs = IDS.map((id) => c.processes.node(id).logPath);
        const installs = logs.reduce((n, p) => n + countInLog(p, 'installed a snapshot from the leader'), 0);
        const snapshots = logs.reduce((n, p) => n + countInLog(p, '"snapshot taken"'), 0);
        if (installs === 0) problems.push('no follower installed a snapshot from the leader');

        const ops = history.operations;
        summary.push(
          `${workload.requests.length} attempts, ${ops.length} checked operations in ${check.partitions.length} filaments (${history.dropped} dropped as failed or unanswered)`,
          `unknown writes: ${history.shrink.dropped} proven without effect, ${history.shrink.resolved} proven applied, ${history.shrink.unknown} left unknown`,
          `answers: ${outcomeCounts(workload.requests)}`,
          `latency: ${latencySummary(workload.requests)}`,
          `nemesis: ${nemesis.episodes.join(', ')}`,
          `snapshots taken ${snapshots}, installed from the leader ${installs}; final state ${final.filaments.length} filaments, ${final.jobs.length} jobs`,
          `checker: ${check.result} in ${Math.round(check.elapsedMs)} ms; ${describeFailure(check).split('\n')[0]}`,
          `total ${Math.round((performance.now() - started) / 1000)} s`,
        );
        process.stdout.write(`chaos summary\n  ${summary.join('\n  ')}\n`);
        if (check.result === 'illegal') problems.push(describeFailure(check));
        expect(problems).toEqual([]);
        passed = true;
      } finally {
        let teardownError: unknown;
        try {
          await workload?.stop();
          nemesis?.stop();
          await cluster?.stop();
        } catch (error) {
          teardownError = error;
          problems.push(`teardown: ${String(error)}`);
        }
        const keep = !passed || teardownError !== undefined;
        if (keep) {
          const dir = writeChaosArtifacts(newArtifactDir(), {
            seed: SEED,
            summary: [...summary, ...problems],
            requests: workload?.requests ?? [],
            nemesis: nemesis?.events ?? [],
            ...(history === undefined ? {} : { operations: history.operations }),
            ...(check === undefined ? {} : { check }),
            finalStates,
            logs: new Map(cluster === undefined ? [] : IDS.map((id) => [id, cluster!.processes.node(id).logPath])),
          });
          process.stderr.write(`chaos run failed (seed ${SEED}): artifacts in ${dir}\n`);
        }
        cluster?.processes.cleanup(keep);
        // Only when the run itself passed: otherwise its own failure is the one to report.
        if (passed && teardownError !== undefined) throw teardownError;
      }
    },
    DURATION_MS + 240_000,
  );
});
