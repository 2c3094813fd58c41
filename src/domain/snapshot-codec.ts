// Snapshot bytes of the print farm: MessagePack of flat arrays in id order (the
// idempotency table in age order), so equal states give byte-identical
// snapshots on every replica (I3). Decoding checks every value and the
// cross-references, because a snapshot may come from disk or from a peer.
import { Packr } from 'msgpackr';
import type { CommandResult } from './command-result.js';
import {
  JOB_STATUSES,
  MAX_LENGTH,
  MAX_TOTAL_WEIGHT_GRAMS,
  isBoundedText,
  isFilamentType,
  isPositiveSafeInteger,
  isValidId,
  type JobStatus,
} from './field-rules.js';
import { FarmState } from './farm-state.js';
import type { IdempotencyLimits } from './idempotency-table.js';
import { isValidIdempotencyKey, isValidTimestamp } from './commands.js';
import { SortedIds } from './sorted-ids.js';

const FORMAT_VERSION = 1;
const PRINTER_FIELDS = 3;
const FILAMENT_FIELDS = 5;
const JOB_FIELDS = 8;
const IDEMPOTENCY_FIELDS = 5;

export class SnapshotDecodeError extends Error {
  override readonly name = 'SnapshotDecodeError';
}

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

export function encodeSnapshot(state: FarmState): Uint8Array {
  const printers: unknown[] = [];
  for (const id of state.printerIds.values()) {
    const p = state.printers.get(id)!;
    printers.push(p.id, p.company, p.model);
  }
  const filaments: unknown[] = [];
  for (const id of state.filamentIds.values()) {
    const f = state.filaments.get(id)!;
    filaments.push(f.id, f.type, f.color, f.totalWeight, f.remainingWeight);
  }
  const jobs: unknown[] = [];
  for (const id of state.jobIds.values()) {
    const j = state.jobs.get(id)!;
    jobs.push(j.id, j.printerId, j.filamentId, j.filepath, j.weight, JOB_STATUSES.indexOf(j.status), j.createdAt, j.updatedAt);
  }
  const idempotency: unknown[] = [];
  for (const [key, e] of state.idempotency.list()) {
    idempotency.push(key, e.fingerprint, e.storedAt, e.result.status, e.result.body);
  }
  return packr.pack([FORMAT_VERSION, state.nowMs, printers, filaments, jobs, idempotency]);
}

