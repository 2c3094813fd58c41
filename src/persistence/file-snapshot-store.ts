// SnapshotStore on plain files (format in snapshot-format.ts). A file becomes
// visible under its final name only after it is complete and fsynced, and the
// rename itself is made durable by fsyncing the directory (B29).
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { SnapshotMeta } from '../consensus/core/types.js';
import { fsyncDir, isErrno, readAt, writeAll } from './fs-util.js';
import {
  PREAMBLE_LENGTH,
  encodeCrc,
  encodeSnapshotHead,
  headPrefixLength,
  parseSnapshotFile,
  parseSnapshotHead,
} from './snapshot-format.js';
import { isTempName, newestFirst, snapshotFileName, TEMP_SUFFIX, type SnapshotName } from './snapshot-names.js';
import { FileSnapshotReceiver, type ReceiverHost } from './snapshot-receiver.js';
import { CorruptionError, type SnapshotFile, type SnapshotReceiver, type SnapshotStore } from './types.js';

/** The newest and the one before: the log store may still point at the older one (B29). */
const DEFAULT_RETAIN = 2;

export class FileSnapshotStore implements SnapshotStore {
  /** Temp files of saves and receives in progress, which pruning must not touch. */
  private readonly active = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private readonly host: ReceiverHost = {
    install: (tempPath, meta) => this.serial(() => this.install(tempPath, meta)),
    release: (tempName) => this.active.delete(tempName),
  };

  constructor(
    readonly dir: string,
    private readonly retain: number = DEFAULT_RETAIN,
  ) {
    if (!Number.isInteger(retain) || retain < 1) throw new RangeError(`retain must be ≥ 1, got ${retain}`);
    mkdirSync(dir, { recursive: true });
    // Temp files left by a crash are never complete snapshots: a new instance owns none of them.
    for (const name of readdirSync(dir)) {
      if (isTempName(name)) unlinkSync(join(dir, name));
    }
  }

  save(meta: SnapshotMeta, data: Uint8Array): Promise<void> {
    return this.serial(async () => {
      const tempName = `${snapshotFileName(meta)}${TEMP_SUFFIX}`;
      const tempPath = join(this.dir, tempName);
      this.active.add(tempName);
      try {
        const head = encodeSnapshotHead(meta, data.length);
        const handle = await open(tempPath, 'w');
        try {
          await writeAll(handle, head, 0);
          await writeAll(handle, data, head.length);
          await writeAll(handle, encodeCrc(head, data), head.length + data.length);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await this.install(tempPath, meta);
      } catch (err) {
        await unlink(tempPath).catch(() => undefined);
        throw err;
      } finally {
        this.active.delete(tempName);
      }
    });
  }

  async load(): Promise<{ meta: SnapshotMeta; data: Uint8Array } | null> {
    const newest = (await this.list())[0];
    if (newest === undefined) return null;
    const parsed = parseSnapshotFile(await readFile(join(this.dir, newest.name)), newest.name);
    checkNameMatches(newest, parsed.meta);
    return parsed;
  }

  async latest(): Promise<SnapshotFile | null> {
    const newest = (await this.list())[0];
    if (newest === undefined) return null;
    const path = join(this.dir, newest.name);
    const handle = await open(path, 'r');
    let size: number;
    let meta: SnapshotMeta;
    try {
      size = (await handle.stat()).size;
      const preamble = await readAt(handle, 0, PREAMBLE_LENGTH);
      const prefix =
        preamble.length < PREAMBLE_LENGTH ? preamble : await readAt(handle, 0, Math.min(size, headPrefixLength(preamble)));
      meta = parseSnapshotHead(prefix, size, newest.name).meta;
    } finally {
      await handle.close();
    }
    checkNameMatches(newest, meta);
    return new StoredSnapshotFile(path, meta, size);
  }

  async beginReceive(): Promise<SnapshotReceiver> {
    const tempName = `receive-${randomUUID()}${TEMP_SUFFIX}`;
    this.active.add(tempName);
    try {
      return await FileSnapshotReceiver.create(this.dir, tempName, this.host);
    } catch (err) {
      this.active.delete(tempName);
      throw err;
    }
  }

  /** Renames a verified, fsynced temp file into place and prunes old files. Runs inside serial(). */
  private async install(tempPath: string, meta: SnapshotMeta): Promise<void> {
    await rename(tempPath, join(this.dir, snapshotFileName(meta)));
    await fsyncDir(this.dir);
    await this.prune();
  }

  private async prune(): Promise<void> {
    const names = await readdir(this.dir);
    const doomed = newestFirst(names)
      .slice(this.retain)
      .map((s) => s.name);
    for (const name of names) {
      if (isTempName(name) && !this.active.has(name)) doomed.push(name);
    }
    for (const name of doomed) {
      try {
        await unlink(join(this.dir, name));
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
      }
    }
  }

  private async list(): Promise<SnapshotName[]> {
    return newestFirst(await readdir(this.dir));
  }

  /** Saves and installs run one at a time, so pruning never races a rename. */
  private serial(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function checkNameMatches(name: SnapshotName, meta: SnapshotMeta): void {
  if (name.index !== meta.index || name.term !== meta.term) {
    throw new CorruptionError(
      `snapshot ${name.name}: header says index ${meta.index} term ${meta.term}, the name says index ${name.index} term ${name.term}`,
    );
  }
}

class StoredSnapshotFile implements SnapshotFile {
  constructor(
    private readonly path: string,
    readonly meta: SnapshotMeta,
    readonly size: number,
  ) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new RangeError(`invalid read of ${length} bytes at offset ${offset}`);
    }
    const wanted = Math.min(length, Math.max(0, this.size - offset));
    if (wanted === 0) return new Uint8Array(0);
    const handle = await open(this.path, 'r');
    try {
      const bytes = await readAt(handle, offset, wanted);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    } finally {
      await handle.close();
    }
  }
}
