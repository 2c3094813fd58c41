// The value rules of api.md §1 shared by request parsing (validation.ts) and by
// command decoding (commands.ts), so a command in the log can never hold a value
// the API would have refused.

export const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export const FILAMENT_TYPES = ['PLA', 'PETG', 'ABS', 'TPU'] as const;
export type FilamentType = (typeof FILAMENT_TYPES)[number];

export const JOB_STATUSES = ['Queued', 'Running', 'Done', 'Canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const MAX_LENGTH = {
  company: 256,
  model: 256,
  color: 64,
  filepath: 1024,
} as const;

export const MAX_TOTAL_WEIGHT_GRAMS = 1_000_000;

export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value);
}

export function isFilamentType(value: string): value is FilamentType {
  return (FILAMENT_TYPES as readonly string[]).includes(value);
}

export function isJobStatus(value: string): value is JobStatus {
  return (JOB_STATUSES as readonly string[]).includes(value);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** No lone surrogate: such a string would not survive UTF-8 encoding unchanged. */
export function isWellFormed(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/** A bounded string that is non-empty, already trimmed and well-formed. */
export function isBoundedText(value: string, max: number): boolean {
  return value.length > 0 && value.length <= max && value.trim() === value && isWellFormed(value);
}

export function isPositiveSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
