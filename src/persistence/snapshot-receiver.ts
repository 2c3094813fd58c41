// Follower side of a streamed snapshot: chunks land in a temp file strictly in
// order; the file is only renamed into place after fsync and full verification.
import { open, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { SnapshotMeta } from '../consensus/core/types.js';
import { isErrno, writeAll } from './fs-util.js';
import { parseSnapshotFile } from './snapshot-format.js';
import type { SnapshotReceiver } from './types.js';

/** A chunk did not start where the receiver expects; `expected` is what the leader should resend from. */
export class SnapshotOffsetError extends Error {
  override readonly name = 'SnapshotOffsetError';
  constructor(
    readonly expected: number,
    readonly got: number,
  ) {
    super(`snapshot chunk at offset ${got}, expected offset ${expected}`);
  }
}

/** What the receiver needs from its store: installing a verified file and forgetting the temp name. */
export interface ReceiverHost {
  install(tempPath: string, meta: SnapshotMeta): Promise<void>;
  release(tempName: string): void;
}

export class FileSnapshotReceiver implements SnapshotReceiver {
  private _received = 0;
  private busy = false;
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    private readonly path: string,
    private readonly tempName: string,
    private readonly host: ReceiverHost,
  ) {}

  static async create(dir: string, tempName: string, host: ReceiverHost): Promise<FileSnapshotReceiver> {
    const path = join(dir, tempName);
    const handle = await open(path, 'wx');
    return new FileSnapshotReceiver(handle, path, tempName, host);
  }

  get received(): number {
    return this._received;
  }

  async write(offset: number, chunk: Uint8Array): Promise<void> {
    this.assertUsable();
    if (offset !== this._received) throw new SnapshotOffsetError(this._received, offset);
    this.busy = true;
    try {
      await writeAll(this.handle, chunk, offset);
      this._received += chunk.length;
    } finally {
      this.busy = false;
    }
  }

  async finish(): Promise<{ meta: SnapshotMeta; data: Uint8Array }> {
    this.assertUsable();
    this.closed = true;
    try {
      try {
        await this.handle.sync();
      } catch (err) {
        await this.handle.close().catch(() => undefined);
        throw err;
      }
      await this.handle.close();
      const { meta, data } = parseSnapshotFile(await readFile(this.path), `${this.tempName} (received)`);
      await this.host.install(this.path, meta);
      return { meta, data };
    } catch (err) {
      // The first failure is what the caller must see; a failed cleanup is secondary.
      await this.removeTemp().catch(() => undefined);
      throw err;
    } finally {
      this.host.release(this.tempName);
    }
  }

  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close().catch(() => undefined);
    await this.removeTemp();
    this.host.release(this.tempName);
  }

  private assertUsable(): void {
    if (this.closed) throw new Error(`snapshot receiver ${this.tempName} is already finished or aborted`);
    if (this.busy) throw new Error(`snapshot receiver ${this.tempName}: a write is still in progress`);
  }

  private async removeTemp(): Promise<void> {
    try {
      await unlink(this.path);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }
}
