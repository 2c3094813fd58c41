// The commands carried by the Raft log. Everything apply needs to be a pure
// function travels inside the command: generated ids, the proposing node's
// timestamp and the idempotency key with its request fingerprint.
import { Packr } from 'msgpackr';
import {
  MAX_LENGTH,
  MAX_TOTAL_WEIGHT_GRAMS,
  isBoundedText,
  isFilamentType,
  isJobStatus,
  isPositiveSafeInteger,
  isValidId,
  type FilamentType,
  type JobStatus,
} from './field-rules.js';

export interface Idempotency {
  readonly key: string;
  /** Identifies the request the key was first used for (operation and its input). */
  readonly fingerprint: string;
}

interface CommandBase {
  /** RFC 3339 time chosen by the node that received the request, as `new Date().toISOString()` writes it. */
  readonly at: string;
  readonly idempotency?: Idempotency;
}

export interface CreatePrinterCommand extends CommandBase {
  readonly kind: 'createPrinter';
  readonly id: string;
  readonly company: string;
  readonly model: string;
}

export interface CreateFilamentCommand extends CommandBase {
  readonly kind: 'createFilament';
  readonly id: string;
  readonly type: FilamentType;
  readonly color: string;
  readonly totalWeight: number;
  readonly remainingWeight: number;
}

export interface CreateJobCommand extends CommandBase {
  readonly kind: 'createJob';
  readonly id: string;
  readonly printerId: string;
  readonly filamentId: string;
  readonly filepath: string;
  readonly weight: number;
}

export interface SetJobStatusCommand extends CommandBase {
  readonly kind: 'setJobStatus';
  readonly jobId: string;
  readonly status: JobStatus;
}

export type Command = CreatePrinterCommand | CreateFilamentCommand | CreateJobCommand | SetJobStatusCommand;

export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;
const MAX_FINGERPRINT_LENGTH = 128;
const FORMAT_VERSION = 1;
const KIND_CODES = { createPrinter: 1, createFilament: 2, createJob: 3, setJobStatus: 4 } as const;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const IDEMPOTENCY_KEY = /^[\x20-\x7e]+$/;

/** The bytes of a log entry are not a valid command. Apply turns it into a 400, never a crash. */
export class CommandDecodeError extends Error {
  override readonly name = 'CommandDecodeError';
}

// Records would make the bytes depend on the packer's history; plain arrays keep
// the encoding a function of the command alone.
const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

export function isValidIdempotencyKey(key: string): boolean {
  return key.length <= MAX_IDEMPOTENCY_KEY_LENGTH && IDEMPOTENCY_KEY.test(key);
}

// Commands applied in a burst mostly carry the same millisecond: the last good
// value is remembered so that apply does not parse and print it again each time.
let lastValidTimestamp = '';

/** Exactly what Date.prototype.toISOString() produces, so it survives a round trip through milliseconds. */
export function isValidTimestamp(at: string): boolean {
  if (at === lastValidTimestamp) return true;
  if (!TIMESTAMP.test(at)) return false;
  const ms = Date.parse(at);
  if (!Number.isFinite(ms) || new Date(ms).toISOString() !== at) return false;
  lastValidTimestamp = at;
  return true;
}

export function encodeCommand(command: Command): Uint8Array {
  const head = [
    FORMAT_VERSION,
    KIND_CODES[command.kind],
    command.at,
    command.idempotency?.key ?? null,
    command.idempotency?.fingerprint ?? null,
  ];
  switch (command.kind) {
    case 'createPrinter':
      return packr.pack([...head, command.id, command.company, command.model]);
    case 'createFilament':
      return packr.pack([
        ...head,
        command.id,
        command.type,
        command.color,
        command.totalWeight,
        command.remainingWeight,
      ]);
    case 'createJob':
      return packr.pack([
        ...head,
        command.id,
        command.printerId,
        command.filamentId,
        command.filepath,
        command.weight,
      ]);
    case 'setJobStatus':
      return packr.pack([...head, command.jobId, command.status]);
  }
}

