// The state machine's own mutable records; never handed out (views.ts copies).
import type { FilamentType, JobStatus } from './field-rules.js';

interface Positioned {
  /**
   * Scratch slot of the snapshot encoder: the record's row in the snapshot being
   * written, so idempotency outcomes can refer to rows without a hash lookup.
   * Not part of the state; 0 until a snapshot is taken.
   */
  position: number;
}

export interface PrinterRecord extends Positioned {
  readonly id: string;
  readonly company: string;
  readonly model: string;
}

export interface FilamentRecord extends Positioned {
  readonly id: string;
  readonly type: FilamentType;
  readonly color: string;
  readonly totalWeight: number;
  /** Remaining weight when created: the creation's answer, and the base of invariant I2. */
  readonly initialRemainingWeight: number;
  remainingWeight: number;
  /** Σ weight of this filament's Queued and Running jobs, kept incrementally (never stored). */
  reservedWeight: number;
}

export interface JobRecord extends Positioned {
  readonly id: string;
  readonly printerId: string;
  readonly filamentId: string;
  readonly filepath: string;
  readonly weight: number;
  status: JobStatus;
  /** Milliseconds since the epoch; commands carry canonical toISOString() times, so this round-trips. */
  readonly createdAt: number;
  updatedAt: number;
}
