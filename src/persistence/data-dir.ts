// Layout of a node's data directory: <path>/raft (LevelDB) and <path>/snapshots.
import { mkdir, rename, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { FileSnapshotStore } from './file-snapshot-store.js';
import { fsyncDir, isErrno } from './fs-util.js';
import { LevelLogStore } from './level-log-store.js';

export interface DataDir {
  readonly logStore: LevelLogStore;
  readonly snapshotStore: FileSnapshotStore;
}

export async function openDataDir(path: string): Promise<DataDir> {
  const raft = join(path, 'raft');
  const snapshots = join(path, 'snapshots');
  await mkdir(raft, { recursive: true });
  await mkdir(snapshots, { recursive: true });
  return { logStore: new LevelLogStore(raft), snapshotStore: new FileSnapshotStore(snapshots) };
}

/**
 * Renames a data directory out of the way (a removed member that must rejoin with a
 * new incarnation). Data is never deleted: an operator may still need it.
 * Returns the new path.
 */
export async function moveAside(dataDir: string, now: Date = new Date()): Promise<string> {
  // resolve() drops a trailing slash, which would otherwise put the target inside the directory.
  const path = resolve(dataDir);
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('.', '-');
  const base = `${path}.removed-${stamp}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    const target = attempt === 0 ? base : `${base}-${attempt}`;
    if (await exists(target)) continue;
    await rename(path, target);
    await fsyncDir(dirname(path));
    return target;
  }
  throw new Error(`cannot move ${basename(path)} aside: 100 candidate names are taken`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}
