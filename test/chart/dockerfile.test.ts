// There is no container engine here: the Dockerfile's key properties are checked as text.
import { describe, test, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDockerfile, type Stage } from '../support/dockerfile.js';
import { repoRoot } from '../support/helm.js';

const stages = parseDockerfile(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
const runtime = stages[stages.length - 1]!;
const args = (stage: Stage, instruction: string): string[] => stage.instructions.filter((i) => i.instruction === instruction).map((i) => i.args);

describe('Dockerfile', () => {
  test('multi-stage: build, production dependencies and runtime, each on Node 22 slim', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'deps', 'runtime']);
    for (const s of stages) expect(s.from).toMatch(/^node:22(\.\d+)*-(bookworm-|bullseye-|trixie-)?slim(@sha256:[0-9a-f]{64})?$/);
  });

  test('the runtime stage holds production dependencies only and no npm step of its own', () => {
    const deps = stages.find((s) => s.name === 'deps')!;
    expect(args(deps, 'RUN').join(' ')).toMatch(/npm ci --omit=dev --ignore-scripts/);
    expect(args(runtime, 'RUN').join(' ')).not.toMatch(/\bnpm\b/);
    const copies = args(runtime, 'COPY');
    expect(copies).toContain('--from=deps /app/node_modules ./node_modules');
    expect(copies).toContain('--from=build /app/dist ./dist');
    // "type": "module" in package.json makes Node load dist/*.js as ES modules.
    expect(copies).toContain('package.json ./');
    expect(copies.some((c) => c.includes('--from=build') && c.includes('node_modules'))).toBe(false);
  });

  test('runs as uid 10001 after every root-only step', () => {
    const user = runtime.instructions.findIndex((i) => i.instruction === 'USER');
    expect(args(runtime, 'USER')).toEqual(['10001:10001']);
    const lastRun = runtime.instructions.map((i) => i.instruction).lastIndexOf('RUN');
    expect(user).toBeGreaterThan(lastRun);
    expect(args(runtime, 'RUN').join(' ')).toMatch(/chown -R 10001:10001 \/var\/lib\/raft3d/);
  });

  test('exec-form entrypoint: node dist/main.js is PID 1, no shell, no npm', () => {
    expect(args(runtime, 'ENTRYPOINT').map((a) => JSON.parse(a) as unknown)).toEqual([['node', 'dist/main.js']]);
    expect(args(runtime, 'CMD')).toEqual([]);
    expect(args(runtime, 'SHELL')).toEqual([]);
  });

  test('data directory on a volume; nothing else needs a writable root filesystem', () => {
    expect(args(runtime, 'ENV').join(' ')).toMatch(/RAFT3D_DATA=\/var\/lib\/raft3d\/data/);
    expect(args(runtime, 'VOLUME')).toEqual(['["/var/lib/raft3d"]']);
    expect(args(runtime, 'ENV').join(' ')).toMatch(/NODE_ENV=production/);
  });

  test('.dockerignore keeps local state and secrets-prone folders out of the build context', () => {
    const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['.git', 'node_modules', 'dist', 'data', '.tools', 'test', 'charts', 'k8s']) expect(ignored).toContain(entry);
    for (const needed of ['src', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) expect(ignored).not.toContain(needed);
  });
});

describe('the Dockerfile parser (it must be able to fail)', () => {
  test('joins continuation lines, drops comments and resolves ARG in FROM', () => {
    const parsed = parseDockerfile('ARG B=node:22-slim\n# c\nFROM ${B} AS one\nRUN a \\\n  && b\nFROM one AS two\nCMD npm start\n');
    expect(parsed.map((s) => [s.name, s.from])).toEqual([['one', 'node:22-slim'], ['two', 'one']]);
    expect(parsed[0]!.instructions).toEqual([{ instruction: 'RUN', args: 'a && b' }]);
    expect(parsed[1]!.instructions).toEqual([{ instruction: 'CMD', args: 'npm start' }]);
  });
});
