import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { moveAside, openDataDir } from '../../../src/persistence/data-dir.js';
import { IDENTITY, entries, removeDir, snapMeta, tempDir } from './helpers.js';

let root: string;

beforeEach(async () => {
  root = await tempDir();
});

afterEach(async () => {
  await removeDir(root);
});

describe('data directory', () => {
  test('openDataDir creates raft/ and snapshots/ and both stores work', async () => {
    const path = join(root, 'node-a');
    const { logStore, snapshotStore } = await openDataDir(path);
    expect((await readdir(path)).sort()).toEqual(['raft', 'snapshots']);
    await logStore.open();
    await logStore.saveIdentity(IDENTITY);
    await logStore.save({ term: 1, vote: '', commit: 1 }, entries(1, 2, 1));
    await snapshotStore.save(snapMeta(1, 1), new Uint8Array([1, 2]));
    await logStore.close();
    const again = await openDataDir(path);
    const log = await again.logStore.open();
    expect(log.identity).toEqual(IDENTITY);
    expect(log.entries).toHaveLength(2);
    expect((await again.snapshotStore.load())?.meta.index).toBe(1);
    await again.logStore.close();
  });

  test('moveAside renames the directory with a timestamp and keeps its content', async () => {
    const path = join(root, 'node-b');
    await openDataDir(path);
    await writeFile(join(path, 'marker'), 'keep me');
    const now = new Date('2024-05-06T07:08:09.123Z');
    const moved = await moveAside(`${path}/`, now);
    expect(basename(moved)).toBe('node-b.removed-20240506T070809-123Z');
    expect((await readdir(moved)).sort()).toEqual(['marker', 'raft', 'snapshots']);
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  test('moveAside twice at the same instant picks distinct names', async () => {
    const path = join(root, 'node-c');
    const now = new Date('2024-05-06T07:08:09.123Z');
    await openDataDir(path);
    const first = await moveAside(path, now);
    await openDataDir(path);
    const second = await moveAside(path, now);
    expect(second).toBe(`${first}-1`);
    expect((await readdir(root)).sort()).toEqual([basename(first), basename(second)]);
  });
});
