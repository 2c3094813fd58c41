// Rendering of inputs, outputs and states for failure reports and JSON artifacts.

import { UNKNOWN } from './model.js';

/** JSON-safe form: UNKNOWN → "unknown", ±Infinity → "∞", Maps → objects, Sets → arrays. */
export function toJsonValue(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, jsonReplacer) ?? 'null');
}

export function formatValue(value: unknown): string {
  if (value === UNKNOWN) return '?';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return JSON.stringify(value, jsonReplacer) ?? String(value);
}

export function formatTime(t: number): string {
  return t === Infinity ? '∞' : String(t);
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value === UNKNOWN) return 'unknown';
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : '∞';
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) return Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), v]));
  if (value instanceof Set) return [...value];
  return value;
}
