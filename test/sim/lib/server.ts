// What a node's HTTP layer does with a simulated client request: a write
// becomes a domain command built the way PrintFarmService builds it (time of
// the receiving node, Idempotency-Key with the fingerprint of the client's
// input) and is proposed; a read waits for the ReadIndex barrier and then
// reads the local state machine. Answers are the status and JSON body the API
// would send.
import { createHash } from 'node:crypto';
import { encodeCommand, type Command } from '../../../src/domain/commands.js';
import type { CommandResult } from '../../../src/domain/command-result.js';
import type { HttpResult } from '../../support/linearizability/history.js';
import type { PrintFarmInput } from '../../support/linearizability/models/print-farm.js';
import type { SimNode } from './node.js';

/** Virtual epoch of the simulated clocks: 2025-01-01T00:00:00Z. */
const EPOCH_MS = Date.UTC(2025, 0, 1);

export function isoAt(localMs: number): string {
  return new Date(EPOCH_MS + localMs).toISOString();
}

function fingerprint(request: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(request)).digest().subarray(0, 16).toString('base64url');
}

export function printerOf(jobId: string): string {
  return jobId.length % 2 === 0 ? 'p1' : 'p2';
}

/** PrintFarmService's command for a write of the model's vocabulary. */
export function buildCommand(input: PrintFarmInput, key: string, at: string): Command {
  switch (input.kind) {
    case 'createFilament': {
      const remaining = input.remaining ?? input.total;
      const request = ['createFilament', input.filamentId, 'PLA', 'black', input.total, remaining];
      return {
        kind: 'createFilament',
        at,
        idempotency: { key, fingerprint: fingerprint(request) },
        id: input.filamentId,
        type: 'PLA',
        color: 'black',
        totalWeight: input.total,
        remainingWeight: remaining,
      };
    }
    case 'createJob': {
      const printerId = printerOf(input.jobId);
      const filepath = `prints/${input.jobId}.gcode`;
      const request = ['createJob', input.jobId, printerId, input.filamentId, filepath, input.weight];
      return {
        kind: 'createJob',
        at,
        idempotency: { key, fingerprint: fingerprint(request) },
        id: input.jobId,
        printerId,
        filamentId: input.filamentId,
        filepath,
        weight: input.weight,
      };
    }
    case 'setStatus':
      return {
        kind: 'setJobStatus',
        at,
        idempotency: { key, fingerprint: fingerprint(['setJobStatus', input.jobId, input.target]) },
        jobId: input.jobId,
        status: input.target,
      };
    default:
      throw new RangeError(`${input.kind} is not a write`);
  }
}

export function printerCommand(id: string, at: string): Uint8Array {
  return encodeCommand({ kind: 'createPrinter', at, id, company: 'Creality', model: 'Ender 3' });
}

export function answerOf(result: CommandResult): HttpResult {
  const body = result.body;
  const code = typeof body === 'object' && body !== null && 'code' in body && typeof body.code === 'string' ? body.code : undefined;
  return code === undefined ? { kind: 'response', status: result.status, body } : { kind: 'response', status: result.status, code, body };
}

export const NO_LEADER: HttpResult = { kind: 'response', status: 503, code: 'NO_LEADER', body: { error: 'no leader', code: 'NO_LEADER' } };

const ALL = { limit: 10_000 };

/** A read served from the local state machine (after the barrier). */
export function readLocal(node: SimNode, input: PrintFarmInput): HttpResult {
  const sm = node.sm;
  const notFound: HttpResult = { kind: 'response', status: 404, code: 'NOT_FOUND', body: { error: 'not found', code: 'NOT_FOUND' } };
  switch (input.kind) {
    case 'getFilament': {
      const f = sm.getFilament(input.filamentId);
      return f === undefined ? notFound : { kind: 'response', status: 200, body: f };
    }
    case 'getJob': {
      const j = sm.getPrintJob(input.jobId);
      return j === undefined ? notFound : { kind: 'response', status: 200, body: j };
    }
    case 'listJobs':
      return { kind: 'response', status: 200, body: sm.listPrintJobs({ ...ALL, filamentId: input.filamentId }).items };
    default:
      throw new RangeError(`${input.kind} is not a read`);
  }
}
