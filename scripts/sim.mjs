#!/usr/bin/env node
// Longer simulator searches and replays, outside `npm test`:
//   npm run test:sim -- --seeds 1000 [--start 5000] [--steps 2000] [--workers 2] [--canary a,b] [--faithful]
//   npm run test:sim -- --seed 1234 [--steps 2000]        (replay one seed; artifacts in .test-artifacts/sim/1234/)
// The options travel to test/sim/search.sim.ts through SIM_* environment variables; with
// --workers W the seed range is split over W jest processes running side by side.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parse(argv) {
  const opts = { seeds: undefined, start: 1, steps: 2000, seed: undefined, workers: 1, canary: '', faithful: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--seeds':
        opts.seeds = Number(value());
        break;
      case '--start':
        opts.start = Number(value());
        break;
      case '--steps':
        opts.steps = Number(value());
        break;
      case '--seed':
        opts.seed = Number(value());
        break;
      case '--workers':
        opts.workers = Number(value());
        break;
      case '--canary':
        opts.canary = value();
        break;
      case '--faithful':
        opts.faithful = true;
        break;
      case '--help':
      case '-h':
        console.log('usage: npm run test:sim -- (--seed S | --seeds N [--start S0] [--workers W]) [--steps M] [--canary a,b] [--faithful]');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${arg} (try --help)`);
    }
  }
  for (const k of ['start', 'steps', 'workers']) {
    if (!Number.isSafeInteger(opts[k]) || opts[k] < (k === 'start' ? 0 : 1)) throw new Error(`--${k} must be a positive integer`);
  }
  if (opts.seed === undefined && opts.seeds === undefined) opts.seeds = 100;
  return opts;
}

function runJest(env) {
  return new Promise((resolve) => {
    const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
    const child = spawn(
      process.execPath,
      ['--experimental-vm-modules', jest, '--rootDir', root, '--testMatch', '<rootDir>/test/sim/search.sim.ts', '--runInBand'],
      { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } },
    );
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

const opts = parse(process.argv.slice(2));
const common = { SIM_STEPS: String(opts.steps), SIM_CANARY: opts.canary, SIM_FAITHFUL: opts.faithful ? '1' : '' };
let codes;
if (opts.seed !== undefined) {
  codes = [await runJest({ ...common, SIM_SEED: String(opts.seed) })];
} else {
  const per = Math.ceil(opts.seeds / opts.workers);
  const runs = [];
  for (let w = 0; w < opts.workers; w++) {
    const start = opts.start + w * per;
    const count = Math.min(per, opts.start + opts.seeds - start);
    if (count > 0) runs.push(runJest({ ...common, SIM_START: String(start), SIM_SEEDS: String(count) }));
  }
  codes = await Promise.all(runs);
}
process.exit(codes.every((c) => c === 0) ? 0 : 1);
