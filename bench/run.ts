// `npm run bench`: Raft3D's benchmark, side by side with a 3-member etcd when
// Debian's etcd-server is installed. Each run starts its own clusters, drives
// them in turn (never at the same time) with the same closed-loop generator and
// request sizes, and prints a table with the ratios.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCluster } from './cluster.js';
import { EtcdCluster, findEtcd } from './etcd-cluster.js';
import { USAGE, parseOptions, type BenchOptions } from './options.js';
import { Raft3dCluster } from './raft3d-cluster.js';
import { runSuites, type SuiteResult, type SystemUnderTest } from './suite.js';
import { figuresOf, medianFigures, ratiosOf, renderTable, type Figures } from './table.js';
import { EtcdWorkload, KeyPool, Raft3dWorkload } from './workloads.js';

// dist/bench/run.js → the repository root
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const active = new Set<BenchCluster>();

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('-h') || argv.includes('--help')) {
    say(USAGE);
    return;
  }
  const o = parseOptions(argv);
  const etcd = o.etcd === 'off' ? null : findEtcd();
  const dataParent = o.dataParent ?? tmpdir();
  const cpu = cpus();
  say(`# Raft3D benchmark ${new Date().toISOString()}`);
  say(`machine: ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  say(
    etcd
      ? `baseline: ${etcd.bin} (etcd ${etcd.version}), started the same way on the same machine`
      : o.etcd === 'off'
        ? 'baseline: etcd left out (--no-etcd)'
        : 'baseline: etcd is not installed (apt-get install -y etcd-server) — only Raft3D is measured',
  );
  say(`settings: writes ${o.writeSeconds} s, reads ${o.readSeconds} s, ${o.failoverReps} kills per failover row, ${o.catchUpWrites} writes during catch-up, data under ${dataParent}`);

  const runs: { ours: SuiteResult; theirs: SuiteResult | null }[] = [];
  for (let run = 1; run <= o.runs; run++) {
    say(`\n## run ${run}/${o.runs}`);
    const systems: SystemUnderTest[] = [];
    const keys = new KeyPool();
    systems.push({ cluster: new Raft3dCluster(join(root, 'dist', 'main.js'), dataParent, o.keepData, nodeArgs(o)), workload: new Raft3dWorkload(keys) });
    if (etcd) {
      const etcdKeys = new KeyPool();
      systems.push({ cluster: new EtcdCluster(etcd.bin, etcd.version, dataParent, o.keepData), workload: new EtcdWorkload(etcdKeys) });
    }
    for (const s of systems) active.add(s.cluster);
    let results: SuiteResult[];
    try {
      results = await runSuites(systems, {
        writeSeconds: o.writeSeconds,
        readSeconds: o.readSeconds,
        warmupSeconds: o.warmupSeconds,
        failoverReps: o.failoverReps,
        catchUpWrites: o.catchUpWrites,
        phases: o.phases,
        log: say,
      });
    } finally {
      for (const s of systems) active.delete(s.cluster);
    }
    const ours = results[0]!;
    const theirs = results[1] ?? null;
    runs.push({ ours, theirs });
    say('');
    say(table(figuresOf(ours), theirs ? figuresOf(theirs) : null, etcd ? `etcd ${etcd.version}` : null, o));
  }
  if (o.runs > 1) {
    const ours = medianFigures(runs.map((r) => figuresOf(r.ours)));
    const theirs = etcd ? medianFigures(runs.map((r) => (r.theirs ? figuresOf(r.theirs) : {}))) : null;
    // Each run's ratio compares two systems measured minutes apart at most; the
    // median of those ratios is steadier than a ratio of medians on a shared machine.
    const ratios = etcd ? medianFigures(runs.map((r) => (r.theirs ? ratiosOf(figuresOf(r.ours), figuresOf(r.theirs)) : {}))) : undefined;
    say(`\n## medians of ${o.runs} runs (ratio: median of the per-run ratios)`);
    say(table(ours, theirs, etcd ? `etcd ${etcd.version}` : null, o, ratios));
  }
  const out = o.json ?? join(root, 'bench', 'results', `bench-${new Date().toISOString().replace(/[:.]/g, '')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ options: { ...o, phases: [...o.phases] }, machine: { cpus: cpu.length, model: cpu[0]?.model, node: process.version }, etcd, runs }, null, 2));
  say(`\nraw figures: ${out}`);
}

function nodeArgs(o: BenchOptions): string[] {
  if (o.cpuProf === null) return [];
  mkdirSync(o.cpuProf, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${resolve(o.cpuProf)}`];
}

function table(ours: Figures, theirs: Figures | null, theirLabel: string | null, o: BenchOptions, ratios?: Figures): string {
  return renderTable(ours, theirs, {
    ours: 'Raft3D',
    theirs: theirLabel,
    failoverReps: o.failoverReps,
    catchUpWrites: o.catchUpWrites,
    ...(ratios !== undefined ? { ratios } : {}),
  });
}

async function abort(signal: string): Promise<void> {
  say(`\n${signal}: stopping the clusters`);
  await Promise.all([...active].map((c) => c.stop().catch(() => undefined)));
  process.exit(130);
}

process.on('SIGINT', () => void abort('SIGINT'));
process.on('SIGTERM', () => void abort('SIGTERM'));
main().catch(async (error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  await Promise.all([...active].map((c) => c.stop().catch(() => undefined)));
  process.exit(1);
});
