// Builders of encoded commands for state machine tests.
import { encodeCommand, type Command, type Idempotency } from '../../../src/domain/commands.js';
import type { FilamentType, JobStatus } from '../../../src/domain/field-rules.js';

export const T0 = Date.parse('2026-01-01T00:00:00.000Z');

export function at(offsetMs = 0): string {
  return new Date(T0 + offsetMs).toISOString();
}

interface Meta {
  readonly at?: string;
  readonly idempotency?: Idempotency;
}

function meta(m: Meta): { at: string; idempotency?: Idempotency } {
  return m.idempotency === undefined ? { at: m.at ?? at() } : { at: m.at ?? at(), idempotency: m.idempotency };
}

export function printer(id: string, m: Meta = {}): Uint8Array {
  return encode({ kind: 'createPrinter', ...meta(m), id, company: 'Creality', model: 'Ender 3' });
}

export function filament(
  id: string,
  totalWeight: number,
  remainingWeight = totalWeight,
  m: Meta = {},
  type: FilamentType = 'PLA',
): Uint8Array {
  return encode({ kind: 'createFilament', ...meta(m), id, type, color: 'red', totalWeight, remainingWeight });
}

export function job(id: string, printerId: string, filamentId: string, weight: number, m: Meta = {}): Uint8Array {
  return encode({ kind: 'createJob', ...meta(m), id, printerId, filamentId, filepath: `prints/${id}.gcode`, weight });
}

export function status(jobId: string, to: JobStatus, m: Meta = {}): Uint8Array {
  return encode({ kind: 'setJobStatus', ...meta(m), jobId, status: to });
}

function encode(command: Command): Uint8Array {
  return encodeCommand(command);
}