export function decodeSnapshot(bytes: Uint8Array, limits: IdempotencyLimits): FarmState {
  let raw: unknown;
  try {
    raw = packr.unpack(bytes);
  } catch (err) {
    throw new SnapshotDecodeError(`not MessagePack: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(raw) || raw.length !== 6 || raw[0] !== FORMAT_VERSION) {
    throw new SnapshotDecodeError('not a print farm snapshot');
  }
  const [, nowMs, printers, filaments, jobs, idempotency] = raw as unknown[];
  if (typeof nowMs !== 'number' || !Number.isSafeInteger(nowMs)) throw new SnapshotDecodeError('bad watermark');
  const p = table(printers, PRINTER_FIELDS, 'printers');
  const f = table(filaments, FILAMENT_FIELDS, 'filaments');
  const j = table(jobs, JOB_FIELDS, 'jobs');
  const k = table(idempotency, IDEMPOTENCY_FIELDS, 'idempotency');
  try {
    const state = new FarmState(
      limits,
      SortedIds.fromAscending(column(p, PRINTER_FIELDS)),
      SortedIds.fromAscending(column(f, FILAMENT_FIELDS)),
      SortedIds.fromAscending(column(j, JOB_FIELDS)),
    );
    state.nowMs = nowMs;
    readPrinters(state, p);
    readFilaments(state, f);
    readJobs(state, j);
    readIdempotency(state, k);
    return state;
  } catch (err) {
    if (err instanceof SnapshotDecodeError) throw err;
    throw new SnapshotDecodeError(err instanceof Error ? err.message : String(err));
  }
}

function table(value: unknown, stride: number, name: string): unknown[] {
  if (!Array.isArray(value) || value.length % stride !== 0) throw new SnapshotDecodeError(`bad ${name} table`);
  return value;
}

/** The ids (first field of every row); anything but a valid id fails here. */
function column(rows: unknown[], stride: number): string[] {
  const ids: string[] = [];
  for (let i = 0; i < rows.length; i += stride) ids.push(idAt(rows, i));
  return ids;
}

function readPrinters(state: FarmState, rows: unknown[]): void {
  for (let i = 0; i < rows.length; i += PRINTER_FIELDS) {
    state.addPrinter(
      {
        id: rows[i] as string,
        company: textAt(rows, i + 1, MAX_LENGTH.company),
        model: textAt(rows, i + 2, MAX_LENGTH.model),
      },
      true,
    );
  }
}

function readFilaments(state: FarmState, rows: unknown[]): void {
  for (let i = 0; i < rows.length; i += FILAMENT_FIELDS) {
    const type = rows[i + 1];
    if (typeof type !== 'string' || !isFilamentType(type)) throw new SnapshotDecodeError(`bad filament type at ${i}`);
    const totalWeight = positiveAt(rows, i + 3);
    const remainingWeight = rows[i + 4];
    if (
      totalWeight > MAX_TOTAL_WEIGHT_GRAMS ||
      typeof remainingWeight !== 'number' ||
      !Number.isSafeInteger(remainingWeight) ||
      remainingWeight < 0 ||
      remainingWeight > totalWeight
    ) {
      throw new SnapshotDecodeError(`bad filament weights at ${i}`);
    }
    state.addFilament(
      {
        id: rows[i] as string,
        type,
        color: textAt(rows, i + 2, MAX_LENGTH.color),
        totalWeight,
        remainingWeight,
        reservedWeight: 0,
      },
      true,
    );
  }
}

function readJobs(state: FarmState, rows: unknown[]): void {
  for (let i = 0; i < rows.length; i += JOB_FIELDS) {
    const printerId = idAt(rows, i + 1);
    const filamentId = idAt(rows, i + 2);
    if (!state.printers.has(printerId) || !state.filaments.has(filamentId)) {
      throw new SnapshotDecodeError(`job at ${i} refers to a missing printer or filament`);
    }
    const status: JobStatus | undefined = JOB_STATUSES[rows[i + 5] as number];
    if (status === undefined) throw new SnapshotDecodeError(`bad job status at ${i}`);
    state.addJob(
      {
        id: rows[i] as string,
        printerId,
        filamentId,
        filepath: textAt(rows, i + 3, MAX_LENGTH.filepath),
        weight: positiveAt(rows, i + 4),
        status,
        createdAt: timestampAt(rows, i + 6),
        updatedAt: timestampAt(rows, i + 7),
      },
      true,
    );
  }
  for (const filament of state.filaments.values()) {
    if (filament.reservedWeight > filament.remainingWeight) {
      throw new SnapshotDecodeError(`filament ${filament.id} is overbooked`);
    }
  }
}

function readIdempotency(state: FarmState, rows: unknown[]): void {
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < rows.length; i += IDEMPOTENCY_FIELDS) {
    const key = rows[i];
    const fingerprint = rows[i + 1];
    const storedAt = rows[i + 2];
    const status = rows[i + 3];
    if (
      typeof key !== 'string' ||
      !isValidIdempotencyKey(key) ||
      typeof fingerprint !== 'string' ||
      typeof storedAt !== 'number' ||
      !Number.isSafeInteger(storedAt) ||
      storedAt < previous ||
      storedAt > state.nowMs ||
      typeof status !== 'number' ||
      !Number.isInteger(status)
    ) {
      throw new SnapshotDecodeError(`bad idempotency entry at ${i}`);
    }
    previous = storedAt;
    const result: CommandResult = { status, body: rows[i + 4] };
    state.idempotency.remember(key, { fingerprint, storedAt, result });
  }
}

function idAt(rows: unknown[], i: number): string {
  const value = rows[i];
  if (typeof value !== 'string' || !isValidId(value)) throw new SnapshotDecodeError(`bad id at ${i}`);
  return value;
}

function textAt(rows: unknown[], i: number, max: number): string {
  const value = rows[i];
  if (typeof value !== 'string' || !isBoundedText(value, max)) throw new SnapshotDecodeError(`bad text at ${i}`);
  return value;
}

function positiveAt(rows: unknown[], i: number): number {
  const value = rows[i];
  if (!isPositiveSafeInteger(value)) throw new SnapshotDecodeError(`bad weight at ${i}`);
  return value;
}

function timestampAt(rows: unknown[], i: number): string {
  const value = rows[i];
  if (typeof value !== 'string' || !isValidTimestamp(value)) throw new SnapshotDecodeError(`bad timestamp at ${i}`);
  return value;
}
