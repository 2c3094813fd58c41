import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryType, type Entry, type Membership, type SnapshotMeta } from '../../../src/consensus/core/types.js';

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'raft3d-persistence-'));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export function entry(index: number, term: number, text = `cmd-${index}-${term}`, type: EntryType = EntryType.Normal): Entry {
  return { index, term, type, data: new TextEncoder().encode(text) };
}

export function entries(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}

export const MEMBERSHIP: Membership = {
  members: [
    { id: 'n1', role: 'voter', raftAddress: 'n1:9001', httpAddress: 'n1:8080', incarnation: 'inc-1' },
    { id: 'n2', role: 'learner', raftAddress: 'n2:9001', httpAddress: 'n2:8080', incarnation: 'inc-2' },
  ],
};

export function snapMeta(index: number, term: number, membership: Membership = MEMBERSHIP): SnapshotMeta {
  return { index, term, membership };
}

export const IDENTITY = { clusterId: 'c-1', nodeId: 'n1', incarnation: 'inc-1' } as const;

/** Entries as plain comparable values (data as arrays), so Buffer and Uint8Array views compare equal. */
export function plain(list: readonly Entry[]): Array<{ index: number; term: number; type: number; data: number[] }> {
  return list.map((e) => ({ index: e.index, term: e.term, type: e.type, data: Array.from(e.data) }));
}
