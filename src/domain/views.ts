// The API shapes of api.md §1 (snake_case), built fresh for every answer so that
// callers can never reach the state machine's records.
import type { FilamentType, JobStatus } from './field-rules.js';
import type { FilamentRecord, JobRecord, PrinterRecord } from './records.js';

export interface PrinterView {
  id: string;
  company: string;
  model: string;
}

export interface FilamentView {
  id: string;
  type: FilamentType;
  color: string;
  total_weight_in_grams: number;
  remaining_weight_in_grams: number;
}

export interface PrintJobView {
  id: string;
  printer_id: string;
  filament_id: string;
  filepath: string;
  print_weight_in_grams: number;
  status: JobStatus;
  created_at: string;
  updated_at: string;
}

export function printerView(p: PrinterRecord): PrinterView {
  return { id: p.id, company: p.company, model: p.model };
}

export function filamentView(f: FilamentRecord, remainingWeight = f.remainingWeight): FilamentView {
  return {
    id: f.id,
    type: f.type,
    color: f.color,
    total_weight_in_grams: f.totalWeight,
    remaining_weight_in_grams: remainingWeight,
  };
}

/** `as` overrides the status and update time (to answer as of an earlier transition). */
export function printJobView(j: JobRecord, as?: { status: JobStatus; updatedAt: number }): PrintJobView {
  return {
    id: j.id,
    printer_id: j.printerId,
    filament_id: j.filamentId,
    filepath: j.filepath,
    print_weight_in_grams: j.weight,
    status: as?.status ?? j.status,
    created_at: new Date(j.createdAt).toISOString(),
    updated_at: new Date(as?.updatedAt ?? j.updatedAt).toISOString(),
  };
}
