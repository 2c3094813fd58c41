// T3 real-storage crash test: a child process appends synced batches (and writes
// snapshots + compacts) on real classic-level and snapshot files, and is SIGKILLed
// at random moments. After every kill the store must reopen with every
// acknowledged entry present, contiguous, with valid checksums and a coherent
// hard state. SIGKILL keeps the page cache: this checks process-crash atomicity.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileSnapshotStore } from '../../../src/persistence/file-snapshot-store.js';
import { LevelLogStore } from '../../../src/persistence/level-log-store.js';
import type { StoredLog } from '../../../src/persistence/types.js';
import { entryPayload, snapshotPayload } from '../../support/persistence-payloads.mjs';
import { removeDir, tempDir } from '../../unit/persistence/helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BUILD_DIR = join(ROOT, '.test-artifacts', 'persistence-crash-build');
const CHILD = join(ROOT, 'test', 'support', 'log-writer-child.mjs');
const KILLS = 15;
const READY_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 5_000;

/** Compiles only the persistence module (not the whole tree), so the test does not depend on others' work in progress. */
async function buildPersistence(): Promise<void> {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [
    tsc,
    '--outDir', BUILD_DIR,
    '--rootDir', join(ROOT, 'src'),
    '--module', 'nodenext',
    '--moduleResolution', 'nodenext',
    '--target', 'ES2022',
    '--strict',
    '--skipLibCheck',
    join(ROOT, 'src', 'persistence', 'level-log-store.ts'),
    join(ROOT, 'src', 'persistence', 'file-snapshot-store.ts'),
  ], { cwd: ROOT, stdio: 'pipe' });
  await mkdir(BUILD_DIR, { recursive: true });
  await writeFile(join(BUILD_DIR, 'package.json'), '{ "type": "module" }\n');
}

interface RunResult {
  readonly acked: number;
  readonly snapAcked: number;
  readonly stderr: string;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`, or `onTimeout` after `ms`; the timer is cleared so no handle outlives the test. */
async function within<T, U>(promise: Promise<T>, ms: number, onTimeout: U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<U>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts the child, lets it write for `writeMs` after it is ready, SIGKILLs it. */
async function runAndKill(dataDir: string, term: number, seed: number, writeMs: number): Promise<RunResult> {
  const child = spawn(process.execPath, [CHILD, BUILD_DIR, dataDir, String(term), String(seed)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let acked = 0;
  let snapAcked = 0;
  let stderr = '';
  let pending = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const [word, value] = line.split(' ');
      if (word === 'ready') onReady();
      else if (word === 'ack') acked = Number(value);
      else if (word === 'snap') snapAcked = Number(value);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const early = await within(
    Promise.race([ready.then(() => 'ready' as const), exited.then(() => 'exited' as const)]),
    READY_TIMEOUT_MS,
    'timeout' as const,
  );
  if (early !== 'ready') {
    child.kill('SIGKILL');
    throw new Error(`child did not get ready (${early}): ${stderr}`);
  }
  await delay(writeMs);
  child.kill('SIGKILL');
  const exit = await within(exited, EXIT_TIMEOUT_MS, null);
  if (exit === null) throw new Error('child did not exit after SIGKILL');
  if (exit.signal !== 'SIGKILL') throw new Error(`child exited on its own (code ${exit.code}): ${stderr}`);
  return { acked, snapAcked, stderr };
}

function lastIndex(log: StoredLog): number {
  return log.entries[log.entries.length - 1]?.index ?? log.snapshot?.index ?? 0;
}

let dataDir = '';

beforeAll(async () => {
  await buildPersistence();
  dataDir = await tempDir();
}, 120_000);

afterAll(async () => {
  if (dataDir !== '') await removeDir(dataDir);
});

describe('kill during write', () => {
  test(`${KILLS} SIGKILLs at random moments lose no acknowledged write`, async () => {
    const seed = Date.now() % 1_000_000;
    let rng = seed;
    const next = (n: number): number => {
      rng = (Math.imul(rng, 1103515245) + 12345) >>> 0;
      return (rng >>> 8) % n;
    };
    let maxAcked = 0;
    let maxSnapAcked = 0;
    let sawSnapshot = false;
    for (let kill = 1; kill <= KILLS; kill++) {
      const context = `seed ${seed}, kill ${kill}`;
      const run = await runAndKill(dataDir, kill, seed + kill, 20 + next(300));
      maxAcked = Math.max(maxAcked, run.acked);
      maxSnapAcked = Math.max(maxSnapAcked, run.snapAcked);

      // open() itself verifies every checksum, contiguity and hard-state coherence.
      const store = new LevelLogStore(join(dataDir, 'raft'));
      let log: StoredLog;
      try {
        log = await store.open();
      } finally {
        await store.close();
      }
      const last = lastIndex(log);
      expect({ context, covered: last >= maxAcked }).toEqual({ context, covered: true });
      expect(log.hardState.term).toBe(kill);
      expect(log.hardState.commit).toBeLessThanOrEqual(last);
      const start = (log.snapshot?.index ?? 0) + 1;
      log.entries.forEach((e, i) => {
        expect(e.index).toBe(start + i);
        expect(Buffer.from(e.data).equals(Buffer.from(entryPayload(e.index, e.term)))).toBe(true);
      });
      expect(log.snapshot?.index ?? 0).toBeGreaterThanOrEqual(maxSnapAcked);

      // The snapshot file is written before the log records it (B29): never behind the log.
      const snapshot = await new FileSnapshotStore(join(dataDir, 'snapshots')).load();
      if (log.snapshot !== null) {
        sawSnapshot = true;
        expect(snapshot).not.toBeNull();
        expect(snapshot!.meta.index).toBeGreaterThanOrEqual(log.snapshot.index);
      }
      if (snapshot !== null) {
        expect(Buffer.from(snapshot.data).equals(Buffer.from(snapshotPayload(snapshot.meta.index)))).toBe(true);
      }
    }
    expect(maxAcked).toBeGreaterThan(0);
    expect(sawSnapshot).toBe(true);
  }, 120_000);
});
