// Simulated snapshot files of one node. `SnapshotFiles` is the directory and
// outlives process crashes; `SimSnapshotStore` is one process's handle on it
// (the SnapshotStore the runtime pieces use). Files use the production format
// (header, payload, CRC) and are verified with the production parser. A save
// or a received file becomes visible only when its fsync completes through
// the event queue; a crash before that leaves nothing (the temp file is
// deleted at start, as FileSnapshotStore does). Like FileSnapshotStore it
// keeps the newest two files.
import type { SnapshotMeta } from '../../../src/consensus/core/types.js';
import type { SnapshotFile, SnapshotReceiver, SnapshotStore } from '../../../src/persistence/types.js';
import { encodeCrc, encodeSnapshotHead, parseSnapshotFile } from '../../../src/persistence/snapshot-format.js';
import { FsyncError } from './disk.js';

const RETAIN = 2;

export interface StoredFile {
  readonly meta: SnapshotMeta;
  readonly bytes: Buffer;
}

export function encodeSnapshotFile(meta: SnapshotMeta, data: Uint8Array): Buffer {
  const head = encodeSnapshotHead(meta, data.length);
  return Buffer.concat([head, data, encodeCrc(head, data)]);
}

/** The snapshot directory: durable files, newest first. */
export class SnapshotFiles {
  files: StoredFile[] = [];

  install(file: StoredFile): void {
    const rest = this.files.filter((f) => f.meta.index !== file.meta.index || f.meta.term !== file.meta.term);
    rest.push(file);
    rest.sort((a, b) => b.meta.index - a.meta.index || b.meta.term - a.meta.term);
    this.files = rest.slice(0, RETAIN);
  }

  /** FileSnapshotStore.load: the newest file, verified (throws CorruptionError when damaged). */
  loadNewest(): { meta: SnapshotMeta; data: Uint8Array } | null {
    const newest = this.files[0];
    return newest === undefined ? null : parseSnapshotFile(newest.bytes, `snapshot-${newest.meta.index}-${newest.meta.term}`);
  }

  wipe(): void {
    this.files = [];
  }
}

export interface SnapshotStoreEnv {
  /** Runs `fn` after `delay` unless this process died meanwhile. */
  schedule(delay: number, fn: () => void): void;
  latency(): number;
  fsyncFails(): boolean;
  /** Called on every use: the caller continues in a microtask the simulator must let run. */
  touch(): void;
}

export class SimSnapshotStore implements SnapshotStore {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: SnapshotFiles,
    private readonly env: SnapshotStoreEnv,
  ) {}

  save(meta: SnapshotMeta, data: Uint8Array): Promise<void> {
    this.env.touch();
    const bytes = encodeSnapshotFile(meta, data);
    return this.serial(() => this.synced({ meta, bytes }));
  }

  load(): Promise<{ meta: SnapshotMeta; data: Uint8Array } | null> {
    this.env.touch();
    try {
      return Promise.resolve(this.dir.loadNewest());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  latest(): Promise<SnapshotFile | null> {
    this.env.touch();
    const newest = this.dir.files[0];
    if (newest === undefined) return Promise.resolve(null);
    const env = this.env;
    const file: SnapshotFile = {
      meta: newest.meta,
      size: newest.bytes.length,
      read(offset: number, length: number): Promise<Uint8Array> {
        env.touch();
        const end = Math.min(newest.bytes.length, offset + Math.max(0, length));
        return Promise.resolve(new Uint8Array(newest.bytes.subarray(Math.min(offset, end), end)));
      },
    };
    return Promise.resolve(file);
  }

  beginReceive(): Promise<SnapshotReceiver> {
    this.env.touch();
    const chunks: Buffer[] = [];
    let received = 0;
    let closed = false;
    const receiver: SnapshotReceiver = {
      get received() {
        return received;
      },
      write: (offset: number, chunk: Uint8Array): Promise<void> => {
        this.env.touch();
        if (closed) return Promise.reject(new Error('snapshot receiver already finished or aborted'));
        if (offset !== received) return Promise.reject(new RangeError(`snapshot chunk at offset ${offset}, expected ${received}`));
        chunks.push(Buffer.from(chunk));
        received += chunk.length;
        return Promise.resolve();
      },
      finish: (): Promise<{ meta: SnapshotMeta; data: Uint8Array }> => {
        this.env.touch();
        if (closed) return Promise.reject(new Error('snapshot receiver already finished or aborted'));
        closed = true;
        let parsed: { meta: SnapshotMeta; data: Uint8Array };
        const bytes = Buffer.concat(chunks);
        try {
          parsed = parseSnapshotFile(bytes, 'received snapshot');
        } catch (err) {
          return Promise.reject(err instanceof Error ? err : new Error(String(err)));
        }
        return this.serial(() => this.synced({ meta: parsed.meta, bytes })).then(() => parsed);
      },
      abort: (): Promise<void> => {
        this.env.touch();
        closed = true;
        return Promise.resolve();
      },
    };
    return Promise.resolve(receiver);
  }

  /** Completes after one fsync: the file is then durable and visible. */
  private synced(file: StoredFile): Promise<void> {
    return new Promise((resolve, reject) => {
      this.env.schedule(this.env.latency(), () => {
        this.env.touch();
        if (this.env.fsyncFails()) {
          reject(new FsyncError('fsync failed while writing a snapshot file'));
          return;
        }
        this.dir.install(file);
        resolve();
      });
    });
  }

  private serial(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
