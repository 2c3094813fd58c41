// What one seed simulates: cluster shape, core tunables and which fault
// classes are switched on (swarm testing, raft.md §6.2 and §6.4). Every value
// is drawn from the seed, so a seed fully describes its run.
import type { UnsafeTestBug } from '../../../src/consensus/core/types.js';
import { SimRng } from './rng.js';

/** Virtual time units per tick; one unit reads as one millisecond of a 100 ms tick. */
export const TICK = 100;

export interface NetworkParams {
  /** Probability that a message is lost. */
  readonly drop: number;
  /** Probability that a message is delivered twice. */
  readonly duplicate: number;
  /** Probability that a message takes the slow path (2–10 ticks) instead of 0–1 tick. */
  readonly tail: number;
}

export interface SimParams {
  /** Nodes that start as voters. */
  readonly voters: number;
  /** Extra nodes that start empty and may join through membership changes. */
  readonly spares: number;
  readonly membershipChanges: boolean;
  readonly leadershipTransfers: boolean;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly maxInflight: number;
  readonly maxMsgBytes: number;
  readonly maxUncommittedBytes: number;
  readonly learnerCatchUpEntries: number;
  readonly snapshotThreshold: number;
  readonly snapshotTrailing: number;
  readonly chunkBytes: number;
  readonly network: NetworkParams;
  readonly partitions: boolean;
  readonly crashes: boolean;
  readonly pauses: boolean;
  /** Per-node tick rate in [0.9, 1.1] instead of 1. */
  readonly clockDrift: boolean;
  /** Probability that one fsync fails (the node must fail-stop, B34). */
  readonly fsyncFailure: number;
  /** Upper bound of one fsync's latency, in ticks (latency spikes come on top when slowDisk is set). */
  readonly fsyncTicks: number;
  readonly slowDisk: boolean;
  readonly clients: number;
  readonly filaments: number;
  /** Mean ticks a client waits between two operations. */
  readonly thinkTicks: number;
}

/** Runtime findings of this simulator and the fix the simulated runtime carries for each (node.ts, host.ts). */
export type RuntimeFix = 'learn-sender-address' | 'record-reconciled-snapshot';

export interface SimOptions {
  readonly seed: number;
  /** Length of the run in ticks; the last `quiesceTicks` are fault-free. */
  readonly ticks: number;
  readonly quiesceTicks?: number;
  /** Test-only bugs switched on in every core (canaries). */
  readonly canaries?: ReadonlySet<UnsafeTestBug>;
  /** Replaces drawn parameters (canary profiles, regression seeds). */
  readonly overrides?: Partial<SimParams>;
  /** Keep every trace line for the artifact of a failed run (default true). */
  readonly keepTrace?: boolean;
  /** Write the artifacts even when the run passes (a replay). */
  readonly alwaysWriteArtifacts?: boolean;
  /** Where failed runs write their artifacts; null: nowhere. Default `.test-artifacts/sim`. */
  readonly artifactsDir?: string | null;
  /**
   * Mirror raft-node.ts and boot.ts exactly, including the problems this simulator found
   * (see RuntimeFix); by default the simulated runtime carries the proposed fixes.
   */
  readonly faithfulRuntime?: boolean;
  /** Leaves out only these proposed fixes (to reproduce one finding at a time). */
  readonly withoutFixes?: readonly RuntimeFix[];
  /** Check only the consequences of broken rules, not the rules themselves (see InvariantLimits.ruleChecks). */
  readonly consequencesOnly?: boolean;
  /** Skip the linearizability check (used by the determinism test to stay fast). */
  readonly skipLinearizability?: boolean;
}

export function drawParams(seed: number, overrides: Partial<SimParams> = {}): SimParams {
  const r = new SimRng(seed, 'params');
  const half = (): boolean => r.chance(0.5);
  const membershipChanges = r.chance(0.2);
  const voters = membershipChanges ? 3 : half() ? 3 : 5;
  // Pre-vote / check-quorum off in a small fraction of seeds (their liveness checks are relaxed).
  const safetyOff = r.chance(0.1);
  const entriesPerMsg = r.chance(0.3) ? r.between(1, 4) : r.between(5, 64);
  const params: SimParams = {
    voters,
    spares: membershipChanges ? 2 : 0,
    membershipChanges,
    leadershipTransfers: membershipChanges || r.chance(0.3),
    preVote: safetyOff ? half() : true,
    checkQuorum: safetyOff ? half() : true,
    electionTicks: 10,
    heartbeatTicks: 1,
    maxInflight: r.chance(0.3) ? r.between(1, 4) : r.between(5, 64),
    // Commands are about 120–200 bytes, so this allows roughly entriesPerMsg entries per App.
    maxMsgBytes: entriesPerMsg * 160,
    maxUncommittedBytes: r.chance(0.2) ? r.between(2, 8) * 1024 : 1 << 26,
    learnerCatchUpEntries: r.between(0, 64),
    snapshotThreshold: r.between(20, 200),
    snapshotTrailing: r.chance(0.25) ? 0 : r.between(1, 50),
    chunkBytes: r.between(1, 4) * 1024,
    network: half()
      ? { drop: r.float() * 0.05, duplicate: r.float() * 0.02, tail: 0.05 }
      : { drop: 0, duplicate: 0, tail: half() ? 0.05 : 0 },
    partitions: half(),
    crashes: half(),
    pauses: half(),
    clockDrift: half(),
    fsyncFailure: half() ? 0.0005 : 0,
    fsyncTicks: r.between(0, 3),
    slowDisk: half(),
    clients: r.between(5, 8),
    filaments: r.between(3, 8),
    thinkTicks: r.between(6, 14),
  };
  return { ...params, ...overrides };
}
