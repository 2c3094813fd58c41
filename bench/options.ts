// Command line of `npm run bench -- [options]`.

export interface BenchOptions {
  readonly runs: number;
  readonly writeSeconds: number;
  readonly readSeconds: number;
  readonly warmupSeconds: number;
  readonly failoverReps: number;
  readonly catchUpWrites: number;
  readonly etcd: 'auto' | 'off';
  readonly json: string | null;
  readonly keepData: boolean;
  readonly dataParent: string | null;
  readonly phases: ReadonlySet<Phase>;
  /** Directory for V8 CPU profiles of the Raft3D nodes (written when they exit). */
  readonly cpuProf: string | null;
}

export const PHASES = ['load', 'failover', 'catch-up'] as const;
export type Phase = (typeof PHASES)[number];

export const USAGE = `npm run bench -- [options]
  --runs N               full runs, one after another; the last table shows medians (1)
  --write-secs S         seconds per write row (10)
  --read-secs S          seconds per read row (5)
  --warmup S             seconds of unrecorded writes before the first row, per system (2)
  --reps N               leader kills (and SIGTERMs) per run (5)
  --catch-up-writes N    writes while one member is down (100000)
  --no-etcd              measure Raft3D only, even when etcd is installed
  --smoke                a seconds-long run that only checks the benchmark works
  --json FILE            write every figure as JSON (default bench/results/bench-<time>.json)
  --data-parent DIR      where the clusters' temporary data directories go (the OS temp dir)
  --phases LIST          which parts to run, comma-separated: load,failover,catch-up (all)
  --cpu-prof DIR         run the Raft3D nodes with node --cpu-prof, profiles in DIR
  --keep-data            keep data directories and logs`;

export function parseOptions(argv: readonly string[]): BenchOptions {
  let o: BenchOptions = {
    runs: 1,
    writeSeconds: 10,
    readSeconds: 5,
    warmupSeconds: 2,
    failoverReps: 5,
    catchUpWrites: 100_000,
    etcd: 'auto',
    json: null,
    keepData: false,
    dataParent: null,
    phases: new Set(PHASES),
    cpuProf: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const num = (min: number, max: number): number => {
      const n = Number(value());
      if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${a} must be a number in [${min}, ${max}]`);
      return n;
    };
    switch (a) {
      case '--runs':
        o = { ...o, runs: Math.round(num(1, 20)) };
        break;
      case '--write-secs':
        o = { ...o, writeSeconds: num(0.1, 600) };
        break;
      case '--read-secs':
        o = { ...o, readSeconds: num(0.1, 600) };
        break;
      case '--warmup':
        o = { ...o, warmupSeconds: num(0, 60) };
        break;
      case '--reps':
        o = { ...o, failoverReps: Math.round(num(1, 50)) };
        break;
      case '--catch-up-writes':
        o = { ...o, catchUpWrites: Math.round(num(64, 10_000_000)) };
        break;
      case '--no-etcd':
        o = { ...o, etcd: 'off' };
        break;
      case '--smoke':
        o = { ...o, writeSeconds: 0.5, readSeconds: 0.5, warmupSeconds: 0, failoverReps: 1, catchUpWrites: 500 };
        break;
      case '--json':
        o = { ...o, json: value() };
        break;
      case '--data-parent':
        o = { ...o, dataParent: value() };
        break;
      case '--phases': {
        const list = value().split(',').filter(Boolean);
        const unknown = list.filter((p) => !(PHASES as readonly string[]).includes(p));
        if (unknown.length > 0 || list.length === 0) throw new Error(`--phases takes a list of ${PHASES.join(', ')}`);
        o = { ...o, phases: new Set(list as Phase[]) };
        break;
      }
      case '--cpu-prof':
        o = { ...o, cpuProf: value() };
        break;
      case '--keep-data':
        o = { ...o, keepData: true };
        break;
      default:
        throw new Error(`unknown option ${a}\n${USAGE}`);
    }
  }
  return o;
}
