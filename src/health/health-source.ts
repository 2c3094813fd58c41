// What the probes read from the consensus runtime (RaftNode satisfies it).
import type { CoreStatus, NodeId } from '../consensus/core/types.js';

export interface HealthSource {
  readonly id: NodeId;
  status(): CoreStatus;
  readonly appliedIndex: number;
  readonly isStopped: boolean;
  /** A planned stop has begun (leadership handed off, requests draining). */
  readonly isDraining?: boolean;
  /** '' while a joining node has not yet learned its cluster. */
  readonly clusterId?: string;
  /** Milliseconds since the current leader was last heard from (0 on the leader, Infinity without one). */
  leaderContactAgeMs?(): number;
  /** How long a follower may go without hearing its leader and still count as following it. */
  readonly leaderContactTimeoutMs?: number;
}

export interface HealthOptions {
  /** Readiness tolerates the applied index trailing the known commit index by this many entries. */
  readonly maxAppliedLag: number;
  /** Liveness fails only when the event loop stalled longer than this (kubernetes.md §7). */
  readonly maxEventLoopDelaySeconds: number;
  /** Longest event-loop stall since the previous call, in seconds. Defaults to a perf_hooks monitor. */
  readonly eventLoopDelay?: () => number;
}

export const DEFAULT_HEALTH_OPTIONS: HealthOptions = { maxAppliedLag: 100, maxEventLoopDelaySeconds: 5 };

export const HEALTH_SOURCE = Symbol('HealthSource');
export const HEALTH_OPTIONS = Symbol('HealthOptions');
