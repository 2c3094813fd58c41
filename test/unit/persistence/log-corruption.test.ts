import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { ClassicLevel } from 'classic-level';
import { EntryType } from '../../../src/consensus/core/types.js';
import { encodeEntryValue, entryKey } from '../../../src/persistence/entry-codec.js';
import { LevelLogStore } from '../../../src/persistence/level-log-store.js';
import { encodeHardState, encodeSnapshotMeta } from '../../../src/persistence/meta-codec.js';
import { CorruptionError } from '../../../src/persistence/types.js';
import { IDENTITY, entries, removeDir, snapMeta, tempDir } from './helpers.js';

let dir: string;

beforeEach(async () => {
  dir = await tempDir();
  const store = new LevelLogStore(dir);
  await store.open();
  await store.saveIdentity(IDENTITY);
  await store.save({ term: 2, vote: 'n1', commit: 5 }, entries(1, 10, 2));
  await store.close();
});

afterEach(async () => {
  await removeDir(dir);
});

/** Edits the closed store through a second, raw handle. */
async function tamper(edit: (db: ClassicLevel<Buffer, Buffer>) => Promise<void>): Promise<void> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  try {
    await edit(db);
  } finally {
    await db.close();
  }
}

async function openError(): Promise<unknown> {
  const store = new LevelLogStore(dir);
  try {
    await store.open();
  } catch (err) {
    return err;
  } finally {
    await store.close();
  }
  return null;
}

async function expectCorruption(pattern: RegExp): Promise<void> {
  const err = await openError();
  expect(err).toBeInstanceOf(CorruptionError);
  expect(err instanceof Error ? err.message : '').toMatch(pattern);
}

describe('LevelLogStore corruption detection', () => {
  test('the untouched store opens', async () => {
    expect(await openError()).toBeNull();
  });

  test('a flipped byte in an entry payload names the entry and its key', async () => {
    await tamper(async (db) => {
      const key = entryKey(7);
      const value = await db.get(key);
      if (value === undefined) throw new Error('entry 7 missing');
      value[value.length - 1] ^= 0x01;
      await db.put(key, value);
    });
    await expectCorruption(/entry 7 \(key 650000000000000007\): checksum mismatch/);
  });

  test('a flipped bit in the term field is caught too', async () => {
    await tamper(async (db) => {
      const value = (await db.get(entryKey(3)))!;
      value[11] ^= 0x80;
      await db.put(entryKey(3), value);
    });
    await expectCorruption(/entry 3 .*checksum mismatch/);
  });

  test('an entry copied under another index fails its checksum (the key is covered)', async () => {
    await tamper(async (db) => {
      await db.put(entryKey(4), (await db.get(entryKey(5)))!);
    });
    await expectCorruption(/entry 4 .*checksum mismatch/);
  });

  test('a truncated record is reported as too short', async () => {
    await tamper(async (db) => {
      await db.put(entryKey(2), Buffer.from([1, 2, 3]));
    });
    await expectCorruption(/entry 2 .*shorter than its 13-byte header/);
  });

  test('a missing entry in the middle is a gap', async () => {
    await tamper((db) => db.del(entryKey(6)));
    await expectCorruption(/log gap: entry 7 follows entry 5/);
  });

  test('a missing first entry without a snapshot is reported', async () => {
    await tamper((db) => db.del(entryKey(1)));
    await expectCorruption(/starts at entry 2 but there is no snapshot/);
  });

  test('a lost tail below the commit index: commit > last index', async () => {
    await tamper(async (db) => {
      await db.batch([6, 7, 8, 9, 10].map((i) => ({ type: 'del' as const, key: entryKey(i) })));
      await db.put(Buffer.from('mh'), encodeHardState({ term: 2, vote: 'n1', commit: 8 }));
    });
    await expectCorruption(/commit 8 is beyond the last log index 5/);
  });

  test('a hard state term below the last entry term is reported', async () => {
    await tamper((db) => db.put(Buffer.from('mh'), encodeHardState({ term: 1, vote: '', commit: 5 })));
    await expectCorruption(/hard state term 1 is lower than term 2 of last entry 10/);
  });

  test('a flipped byte in the hard state record is reported', async () => {
    await tamper(async (db) => {
      const value = (await db.get(Buffer.from('mh')))!;
      value[value.length - 1] ^= 0xff;
      await db.put(Buffer.from('mh'), value);
    });
    await expectCorruption(/hard state \(key 6d68\): checksum mismatch/);
  });

  test('a gap between the snapshot and the first entry is reported', async () => {
    await tamper(async (db) => {
      await db.put(Buffer.from('ms'), encodeSnapshotMeta(snapMeta(3, 2)));
      await db.batch([1, 2, 3, 4, 5].map((i) => ({ type: 'del' as const, key: entryKey(i) })));
    });
    await expectCorruption(/log gap after snapshot 3: first entry is 6/);
  });

  test('a damaged snapshot metadata record is reported', async () => {
    await tamper(async (db) => {
      const value = encodeSnapshotMeta(snapMeta(3, 2));
      value[6] ^= 0x10;
      await db.put(Buffer.from('ms'), value);
    });
    await expectCorruption(/snapshot metadata .*checksum mismatch/);
  });

  test('terms going backwards inside the log are reported', async () => {
    await tamper(async (db) => {
      // Entry 9 rewritten with a valid checksum but term 1: only the structural check can see it.
      const key = entryKey(9);
      await db.put(key, encodeEntryValue(key, { index: 9, term: 1, type: EntryType.Normal, data: new Uint8Array([1]) }));
    });
    await expectCorruption(/entry 9 has term 1, lower than term 2 of entry 8/);
  });
});
