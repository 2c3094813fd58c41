// Snapshot files are named by index (zero-padded, so names sort like indexes) and term.
import type { SnapshotMeta } from '../consensus/core/types.js';

const NAME = /^snapshot-(\d{20})-(\d+)\.snap$/;
export const TEMP_SUFFIX = '.tmp';

export interface SnapshotName {
  readonly name: string;
  readonly index: number;
  readonly term: number;
}

export function snapshotFileName(meta: Pick<SnapshotMeta, 'index' | 'term'>): string {
  return `snapshot-${String(meta.index).padStart(20, '0')}-${meta.term}.snap`;
}

export function parseSnapshotFileName(name: string): SnapshotName | null {
  const match = NAME.exec(name);
  if (match === null) return null;
  const index = Number(match[1]);
  const term = Number(match[2]);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(term)) return null;
  return { name, index, term };
}

/** Newest first: by index, then term. */
export function newestFirst(names: readonly string[]): SnapshotName[] {
  const parsed: SnapshotName[] = [];
  for (const name of names) {
    const p = parseSnapshotFileName(name);
    if (p !== null) parsed.push(p);
  }
  return parsed.sort((a, b) => b.index - a.index || b.term - a.term);
}

export function isTempName(name: string): boolean {
  return name.endsWith(TEMP_SUFFIX);
}
