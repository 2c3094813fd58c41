// Snapshot bytes of the print farm: MessagePack of columns in id order (the
// idempotency table in age order), so equal states give byte-identical
// snapshots on every replica (I3). Strings go in text columns and numbers in
// little-endian binary columns, which keeps 100,000 jobs within a few hundred
// milliseconds both ways. Decoding checks every value, the cross-references and
// invariants I1 and I2, because a snapshot comes from disk or from a peer.
import { Packr } from 'msgpackr';
import { isValidIdempotencyKey } from './commands.js';
import { FarmState } from './farm-state.js';
import {
  FILAMENT_TYPES,
  JOB_STATUSES,
  MAX_LENGTH,
  MAX_TOTAL_WEIGHT_GRAMS,
  isBoundedText,
  isValidId,
  isWellFormed,
} from './field-rules.js';
import type { IdempotencyLimits } from './idempotency-table.js';
import type { Outcome } from './outcome.js';
import type { FilamentRecord, JobRecord, PrinterRecord } from './records.js';
import { SortedRecords } from './sorted-records.js';
import { packTexts, textCount, unpackTexts } from './text-column.js';

const FORMAT_VERSION = 1;
const COLUMNS = 16;
const FILAMENT_ROW_BYTES = 13; // type u8, total u32, initial remaining u32, remaining u32
const JOB_ROW_BYTES = 29; // printer index u32, filament index u32, weight u32, status u8, created f64, updated f64
const KEY_ROW_BYTES = 23; // stored at f64, outcome kind u8, number u16, time f64, entity index u32
const OUTCOME_KINDS = ['createdPrinter', 'createdFilament', 'createdJob', 'jobStatus', 'rejected'] as const;
// The range in which toISOString() writes a four-digit year, the only form commands carry.
const MIN_TIME_MS = Date.parse('0000-01-01T00:00:00.000Z');
const MAX_TIME_MS = Date.parse('9999-12-31T23:59:59.999Z');
const MAX_FINGERPRINT_LENGTH = 128;
const MAX_ERROR_TEXT = 4096;

export class SnapshotDecodeError extends Error {
  override readonly name = 'SnapshotDecodeError';
}

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

