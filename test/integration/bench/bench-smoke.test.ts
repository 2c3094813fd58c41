// A seconds-long run of `npm run bench` (--smoke) so that the benchmark keeps
// working: it must build, start its own cluster(s), fill every row of the
// table and write its JSON. The figures themselves are not judged here (the
// benchmark measures them, not timed tests); only that they exist and that
// Raft3D answered every request with a 2xx.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../support/process-cluster.js';

const RUN_TIMEOUT_MS = 240_000;
const runJs = join(repoRoot, 'dist', 'bench', 'run.js');
const work = mkdtempSync(join(tmpdir(), 'raft3d-bench-smoke-'));
const jsonPath = join(work, 'result.json');
let child: ChildProcess | null = null;
let stdout = '';
let exitCode: number | null = null;

const ROW_NAMES = [
  'create job, 1 client',
  'create job, 16 clients',
  'create job, 64 clients',
  'status transition, 64 clients',
  'read job by id (linearizable), 64 clients',
  'read job by id (stale), 64 clients',
  'kill -9 leader: writes unavailable',
  'SIGTERM leader: writes unavailable',
  'restarted member catches up after 500 writes',
  'that member: resident memory (RSS)',
  'largest RSS of the 3 members then',
  'that member: process start to ready',
];

interface LoadFigures {
  ok: number;
  rps: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  p50: number | null;
  p99: number | null;
}

interface SmokeJson {
  runs: {
    ours: {
      label: string;
      load: Record<string, LoadFigures>;
      kill: { reps: { windowMs: number | null }[] };
      term: { reps: { windowMs: number | null }[] };
      catchUp: { catchUpMs: number | null; readyMs: number | null; rssBytes: number | null };
    };
    theirs: { label: string } | null;
  }[];
}

function compileBench(): Promise<void> {
  return new Promise((resolve, reject) => {
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    execFile(process.execPath, [tsc, '-p', join(repoRoot, 'bench', 'tsconfig.json')], { cwd: repoRoot, timeout: 120_000 }, (err, out, errOut) =>
      err ? reject(new Error(`bench does not compile: ${out}${errOut}`)) : resolve(),
    );
  });
}

function runSmoke(): Promise<void> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env['NODE_OPTIONS'];
    child = spawn(process.execPath, [runJs, '--smoke', '--json', jsonPath, '--data-parent', work], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.on('exit', (code) => {
      exitCode = code;
      child = null;
      resolve();
    });
  });
}

beforeAll(async () => {
  if (!existsSync(join(repoRoot, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first (npm test does)');
  await compileBench();
  await runSmoke();
}, RUN_TIMEOUT_MS + 120_000);

afterAll(async () => {
  const running = child as ChildProcess | null;
  if (running !== null) {
    // The benchmark stops the clusters it started when it gets SIGTERM.
    const exited = new Promise<void>((r) => running.once('exit', () => r()));
    running.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
  }
  rmSync(work, { recursive: true, force: true });
}, 30_000);

describe('npm run bench -- --smoke', () => {
  test('exits 0 and prints every row of the table', () => {
    if (exitCode !== 0) throw new Error(`bench exited with ${String(exitCode)}:\n${stdout}`);
    for (const name of ROW_NAMES) {
      const line = stdout.split('\n').find((l) => l.startsWith(`| ${name}`));
      expect(line).toBeDefined();
      // The Raft3D cell of every row holds a figure.
      const cells = line!.split('|').map((c) => c.trim());
      expect(cells[2]).toMatch(/^\d+(\.\d+)?(\/s| ms| MB)/);
    }
  });

  test('Raft3D answered every request of every load row with a 2xx', () => {
    const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as SmokeJson;
    const ours = json.runs[0]!.ours;
    expect(ours.label).toBe('Raft3D');
    const rows = ['create1', 'create16', 'create64', 'transition64', 'read64', 'stale64'];
    for (const row of rows) {
      const r = ours.load[row]!;
      expect(r.ok).toBeGreaterThan(0);
      expect({ row, failed: r.non2xx + r.errors + r.timeouts }).toEqual({ row, failed: 0 });
      expect(r.p50).not.toBeNull();
      expect(r.p99!).toBeGreaterThanOrEqual(r.p50!);
    }
  });

  test('writes came back after each leader stop, and the restarted member caught up', () => {
    const ours = (JSON.parse(readFileSync(jsonPath, 'utf8')) as SmokeJson).runs[0]!.ours;
    for (const rep of [...ours.kill.reps, ...ours.term.reps]) expect(rep.windowMs).not.toBeNull();
    expect(ours.catchUp.catchUpMs).not.toBeNull();
    expect(ours.catchUp.readyMs).not.toBeNull();
    expect(ours.catchUp.rssBytes!).toBeGreaterThan(0);
  });

  test('names the baseline: etcd measured in the same run, or why it is missing', () => {
    const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as SmokeJson;
    const theirs = json.runs[0]!.theirs;
    if (theirs === null) expect(stdout).toMatch(/etcd is not installed/);
    else expect(theirs.label).toMatch(/^etcd /);
  });
});
