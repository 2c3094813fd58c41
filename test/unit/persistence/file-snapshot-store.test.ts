import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { readFile, readdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileSnapshotStore } from '../../../src/persistence/file-snapshot-store.js';
import { CorruptionError } from '../../../src/persistence/types.js';
import { removeDir, snapMeta, tempDir } from './helpers.js';

let dir: string;

beforeEach(async () => {
  dir = await tempDir();
});

afterEach(async () => {
  await removeDir(dir);
});

function payload(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

const NAME_7 = 'snapshot-00000000000000000007-2.snap';

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  return null;
}

async function expectCorrupt(store: FileSnapshotStore, pattern: RegExp): Promise<void> {
  const err = await errorOf(store.load());
  expect(err).toBeInstanceOf(CorruptionError);
  expect(err instanceof Error ? err.message : '').toMatch(pattern);
}

describe('FileSnapshotStore', () => {
  test('empty store: load and latest give null', async () => {
    const store = new FileSnapshotStore(dir);
    expect(await store.load()).toBeNull();
    expect(await store.latest()).toBeNull();
  });

  test('save then load returns the same meta and bytes, under the documented name', async () => {
    const store = new FileSnapshotStore(dir);
    const data = payload(5000, 1);
    await store.save(snapMeta(7, 2), data);
    expect(await readdir(dir)).toEqual([NAME_7]);
    const loaded = await new FileSnapshotStore(dir).load();
    expect(loaded?.meta).toEqual(snapMeta(7, 2));
    expect(Buffer.from(loaded!.data).equals(Buffer.from(data))).toBe(true);
  });

  test('an empty payload is a valid snapshot', async () => {
    const store = new FileSnapshotStore(dir);
    await store.save(snapMeta(1, 1), new Uint8Array(0));
    const loaded = await store.load();
    expect(loaded?.data.length).toBe(0);
    expect(loaded?.meta.index).toBe(1);
  });

  test('the file layout is magic, header length, header, payload length, payload, crc', async () => {
    const store = new FileSnapshotStore(dir);
    await store.save(snapMeta(7, 2), new Uint8Array([9, 8, 7]));
    const bytes = await readFile(join(dir, NAME_7));
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('R3DSNAP1');
    const headerLength = bytes.readUInt32BE(8);
    expect(bytes.length).toBe(8 + 4 + headerLength + 8 + 3 + 4);
    expect(bytes.readUInt32BE(12 + headerLength + 4)).toBe(3);
    expect(Array.from(bytes.subarray(20 + headerLength, 23 + headerLength))).toEqual([9, 8, 7]);
  });

  test('retention keeps the newest two; newest is by index, then term', async () => {
    const store = new FileSnapshotStore(dir);
    await store.save(snapMeta(10, 1), payload(10, 1));
    await store.save(snapMeta(30, 2), payload(10, 2));
    await store.save(snapMeta(20, 2), payload(10, 3));
    expect((await readdir(dir)).sort()).toEqual([
      'snapshot-00000000000000000020-2.snap',
      'snapshot-00000000000000000030-2.snap',
    ]);
    await store.save(snapMeta(30, 3), payload(10, 4));
    expect((await store.load())?.meta).toEqual(snapMeta(30, 3));
    expect((await readdir(dir)).sort()).toEqual([
      'snapshot-00000000000000000030-2.snap',
      'snapshot-00000000000000000030-3.snap',
    ]);
  });

  test('a truncated file is reported with expected and actual size', async () => {
    const store = new FileSnapshotStore(dir);
    await store.save(snapMeta(7, 2), payload(1000, 1));
    const full = (await readFile(join(dir, NAME_7))).length;
    await truncate(join(dir, NAME_7), full - 10);
    await expectCorrupt(store, new RegExp(`${NAME_7}: truncated or damaged, lengths say ${full} bytes but the file has ${full - 10}`));
  });

  test('a file shorter than the frame is reported as truncated', async () => {
    const store = new FileSnapshotStore(dir);
    await store.save(snapMeta(7, 2), payload(100, 1));
    await truncate(join(dir, NAME_7), 5);
    await expectCorrupt(store, /truncated, 5 bytes/);
  });

  test('a flipped payload byte fails the checksum', async () => {
    const store = new FileSnapshotStore(dir);
    await store.save(snapMeta(7, 2), payload(1000, 1));
    const bytes = await readFile(join(dir, NAME_7));
    bytes[500] ^= 0x04;
    await writeFile(join(dir, NAME_7), bytes);
    await expectCorrupt(store, new RegExp(`${NAME_7}: checksum mismatch \\(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\\)`));
  });

  test('a wrong magic is reported with both values', async () => {
    const store = new FileSnapshotStore(dir);
    await store.save(snapMeta(7, 2), payload(100, 1));
    const bytes = await readFile(join(dir, NAME_7));
    bytes.write('XXXXXXX2', 0, 'latin1');
    await writeFile(join(dir, NAME_7), bytes);
    await expectCorrupt(store, /wrong magic \(expected 523344534e415031, found 5858585858585832\)/);
  });

  test('a file whose header disagrees with its name is refused', async () => {
    const store = new FileSnapshotStore(dir);
    await store.save(snapMeta(7, 2), payload(100, 1));
    const bytes = await readFile(join(dir, NAME_7));
    await writeFile(join(dir, 'snapshot-00000000000000000009-2.snap'), bytes);
    await expectCorrupt(store, /header says index 7 term 2, the name says index 9 term 2/);
  });

  test('only the newest file counts: a damaged newest is not silently skipped', async () => {
    const store = new FileSnapshotStore(dir);
    await store.save(snapMeta(5, 1), payload(100, 1));
    await store.save(snapMeta(7, 2), payload(100, 2));
    await truncate(join(dir, NAME_7), 50);
    await expect(store.load()).rejects.toThrow(CorruptionError);
  });

  test('latest() describes the newest file and reads its raw bytes at any offset', async () => {
    const store = new FileSnapshotStore(dir);
    await store.save(snapMeta(5, 1), payload(100, 1));
    await store.save(snapMeta(7, 2), payload(3000, 2));
    const file = await store.latest();
    const raw = await readFile(join(dir, NAME_7));
    expect(file?.meta).toEqual(snapMeta(7, 2));
    expect(file?.size).toBe(raw.length);
    const parts: Buffer[] = [];
    for (let off = 0; off < file!.size; off += 1024) parts.push(Buffer.from(await file!.read(off, 1024)));
    expect(Buffer.concat(parts).equals(raw)).toBe(true);
    expect((await file!.read(raw.length - 3, 100)).length).toBe(3);
    expect((await file!.read(raw.length + 5, 100)).length).toBe(0);
    await expect(file!.read(-1, 10)).rejects.toThrow(RangeError);
  });

  test('latest() refuses a file with a damaged frame', async () => {
    const store = new FileSnapshotStore(dir);
    await store.save(snapMeta(7, 2), payload(100, 1));
    await truncate(join(dir, NAME_7), 60);
    await expect(store.latest()).rejects.toThrow(CorruptionError);
  });

  test('a new instance removes leftover temp files and keeps snapshots', async () => {
    const first = new FileSnapshotStore(dir);
    await first.save(snapMeta(7, 2), payload(10, 1));
    await writeFile(join(dir, `${NAME_7.replace('07-2', '08-2')}.tmp`), 'partial');
    await writeFile(join(dir, 'receive-abc.tmp'), 'partial');
    new FileSnapshotStore(dir);
    expect(await readdir(dir)).toEqual([NAME_7]);
  });

  test('save removes stray temp files but not those of a receive in progress', async () => {
    const store = new FileSnapshotStore(dir);
    const receiver = await store.beginReceive();
    await writeFile(join(dir, 'stray.tmp'), 'x');
    await store.save(snapMeta(7, 2), payload(10, 1));
    const names = await readdir(dir);
    expect(names).not.toContain('stray.tmp');
    expect(names.filter((n) => n.startsWith('receive-'))).toHaveLength(1);
    await receiver.abort();
    expect(await readdir(dir)).toEqual([NAME_7]);
  });
});
