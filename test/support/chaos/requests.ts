// The HTTP request behind each operation of the print-farm model: one fixed
// request per logical operation, so that every retry sends the same bytes
// (the Idempotency-Key's fingerprint covers the input).
import type { PrintFarmInput } from '../linearizability/models/print-farm.js';

export interface PlannedRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: unknown;
  readonly access: 'read' | 'write';
}

const API = '/api/v1';

export function accessOf(input: PrintFarmInput): 'read' | 'write' {
  return input.kind === 'createFilament' || input.kind === 'createJob' || input.kind === 'setStatus' ? 'write' : 'read';
}

export function requestFor(input: PrintFarmInput, printerId: string, variant: number): PlannedRequest {
  const f = encodeURIComponent(input.filamentId);
  switch (input.kind) {
    case 'createFilament':
      return {
        method: 'POST',
        path: `${API}/filaments`,
        body: { id: input.filamentId, type: 'PLA', color: 'black', total_weight_in_grams: input.total },
        access: 'write',
      };
    case 'getFilament':
      return { method: 'GET', path: `${API}/filaments/${f}${consistencySuffix('?', variant)}`, access: 'read' };
    case 'createJob':
      return {
        method: 'POST',
        path: `${API}/print_jobs`,
        body: {
          id: input.jobId,
          printer_id: printerId,
          filament_id: input.filamentId,
          filepath: `prints/${input.jobId}.gcode`,
          print_weight_in_grams: input.weight,
        },
        access: 'write',
      };
    case 'setStatus':
      return { method: 'POST', path: `${API}/print_jobs/${encodeURIComponent(input.jobId)}/status?status=${input.target}`, access: 'write' };
    case 'getJob':
      return { method: 'GET', path: `${API}/print_jobs/${encodeURIComponent(input.jobId)}${consistencySuffix('?', variant)}`, access: 'read' };
    case 'listJobs':
      return { method: 'GET', path: `${API}/print_jobs?filament_id=${f}&limit=10000${consistencySuffix('&', variant)}`, access: 'read' };
  }
}

/** Linearizable either way: by default, or asked for explicitly. */
function consistencySuffix(sep: '?' | '&', variant: number): string {
  return variant % 2 === 0 ? '' : `${sep}consistency=linearizable`;
}
