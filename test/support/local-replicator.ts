// A single-node stand-in for the consensus runtime: every proposal is applied at
// once, in call order, to the given state machine. It can be switched to
// behave as a node that sees no leader.
import { NoLeaderError, type Replicator } from '../../src/consensus/runtime/replicator.js';
import type { StateMachine } from '../../src/consensus/runtime/state-machine.js';

export class LocalReplicator<Result> implements Replicator<Result> {
  private lastIndex = 0;
  private outage: { retryAfterSeconds: number } | undefined;
  /** Commands proposed while a leader was available (i.e. applied). */
  readonly applied: Uint8Array[] = [];
  readBarriers = 0;

  constructor(private readonly stateMachine: StateMachine<Result>) {}

  /** From now on propose and readBarrier reject with NoLeaderError. */
  loseLeader(retryAfterSeconds = 1): void {
    this.outage = { retryAfterSeconds };
  }

  regainLeader(): void {
    this.outage = undefined;
  }

  async propose(command: Uint8Array, _timeoutMs: number): Promise<Result> {
    this.check();
    this.applied.push(command);
    return this.stateMachine.apply(++this.lastIndex, command);
  }

  async readBarrier(_timeoutMs: number): Promise<void> {
    this.check();
    this.readBarriers++;
  }

  private check(): void {
    if (this.outage !== undefined) throw new NoLeaderError('no leader is known', this.outage.retryAfterSeconds);
  }
}
