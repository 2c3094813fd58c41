// Request parsing (api.md §1, §3): turns untrusted JSON bodies, query strings and
// headers into validated values, or throws a 400 VALIDATION_FAILED that names
// the offending field.
import { ApiError } from '../http/api-error.js';
import { isValidIdempotencyKey } from './commands.js';
import {
  FILAMENT_TYPES,
  MAX_LENGTH,
  MAX_TOTAL_WEIGHT_GRAMS,
  isFilamentType,
  isValidId,
  isWellFormed,
  type FilamentType,
  type JobStatus,
} from './field-rules.js';
import {
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  type FilamentQuery,
  type JobQuery,
  type PageRequest,
} from './queries.js';

export interface PrinterInput {
  readonly id?: string;
  readonly company: string;
  readonly model: string;
}

export interface FilamentInput {
  readonly id?: string;
  readonly type: FilamentType;
  readonly color: string;
  readonly totalWeight: number;
  readonly remainingWeight: number;
}

export interface JobInput {
  readonly id?: string;
  readonly printerId: string;
  readonly filamentId: string;
  readonly filepath: string;
  readonly weight: number;
}

export type Consistency = 'linearizable' | 'stale';

type Json = Readonly<Record<string, unknown>>;
type Query = Readonly<Record<string, unknown>>;

export function invalid(message: string): ApiError {
  return new ApiError(400, 'VALIDATION_FAILED', message);
}

export function parsePrinterInput(body: unknown): PrinterInput {
  const o = object(body);
  return {
    ...optionalId(o),
    company: text(o, 'company', MAX_LENGTH.company),
    model: text(o, 'model', MAX_LENGTH.model),
  };
}

export function parseFilamentInput(body: unknown): FilamentInput {
  const o = object(body);
  const type = o['type'];
  if (typeof type !== 'string') throw invalid(`type is required and must be one of ${FILAMENT_TYPES.join(', ')}`);
  const color = text(o, 'color', MAX_LENGTH.color);
  const totalWeight = integer(o, 'total_weight_in_grams', 1, MAX_TOTAL_WEIGHT_GRAMS);
  const remainingWeight = isAbsent(o['remaining_weight_in_grams'])
    ? totalWeight
    : integer(o, 'remaining_weight_in_grams', 0, MAX_TOTAL_WEIGHT_GRAMS);
  if (remainingWeight > totalWeight) {
    throw invalid('remaining_weight_in_grams must not exceed total_weight_in_grams');
  }
  return { ...optionalId(o), type: parseFilamentType(type, 'type'), color, totalWeight, remainingWeight };
}

/** A `status` in the body is ignored: the server sets Queued. */
export function parseJobInput(body: unknown): JobInput {
  const o = object(body);
  return {
    ...optionalId(o),
    printerId: reference(o, 'printer_id'),
    filamentId: reference(o, 'filament_id'),
    filepath: text(o, 'filepath', MAX_LENGTH.filepath),
    weight: integer(o, 'print_weight_in_grams', 1, Number.MAX_SAFE_INTEGER),
  };
}

/** The target of a status change: `?status=` wins; otherwise a JSON body `{"status": …}`. */
export function parseStatusTarget(query: Query, body: unknown): JobStatus {
  const fromQuery = single(query, 'status');
  if (fromQuery !== undefined) return parseStatus(fromQuery, 'status');
  if (body !== undefined && body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const value = (body as Json)['status'];
    if (typeof value === 'string') return parseStatus(value, 'status');
    if (value !== undefined) throw invalid('status must be a string');
  }
  throw invalid('status is required, as the status query parameter or a JSON body {"status": "..."}');
}

/** Case-insensitive, one pair of surrounding quotes removed, Cancelled accepted. */
export function parseStatus(raw: string, field: string): JobStatus {
  const value = unquote(raw.trim()).trim().toLowerCase();
  switch (value) {
    case 'queued':
      return 'Queued';
    case 'running':
      return 'Running';
    case 'done':
      return 'Done';
    case 'canceled':
    case 'cancelled':
      return 'Canceled';
    default:
      throw invalid(`${field} must be one of Queued, Running, Done, Canceled (got ${JSON.stringify(raw)})`);
  }
}

export function parseFilamentType(raw: string, field: string): FilamentType {
  const value = raw.trim().toUpperCase();
  if (!isFilamentType(value)) {
    throw invalid(`${field} must be one of ${FILAMENT_TYPES.join(', ')} (got ${JSON.stringify(raw)})`);
  }
  return value;
}

export function parsePathId(raw: string): string {
  if (!isValidId(raw)) throw invalid(idRule('id'));
  return raw;
}

