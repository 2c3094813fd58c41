import type { Replicator } from '../consensus/runtime/replicator.js';
import type { CommandResult } from './command-result.js';
import type { PrintFarmStateMachine } from './print-farm.state-machine.js';

export const PRINT_FARM_OPTIONS = Symbol('PRINT_FARM_OPTIONS');

/** What the application root supplies: the consensus runtime applies committed entries to `stateMachine`. */
export interface DomainOptions {
  readonly stateMachine: PrintFarmStateMachine;
  readonly replicator: Replicator<CommandResult>;
  /** Deadline of one request's propose or read barrier (api.md §5: 5 s by default). */
  readonly requestTimeoutMs: number;
}