export function encodeSnapshot(state: FarmState): Uint8Array {
  const printerIds: string[] = [];
  const companies: string[] = [];
  const models: string[] = [];
  state.printersById.forEach((p, i) => {
    printerIds.push(p.id);
    companies.push(p.company);
    models.push(p.model);
    p.position = i;
  });

  const filamentIds: string[] = [];
  const colors: string[] = [];
  const filamentNumbers = new DataView(new ArrayBuffer(state.filamentsById.size * FILAMENT_ROW_BYTES));
  state.filamentsById.forEach((f, i) => {
    filamentIds.push(f.id);
    colors.push(f.color);
    const o = i * FILAMENT_ROW_BYTES;
    filamentNumbers.setUint8(o, FILAMENT_TYPES.indexOf(f.type));
    filamentNumbers.setUint32(o + 1, f.totalWeight, true);
    filamentNumbers.setUint32(o + 5, f.initialRemainingWeight, true);
    filamentNumbers.setUint32(o + 9, f.remainingWeight, true);
    f.position = i;
  });

  const jobIds: string[] = [];
  const filepaths: string[] = [];
  const jobNumbers = new DataView(new ArrayBuffer(state.jobsById.size * JOB_ROW_BYTES));
  state.jobsById.forEach((j, i) => {
    jobIds.push(j.id);
    filepaths.push(j.filepath);
    j.position = i;
    const o = i * JOB_ROW_BYTES;
    jobNumbers.setUint32(o, state.printers.get(j.printerId)!.position, true);
    jobNumbers.setUint32(o + 4, state.filaments.get(j.filamentId)!.position, true);
    jobNumbers.setUint32(o + 8, j.weight, true);
    jobNumbers.setUint8(o + 12, JOB_STATUSES.indexOf(j.status));
    jobNumbers.setFloat64(o + 13, j.createdAt, true);
    jobNumbers.setFloat64(o + 21, j.updatedAt, true);
  });

  // Outcomes refer to entities by their row in the columns above (the positions
  // just written): no id strings to store, hash and look up again on restore.
  const keys: string[] = [];
  const fingerprints: string[] = [];
  const codes: string[] = [];
  const messages: string[] = [];
  const keyNumbers = new DataView(new ArrayBuffer(state.idempotency.size * KEY_ROW_BYTES));
  let k = 0;
  for (const [key, e] of state.idempotency.list()) {
    keys.push(key);
    fingerprints.push(e.fingerprint);
    const o = k++ * KEY_ROW_BYTES;
    const outcome = e.outcome;
    keyNumbers.setFloat64(o, e.storedAt, true);
    keyNumbers.setUint8(o + 8, OUTCOME_KINDS.indexOf(outcome.kind));
    let code = '';
    let message = '';
    switch (outcome.kind) {
      case 'createdPrinter':
        keyNumbers.setUint32(o + 19, outcome.printer.position, true);
        break;
      case 'createdFilament':
        keyNumbers.setUint32(o + 19, outcome.filament.position, true);
        break;
      case 'createdJob':
        keyNumbers.setUint32(o + 19, outcome.job.position, true);
        break;
      case 'jobStatus':
        keyNumbers.setUint16(o + 9, JOB_STATUSES.indexOf(outcome.status), true);
        keyNumbers.setFloat64(o + 11, outcome.at, true);
        keyNumbers.setUint32(o + 19, outcome.job.position, true);
        break;
      case 'rejected':
        keyNumbers.setUint16(o + 9, outcome.status, true);
        code = outcome.code;
        message = outcome.message;
        break;
    }
    codes.push(code);
    messages.push(message);
  }

  return packr.pack([
    FORMAT_VERSION,
    state.nowMs,
    packTexts(printerIds),
    packTexts(companies),
    packTexts(models),
    packTexts(filamentIds),
    packTexts(colors),
    bytesOf(filamentNumbers),
    packTexts(jobIds),
    packTexts(filepaths),
    bytesOf(jobNumbers),
    packTexts(keys),
    packTexts(fingerprints),
    packTexts(codes),
    packTexts(messages),
    bytesOf(keyNumbers),
  ]);
}

