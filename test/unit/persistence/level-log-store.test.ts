import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { ClassicLevel } from 'classic-level';
import { EntryType } from '../../../src/consensus/core/types.js';
import { LevelLogStore } from '../../../src/persistence/level-log-store.js';
import type { StoredLog } from '../../../src/persistence/types.js';
import { IDENTITY, entries, entry, plain, removeDir, snapMeta, tempDir } from './helpers.js';

let dir: string;
let store: LevelLogStore;

beforeEach(async () => {
  dir = await tempDir();
  store = new LevelLogStore(dir);
});

afterEach(async () => {
  await store.close();
  await removeDir(dir);
});

async function reopen(): Promise<StoredLog> {
  await store.close();
  store = new LevelLogStore(dir);
  return store.open();
}

describe('LevelLogStore', () => {
  test('a fresh directory opens empty', async () => {
    const log = await store.open();
    expect(log).toEqual({ identity: null, hardState: { term: 0, vote: '', commit: 0 }, snapshot: null, entries: [] });
  });

  test('entries, hard state and identity survive a restart exactly', async () => {
    await store.open();
    await store.saveIdentity(IDENTITY);
    const written = [entry(1, 1, 'config', EntryType.Config), ...entries(2, 5, 2), entry(6, 3, '')];
    await store.save({ term: 3, vote: 'n2', commit: 4 }, written);
    const log = await reopen();
    expect(log.identity).toEqual(IDENTITY);
    expect(log.hardState).toEqual({ term: 3, vote: 'n2', commit: 4 });
    expect(log.snapshot).toBeNull();
    expect(plain(log.entries)).toEqual(plain(written));
    expect(log.entries[0]!.type).toBe(EntryType.Config);
    expect(log.entries[5]!.data.length).toBe(0);
  });

  test('hard state alone can be saved, and entries without a hard state keep the old one', async () => {
    await store.open();
    await store.save({ term: 2, vote: 'n1', commit: 0 }, []);
    await store.save(undefined, entries(1, 3, 2));
    const log = await reopen();
    expect(log.hardState).toEqual({ term: 2, vote: 'n1', commit: 0 });
    expect(log.entries.map((e) => e.index)).toEqual([1, 2, 3]);
  });

  test('a conflicting tail is replaced: shorter new suffix deletes the old longer one', async () => {
    await store.open();
    await store.save({ term: 2, vote: '', commit: 2 }, [...entries(1, 3, 1), ...entries(4, 8, 2)]);
    await store.save({ term: 3, vote: 'n3', commit: 2 }, entries(4, 5, 3));
    const log = await reopen();
    expect(log.entries.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 3],
      [5, 3],
    ]);
    // Appending after the truncation continues from 6, not from the old last index 8.
    await store.save(undefined, entries(6, 6, 3));
    const again = await reopen();
    expect(again.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('compaction records the snapshot (with membership) and drops entries up to compactTo', async () => {
    await store.open();
    await store.save({ term: 2, vote: '', commit: 8 }, entries(1, 10, 2));
    await store.saveSnapshot(snapMeta(8, 2), 5, false);
    const log = await reopen();
    expect(log.snapshot).toEqual(snapMeta(8, 2));
    // Entries 6..8 are kept on disk as trailing log but are not "after the snapshot".
    expect(log.entries.map((e) => e.index)).toEqual([9, 10]);
    await store.saveSnapshot(snapMeta(10, 2), 10, false);
    const after = await reopen();
    expect(after.snapshot).toEqual(snapMeta(10, 2));
    expect(after.entries).toEqual([]);
    await store.save(undefined, entries(11, 12, 2));
    expect((await reopen()).entries.map((e) => e.index)).toEqual([11, 12]);
  });

  test('discardLog removes every entry, then the log continues after the snapshot', async () => {
    await store.open();
    await store.save({ term: 3, vote: '', commit: 3 }, entries(1, 6, 3));
    await store.saveSnapshot(snapMeta(20, 4), 20, true);
    const log = await reopen();
    expect(log.snapshot).toEqual(snapMeta(20, 4));
    expect(log.entries).toEqual([]);
    await store.save({ term: 4, vote: '', commit: 21 }, entries(21, 22, 4));
    expect((await reopen()).entries.map((e) => e.index)).toEqual([21, 22]);
  });

  test('a snapshot beyond the log without discard: the old trailing entries are dropped on the next append', async () => {
    await store.open();
    await store.save({ term: 2, vote: '', commit: 3 }, entries(1, 3, 2));
    await store.saveSnapshot(snapMeta(10, 2), 1, false);
    expect((await reopen()).entries).toEqual([]);
    await store.save({ term: 2, vote: '', commit: 10 }, entries(11, 11, 2));
    const log = await reopen();
    expect(log.entries.map((e) => e.index)).toEqual([11]);
  });

  test('identity: clusterId may be set once when empty, nothing else may change', async () => {
    await store.open();
    const joining = { clusterId: '', nodeId: 'n4', incarnation: 'inc-4' };
    await store.saveIdentity(joining);
    await store.saveIdentity({ ...joining, clusterId: 'c-9' });
    await expect(store.saveIdentity({ ...joining, clusterId: 'c-10' })).rejects.toThrow(RangeError);
    await expect(store.saveIdentity({ ...joining, clusterId: 'c-9', incarnation: 'other' })).rejects.toThrow(RangeError);
    // A refused call is a caller error, not a disk failure: the store keeps working.
    await store.save({ term: 1, vote: '', commit: 0 }, []);
    expect((await reopen()).identity).toEqual({ clusterId: 'c-9', nodeId: 'n4', incarnation: 'inc-4' });
  });

  test('writes that would break the log invariants are refused and nothing is written', async () => {
    await store.open();
    await store.save({ term: 2, vote: '', commit: 2 }, entries(1, 3, 2));
    await expect(store.save(undefined, entries(5, 5, 2))).rejects.toThrow(/gap/);
    await expect(store.save(undefined, [entry(4, 2), entry(6, 2)])).rejects.toThrow(/contiguous/);
    await expect(store.save(undefined, entries(4, 4, 1))).rejects.toThrow(/term/);
    await expect(store.save({ term: 2, vote: '', commit: 9 }, [])).rejects.toThrow(/commit 9/);
    await expect(store.save({ term: 1, vote: '', commit: 2 }, [])).rejects.toThrow(/term 1/);
    await expect(store.saveSnapshot(snapMeta(2, 2), 3, false)).rejects.toThrow(/compactTo/);
    await store.saveSnapshot(snapMeta(2, 2), 2, false);
    await expect(store.saveSnapshot(snapMeta(1, 1), 1, false)).rejects.toThrow(/older/);
    await expect(store.save(undefined, entries(2, 2, 2))).rejects.toThrow(/snapshot/);
    const log = await reopen();
    expect(log.hardState).toEqual({ term: 2, vote: '', commit: 2 });
    expect(log.snapshot?.index).toBe(2);
    expect(log.entries.map((e) => e.index)).toEqual([3]);
  });

  test('the first entry of an empty store must be 1, or follow the snapshot', async () => {
    await store.open();
    await expect(store.save(undefined, entries(2, 2, 1))).rejects.toThrow(/gap/);
    await store.saveSnapshot(snapMeta(5, 1), 5, true);
    await expect(store.save(undefined, entries(7, 7, 1))).rejects.toThrow(/gap/);
    await store.save({ term: 1, vote: '', commit: 5 }, entries(6, 6, 1));
    expect((await reopen()).entries.map((e) => e.index)).toEqual([6]);
  });

  test('large indexes and terms round-trip (beyond 32 bits)', async () => {
    await store.open();
    const big = 2 ** 40 + 7;
    await store.saveSnapshot(snapMeta(big, 2 ** 33), big, true);
    await store.save({ term: 2 ** 33 + 1, vote: '', commit: big + 1 }, [entry(big + 1, 2 ** 33 + 1)]);
    const log = await reopen();
    expect(log.snapshot?.index).toBe(big);
    expect(log.entries.map((e) => [e.index, e.term])).toEqual([[big + 1, 2 ** 33 + 1]]);
    expect(log.hardState.commit).toBe(big + 1);
  });

  test('concurrent calls are applied in call order', async () => {
    await store.open();
    const writes = [
      store.save({ term: 1, vote: '', commit: 0 }, entries(1, 5, 1)),
      store.save(undefined, entries(6, 8, 1)),
      store.save({ term: 2, vote: '', commit: 3 }, entries(4, 4, 2)),
    ];
    await Promise.all(writes);
    const log = await reopen();
    expect(log.entries.map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 2],
    ]);
  });

  test('writes after close are refused; open twice is refused', async () => {
    await store.open();
    await expect(store.open()).rejects.toThrow(/already/);
    await store.close();
    await expect(store.save(undefined, entries(1, 1, 1))).rejects.toThrow(/not open/);
  });
});

describe('LevelLogStore after a failed write (B34)', () => {
  test('a write error rejects, and every later write fails with it even once the disk works again', async () => {
    await store.open();
    await store.save({ term: 1, vote: '', commit: 0 }, entries(1, 2, 1));
    const db: unknown = Reflect.get(store, 'db');
    if (!(db instanceof ClassicLevel)) throw new Error('expected the LevelDB handle');
    await db.close();
    const first = store.save(undefined, entries(3, 3, 1));
    await expect(first).rejects.toThrow();
    const cause = await first.catch((err: unknown) => err);
    await db.open();
    await expect(store.save(undefined, entries(3, 3, 1))).rejects.toBe(cause);
    await expect(store.saveIdentity(IDENTITY)).rejects.toBe(cause);
    await store.close();
    store = new LevelLogStore(dir);
    expect((await store.open()).entries.map((e) => e.index)).toEqual([1, 2]);
  });
});