export function decodeCommand(bytes: Uint8Array): Command {
  let raw: unknown;
  try {
    raw = packr.unpack(bytes);
  } catch (err) {
    throw new CommandDecodeError(`not MessagePack: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(raw) || raw.length < 5) throw new CommandDecodeError('not a command tuple');
  const fields: readonly unknown[] = raw;
  if (fields[0] !== FORMAT_VERSION) throw new CommandDecodeError(`unknown format version ${String(fields[0])}`);
  const base = decodeBase(fields);
  const body = fields.slice(5);
  switch (fields[1]) {
    case KIND_CODES.createPrinter:
      expectArity(body, 3);
      return {
        kind: 'createPrinter',
        ...base,
        id: id(body[0], 'id'),
        company: text(body[1], MAX_LENGTH.company, 'company'),
        model: text(body[2], MAX_LENGTH.model, 'model'),
      };
    case KIND_CODES.createFilament:
      return decodeCreateFilament(base, body);
    case KIND_CODES.createJob:
      expectArity(body, 5);
      return {
        kind: 'createJob',
        ...base,
        id: id(body[0], 'id'),
        printerId: id(body[1], 'printerId'),
        filamentId: id(body[2], 'filamentId'),
        filepath: text(body[3], MAX_LENGTH.filepath, 'filepath'),
        weight: positive(body[4], 'weight'),
      };
    case KIND_CODES.setJobStatus: {
      expectArity(body, 2);
      const status = body[1];
      if (typeof status !== 'string' || !isJobStatus(status)) throw new CommandDecodeError('bad status');
      return { kind: 'setJobStatus', ...base, jobId: id(body[0], 'jobId'), status };
    }
    default:
      throw new CommandDecodeError(`unknown command kind ${String(fields[1])}`);
  }
}

function decodeBase(fields: readonly unknown[]): CommandBase {
  const at = fields[2];
  if (typeof at !== 'string' || !isValidTimestamp(at)) throw new CommandDecodeError('bad timestamp');
  const key = fields[3];
  const fingerprint = fields[4];
  if (key === null && fingerprint === null) return { at };
  if (typeof key !== 'string' || !isValidIdempotencyKey(key)) throw new CommandDecodeError('bad idempotency key');
  if (typeof fingerprint !== 'string' || fingerprint.length === 0 || fingerprint.length > MAX_FINGERPRINT_LENGTH) {
    throw new CommandDecodeError('bad fingerprint');
  }
  return { at, idempotency: { key, fingerprint } };
}

function decodeCreateFilament(base: CommandBase, body: readonly unknown[]): CreateFilamentCommand {
  expectArity(body, 5);
  const type = body[1];
  if (typeof type !== 'string' || !isFilamentType(type)) throw new CommandDecodeError('bad filament type');
  const totalWeight = positive(body[3], 'totalWeight');
  const remainingWeight = body[4];
  if (totalWeight > MAX_TOTAL_WEIGHT_GRAMS) throw new CommandDecodeError('bad totalWeight');
  if (
    typeof remainingWeight !== 'number' ||
    !Number.isSafeInteger(remainingWeight) ||
    remainingWeight < 0 ||
    remainingWeight > totalWeight
  ) {
    throw new CommandDecodeError('bad remainingWeight');
  }
  return {
    kind: 'createFilament',
    ...base,
    id: id(body[0], 'id'),
    type,
    color: text(body[2], MAX_LENGTH.color, 'color'),
    totalWeight,
    remainingWeight,
  };
}

function expectArity(body: readonly unknown[], n: number): void {
  if (body.length !== n) throw new CommandDecodeError(`expected ${n} fields, got ${body.length}`);
}

function id(value: unknown, field: string): string {
  if (typeof value !== 'string' || !isValidId(value)) throw new CommandDecodeError(`bad ${field}`);
  return value;
}

function text(value: unknown, max: number, field: string): string {
  if (typeof value !== 'string' || !isBoundedText(value, max)) throw new CommandDecodeError(`bad ${field}`);
  return value;
}

function positive(value: unknown, field: string): number {
  if (!isPositiveSafeInteger(value)) throw new CommandDecodeError(`bad ${field}`);
  return value;
}