export function decodeSnapshot(bytes: Uint8Array, limits: IdempotencyLimits): FarmState {
  let raw: unknown;
  try {
    raw = packr.unpack(bytes);
  } catch (err) {
    throw new SnapshotDecodeError(`not MessagePack: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(raw) || raw.length !== COLUMNS || raw[0] !== FORMAT_VERSION) {
    throw new SnapshotDecodeError('not a print farm snapshot of a known version');
  }
  const columns: readonly unknown[] = raw;
  try {
    return decodeColumns(columns, limits);
  } catch (err) {
    if (err instanceof SnapshotDecodeError) throw err;
    throw new SnapshotDecodeError(err instanceof Error ? err.message : String(err));
  }
}

function decodeColumns(c: readonly unknown[], limits: IdempotencyLimits): FarmState {
  const nowMs = c[1];
  if (!isTime(nowMs)) throw new SnapshotDecodeError('bad watermark');
  const printerIds = ids(c[2], 'printer');
  const companies = texts(c[3], printerIds.length, MAX_LENGTH.company, 'company');
  const models = texts(c[4], printerIds.length, MAX_LENGTH.model, 'model');
  const filamentIds = ids(c[5], 'filament');
  const colors = texts(c[6], filamentIds.length, MAX_LENGTH.color, 'color');
  const filamentNumbers = binary(c[7], filamentIds.length * FILAMENT_ROW_BYTES, 'filament numbers');
  const jobIds = ids(c[8], 'job');
  const filepaths = texts(c[9], jobIds.length, MAX_LENGTH.filepath, 'filepath');
  const jobNumbers = binary(c[10], jobIds.length * JOB_ROW_BYTES, 'job numbers');

  const printers: PrinterRecord[] = [];
  for (let i = 0; i < printerIds.length; i++) {
    printers.push({ id: printerIds[i]!, company: companies[i]!, model: models[i]!, position: i });
  }
  const filaments: FilamentRecord[] = [];
  for (let i = 0; i < filamentIds.length; i++) filaments.push(readFilament(filamentNumbers, i, filamentIds[i]!, colors[i]!));
  const jobs: JobRecord[] = [];
  for (let i = 0; i < jobIds.length; i++) jobs.push(readJob(jobNumbers, i, jobIds[i]!, filepaths[i]!, printerIds, filaments));

  const state = new FarmState(
    limits,
    SortedRecords.fromAscending(printers),
    SortedRecords.fromAscending(filaments),
    SortedRecords.fromAscending(jobs),
  );
  state.nowMs = nowMs;
  for (const printer of printers) state.addPrinter(printer, true);
  for (const filament of filaments) state.addFilament(filament, true);
  for (const job of jobs) state.addJob(job, true);
  checkWeights(state);
  readIdempotency(state, c.slice(11), { printers, filaments, jobs });
  return state;
}

function readFilament(view: DataView, i: number, id: string, color: string): FilamentRecord {
  const o = i * FILAMENT_ROW_BYTES;
  const type = FILAMENT_TYPES[view.getUint8(o)];
  const totalWeight = view.getUint32(o + 1, true);
  const initialRemainingWeight = view.getUint32(o + 5, true);
  const remainingWeight = view.getUint32(o + 9, true);
  if (type === undefined || totalWeight < 1 || totalWeight > MAX_TOTAL_WEIGHT_GRAMS) {
    throw new SnapshotDecodeError(`bad filament ${id}`);
  }
  if (initialRemainingWeight > totalWeight || remainingWeight > initialRemainingWeight) {
    throw new SnapshotDecodeError(`bad weights of filament ${id}`);
  }
  return { id, type, color, totalWeight, initialRemainingWeight, remainingWeight, reservedWeight: 0, position: i };
}

function readJob(
  view: DataView,
  i: number,
  id: string,
  filepath: string,
  printerIds: readonly string[],
  filaments: readonly FilamentRecord[],
): JobRecord {
  const o = i * JOB_ROW_BYTES;
  const printerId = printerIds[view.getUint32(o, true)];
  const filament = filaments[view.getUint32(o + 4, true)];
  const weight = view.getUint32(o + 8, true);
  const status = JOB_STATUSES[view.getUint8(o + 12)];
  const createdAt = view.getFloat64(o + 13, true);
  const updatedAt = view.getFloat64(o + 21, true);
  if (printerId === undefined || filament === undefined) {
    throw new SnapshotDecodeError(`job ${id} refers to a missing printer or filament`);
  }
  if (weight < 1 || status === undefined || !isTime(createdAt) || !isTime(updatedAt)) {
    throw new SnapshotDecodeError(`bad job ${id}`);
  }
  return { id, printerId, filamentId: filament.id, filepath, weight, status, createdAt, updatedAt, position: i };
}

/** I1 (reserved ≤ remaining) and I2 (remaining = initial remaining − Σ Done). */
function checkWeights(state: FarmState): void {
  const done = new Map<string, number>();
  for (const job of state.jobs.values()) {
    if (job.status === 'Done') done.set(job.filamentId, (done.get(job.filamentId) ?? 0) + job.weight);
  }
  for (const f of state.filaments.values()) {
    if (f.reservedWeight > f.remainingWeight || f.initialRemainingWeight - (done.get(f.id) ?? 0) !== f.remainingWeight) {
      throw new SnapshotDecodeError(`weights of filament ${f.id} do not add up`);
    }
  }
}

interface Tables {
  readonly printers: readonly PrinterRecord[];
  readonly filaments: readonly FilamentRecord[];
  readonly jobs: readonly JobRecord[];
}

function readIdempotency(state: FarmState, c: readonly unknown[], tables: Tables): void {
  const keys = unpackTexts(c[0], textCount(c[0]));
  if (keys === undefined) throw new SnapshotDecodeError('bad idempotency keys');
  const n = keys.length;
  const fingerprints = unpackTexts(c[1], n);
  const codes = unpackTexts(c[2], n);
  const messages = unpackTexts(c[3], n);
  if (fingerprints === undefined || codes === undefined || messages === undefined) {
    throw new SnapshotDecodeError('bad idempotency columns');
  }
  const numbers = binary(c[4], n * KEY_ROW_BYTES, 'idempotency numbers');
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const key = keys[i]!;
    const fingerprint = fingerprints[i]!;
    const o = i * KEY_ROW_BYTES;
    const storedAt = numbers.getFloat64(o, true);
    if (
      !isValidIdempotencyKey(key) ||
      fingerprint.length === 0 ||
      fingerprint.length > MAX_FINGERPRINT_LENGTH ||
      !isTime(storedAt) ||
      storedAt < previous ||
      storedAt > state.nowMs
    ) {
      throw new SnapshotDecodeError(`bad idempotency entry ${i}`);
    }
    previous = storedAt;
    const outcome = readOutcome(tables, numbers, o, codes[i]!, messages[i]!);
    state.idempotency.remember(key, { fingerprint, storedAt, outcome });
  }
}

function readOutcome(tables: Tables, numbers: DataView, o: number, code: string, message: string): Outcome {
  const kind = OUTCOME_KINDS[numbers.getUint8(o + 8)];
  const number = numbers.getUint16(o + 9, true);
  const refersTo = <T>(rows: readonly T[]): T => {
    const row = rows[numbers.getUint32(o + 19, true)];
    if (row === undefined) throw new SnapshotDecodeError('idempotency outcome refers to nothing');
    return row;
  };
  switch (kind) {
    case 'createdPrinter':
      return { kind, printer: refersTo(tables.printers) };
    case 'createdFilament':
      return { kind, filament: refersTo(tables.filaments) };
    case 'createdJob':
      return { kind, job: refersTo(tables.jobs) };
    case 'jobStatus': {
      const status = JOB_STATUSES[number];
      const at = numbers.getFloat64(o + 11, true);
      if (status === undefined || !isTime(at)) throw new SnapshotDecodeError('bad job status outcome');
      return { kind, job: refersTo(tables.jobs), status, at };
    }
    case 'rejected':
      if (
        number < 400 ||
        number > 499 ||
        code.length === 0 ||
        code.length > MAX_ERROR_TEXT ||
        message.length > MAX_ERROR_TEXT ||
        !isWellFormed(message)
      ) {
        throw new SnapshotDecodeError('bad rejection outcome');
      }
      return { kind, status: number, code, message };
    default:
      throw new SnapshotDecodeError('unknown idempotency outcome');
  }
}

function ids(column: unknown, what: string): string[] {
  const values = unpackTexts(column, textCount(column));
  if (values === undefined) throw new SnapshotDecodeError(`bad ${what} ids`);
  for (const id of values) if (!isValidId(id)) throw new SnapshotDecodeError(`bad ${what} id`);
  return values;
}

function texts(column: unknown, count: number, max: number, what: string): string[] {
  const values = unpackTexts(column, count);
  if (values === undefined) throw new SnapshotDecodeError(`bad ${what} column`);
  for (const text of values) if (!isBoundedText(text, max)) throw new SnapshotDecodeError(`bad ${what}`);
  return values;
}

function binary(value: unknown, length: number, what: string): DataView {
  if (!(value instanceof Uint8Array) || value.byteLength !== length) throw new SnapshotDecodeError(`bad ${what}`);
  return new DataView(value.buffer, value.byteOffset, value.byteLength);
}

function bytesOf(view: DataView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= MIN_TIME_MS && value <= MAX_TIME_MS;
}