export function parsePageRequest(query: Query): PageRequest {
  const rawLimit = single(query, 'limit');
  let limit = DEFAULT_LIST_LIMIT;
  if (rawLimit !== undefined) {
    if (!/^\d{1,6}$/.test(rawLimit)) throw invalid(`limit must be an integer from 1 to ${MAX_LIST_LIMIT}`);
    limit = Number(rawLimit);
    if (limit < 1 || limit > MAX_LIST_LIMIT) throw invalid(`limit must be an integer from 1 to ${MAX_LIST_LIMIT}`);
  }
  const after = single(query, 'after');
  if (after === undefined) return { limit };
  if (!isValidId(after)) throw invalid(idRule('after'));
  return { limit, after };
}

export function parseFilamentQuery(query: Query): FilamentQuery {
  const type = single(query, 'type');
  const pageRequest = parsePageRequest(query);
  return type === undefined ? pageRequest : { ...pageRequest, type: parseFilamentType(type, 'type') };
}

export function parseJobQuery(query: Query): JobQuery {
  const result: { -readonly [K in keyof JobQuery]: JobQuery[K] } = parsePageRequest(query);
  const status = single(query, 'status');
  if (status !== undefined) result.status = parseStatus(status, 'status');
  const printerId = single(query, 'printer_id');
  if (printerId !== undefined) {
    if (!isValidId(printerId)) throw invalid(idRule('printer_id'));
    result.printerId = printerId;
  }
  const filamentId = single(query, 'filament_id');
  if (filamentId !== undefined) {
    if (!isValidId(filamentId)) throw invalid(idRule('filament_id'));
    result.filamentId = filamentId;
  }
  return result;
}

/**
 * `?consistency=` or the X-Raft3D-Consistency header: `stale` reads local state;
 * absent (or the explicit default `linearizable`) goes through ReadIndex.
 */
export function parseConsistency(queryValue: unknown, headerValue: unknown): Consistency {
  const values: string[] = [];
  for (const [name, value] of [
    ['consistency', queryValue],
    ['X-Raft3D-Consistency', headerValue],
  ] as const) {
    if (value === undefined) continue;
    if (typeof value !== 'string') throw invalid(`${name} must be given once`);
    const v = value.trim().toLowerCase();
    if (v !== 'stale' && v !== 'linearizable') throw invalid(`${name} must be stale or linearizable`);
    values.push(v);
  }
  return values.includes('stale') ? 'stale' : 'linearizable';
}

export function parseIdempotencyKey(header: unknown): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string') throw invalid('Idempotency-Key must be given once');
  const key = header.trim();
  if (key.length === 0 || !isValidIdempotencyKey(key)) {
    throw invalid('Idempotency-Key must be 1 to 256 printable ASCII characters');
  }
  return key;
}

function object(body: unknown): Json {
  if (body === undefined || body === null) throw invalid('request body must be a JSON object');
  if (typeof body !== 'object' || Array.isArray(body)) throw invalid('request body must be a JSON object');
  return body as Json;
}

// null is treated as absent for optional fields: clients often serialise unset values so.
function isAbsent(value: unknown): boolean {
  return value === undefined || value === null;
}

function optionalId(o: Json): { id?: string } {
  const value = o['id'];
  return isAbsent(value) ? {} : { id: idValue(value, 'id') };
}

function reference(o: Json, field: string): string {
  const value = o[field];
  if (isAbsent(value)) throw invalid(`${field} is required`);
  return idValue(value, field);
}

/** An id given as a string, or as an integer stored as its decimal string. */
function idValue(value: unknown, field: string): string {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw invalid(`${field} must be a string or an integer`);
    return String(value);
  }
  if (typeof value !== 'string' || !isValidId(value)) throw invalid(idRule(field));
  return value;
}

function text(o: Json, field: string, max: number): string {
  const value = o[field];
  if (isAbsent(value)) throw invalid(`${field} is required`);
  if (typeof value !== 'string') throw invalid(`${field} must be a string`);
  const trimmed = value.trim();
  if (trimmed.length === 0) throw invalid(`${field} must not be empty`);
  if (trimmed.length > max) throw invalid(`${field} must be at most ${max} characters`);
  if (!isWellFormed(trimmed)) throw invalid(`${field} must be valid Unicode text`);
  return trimmed;
}

function integer(o: Json, field: string, min: number, max: number): number {
  const value = o[field];
  if (isAbsent(value)) throw invalid(`${field} is required`);
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(`${field} must be an integer`);
  if (value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    throw invalid(`${field} must be ${range}`);
  }
  // -0 would survive in memory but not in snapshots; keep every replica's value identical.
  return value === 0 ? 0 : value;
}

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`${name} must be given once`);
  return value;
}

function unquote(value: string): string {
  if (value.length >= 2) {
    const first = value[0];
    if ((first === '"' || first === "'") && value[value.length - 1] === first) return value.slice(1, -1);
  }
  return value;
}

function idRule(field: string): string {
  return `${field} must be 1 to 128 characters of A-Z a-z 0-9 . _ : -`;
}
