// What a feature module (the domain) needs from consensus: propose a command and
// get the state machine's answer, or wait until a linearizable read is safe.

export interface Replicator<Result> {
  /**
   * Proposes `command` (from any node: a follower forwards it to the leader) and
   * resolves with the state machine's result once the entry is committed and
   * applied on this node. Rejects with NoLeaderError when no leader/quorum
   * answered within `timeoutMs`.
   */
  propose(command: Uint8Array, timeoutMs: number): Promise<Result>;
  /**
   * Resolves once this node's applied index has reached a read index confirmed by
   * the leader with a quorum (ReadIndex), so local state may be read linearizably.
   * Rejects with NoLeaderError after `timeoutMs`.
   */
  readBarrier(timeoutMs: number): Promise<void>;
}

/** No leader or no quorum within the deadline: the API answers 503 with Retry-After. */
export class NoLeaderError extends Error {
  override readonly name = 'NoLeaderError';
  constructor(
    message: string,
    /** Seconds the client should wait before retrying. */
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}
