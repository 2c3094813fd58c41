// The replicated state machine contract (hashicorp/raft's FSM).
// apply must be deterministic: no clocks, randomness or environment.

export interface StateMachine<Result> {
  /** Applies one committed command (never a no-op or config entry). */
  apply(index: number, command: Uint8Array): Result;
  /** A consistent copy of the whole state at the last applied index, taken between two applies. */
  snapshot(): Uint8Array;
  /** Replaces the whole state with a snapshot's. */
  restore(data: Uint8Array): void;
}
