import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FileSnapshotStore } from '../../../src/persistence/file-snapshot-store.js';
import { SnapshotOffsetError } from '../../../src/persistence/snapshot-receiver.js';
import { CorruptionError } from '../../../src/persistence/types.js';
import { removeDir, snapMeta, tempDir } from './helpers.js';

let leaderDir: string;
let followerDir: string;
let snapshotBytes: Buffer;
const data = new Uint8Array(10_000).map((_, i) => (i * 7) & 0xff);

beforeEach(async () => {
  leaderDir = await tempDir();
  followerDir = await tempDir();
  const leader = new FileSnapshotStore(leaderDir);
  await leader.save(snapMeta(42, 3), data);
  snapshotBytes = await readFile(join(leaderDir, 'snapshot-00000000000000000042-3.snap'));
});

afterEach(async () => {
  await removeDir(leaderDir);
  await removeDir(followerDir);
});

async function stream(store: FileSnapshotStore, bytes: Buffer, chunk: number) {
  const receiver = await store.beginReceive();
  for (let off = 0; off < bytes.length; off += chunk) {
    await receiver.write(off, bytes.subarray(off, off + chunk));
    expect(receiver.received).toBe(Math.min(bytes.length, off + chunk));
  }
  return receiver;
}

describe('snapshot receive', () => {
  test('chunks written in order are verified and installed under the snapshot name', async () => {
    const follower = new FileSnapshotStore(followerDir);
    const receiver = await stream(follower, snapshotBytes, 1000);
    const { meta, data: got } = await receiver.finish();
    expect(meta).toEqual(snapMeta(42, 3));
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
    expect(await readdir(followerDir)).toEqual(['snapshot-00000000000000000042-3.snap']);
    const loaded = await new FileSnapshotStore(followerDir).load();
    expect(loaded?.meta).toEqual(snapMeta(42, 3));
  });

  test('a chunk at the wrong offset is refused with the offset expected, and the stream can go on', async () => {
    const follower = new FileSnapshotStore(followerDir);
    const receiver = await follower.beginReceive();
    await receiver.write(0, snapshotBytes.subarray(0, 100));
    let err: unknown = null;
    try {
      await receiver.write(200, snapshotBytes.subarray(200, 300));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SnapshotOffsetError);
    expect(err instanceof SnapshotOffsetError ? [err.expected, err.got] : []).toEqual([100, 200]);
    await expect(receiver.write(0, snapshotBytes.subarray(0, 100))).rejects.toThrow(SnapshotOffsetError);
    expect(receiver.received).toBe(100);
    await receiver.write(100, snapshotBytes.subarray(100));
    expect((await receiver.finish()).meta.index).toBe(42);
  });

  test('finish verifies the whole file: a damaged stream is refused and leaves nothing behind', async () => {
    const follower = new FileSnapshotStore(followerDir);
    const damaged = Buffer.from(snapshotBytes);
    damaged[5000] ^= 0xff;
    const receiver = await stream(follower, damaged, 4096);
    await expect(receiver.finish()).rejects.toThrow(CorruptionError);
    expect(await readdir(followerDir)).toEqual([]);
    expect(await follower.load()).toBeNull();
  });

  test('finish on an incomplete stream is refused as truncated', async () => {
    const follower = new FileSnapshotStore(followerDir);
    const receiver = await stream(follower, snapshotBytes.subarray(0, snapshotBytes.length - 1), 4096);
    await expect(receiver.finish()).rejects.toThrow(/truncated/);
    expect(await readdir(followerDir)).toEqual([]);
  });

  test('abort removes the temp file; the receiver is unusable afterwards', async () => {
    const follower = new FileSnapshotStore(followerDir);
    const receiver = await stream(follower, snapshotBytes.subarray(0, 3000), 1000);
    expect((await readdir(followerDir)).filter((n) => n.endsWith('.tmp'))).toHaveLength(1);
    await receiver.abort();
    expect(await readdir(followerDir)).toEqual([]);
    await expect(receiver.write(3000, snapshotBytes.subarray(3000, 4000))).rejects.toThrow(/aborted/);
    await receiver.abort();
  });

  test('abort after finish keeps the installed snapshot', async () => {
    const follower = new FileSnapshotStore(followerDir);
    const receiver = await stream(follower, snapshotBytes, 8192);
    await receiver.finish();
    await receiver.abort();
    expect(await readdir(followerDir)).toEqual(['snapshot-00000000000000000042-3.snap']);
  });

  test('a receive applies retention like a local save', async () => {
    const follower = new FileSnapshotStore(followerDir);
    await follower.save(snapMeta(10, 1), new Uint8Array([1]));
    await follower.save(snapMeta(20, 2), new Uint8Array([2]));
    await (await stream(follower, snapshotBytes, 5000)).finish();
    expect((await readdir(followerDir)).sort()).toEqual([
      'snapshot-00000000000000000020-2.snap',
      'snapshot-00000000000000000042-3.snap',
    ]);
  });
});
