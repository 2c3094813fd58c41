// `npm run cluster`: a local 3-node Raft3D cluster on 127.0.0.1. node1
// bootstraps, node2 and node3 join it; data lives under ./data/. Running it
// again resumes the same cluster (the flags are ignored by nodes with state).
// Ctrl-C stops all three gracefully.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, createWriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataRoot = resolve(process.env['RAFT3D_DATA_ROOT'] ?? join(root, 'data'));
const main = join(root, 'dist', 'main.js');

interface NodeSpec {
  readonly id: string;
  readonly http: string;
  readonly raft: string;
  readonly extra: readonly string[];
}

const nodes: NodeSpec[] = [1, 2, 3].map((i) => ({
  id: `node${i}`,
  http: `127.0.0.1:${8000 + i}`,
  raft: `127.0.0.1:${9000 + i}`,
  extra: i === 1 ? ['-bootstrap'] : ['-join=127.0.0.1:8001'],
}));

const children = new Map<string, ChildProcess>();
let stopping = false;

function start(spec: NodeSpec): void {
  const dataDir = join(dataRoot, spec.id);
  mkdirSync(dataDir, { recursive: true });
  const logFile = createWriteStream(join(dataRoot, `${spec.id}.log`), { flags: 'a' });
  const child = spawn(process.execPath, [main, `-id=${spec.id}`, `-http=${spec.http}`, `-raft=${spec.raft}`, `-data=${dataDir}`, ...spec.extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(spec.id, child);
  for (const stream of [child.stdout, child.stderr]) {
    stream.pipe(logFile, { end: false });
    createInterface({ input: stream }).on('line', (line) => printInteresting(spec.id, line));
  }
  child.on('exit', (code, signal) => {
    children.delete(spec.id);
    if (!stopping) process.stdout.write(`[${spec.id}] exited (${signal ?? code}); see ${join(dataRoot, `${spec.id}.log`)}\n`);
    if (stopping && children.size === 0) process.exit(0);
  });
}

/** Shows the log lines a person running the cluster cares about; everything goes to data/<node>.log. */
function printInteresting(id: string, line: string): void {
  try {
    const rec = JSON.parse(line) as { level?: number; msg?: string; context?: string; err?: { message?: string } };
    if (rec.context !== undefined && (rec.level ?? 30) < 40) return; // Nest's start-up chatter
    if ((rec.level ?? 30) >= 40 || /elected leader|joined|bootstrapped|resumed|membership change|snapshot|shutting|stopped/.test(rec.msg ?? '')) {
      const cause = rec.err?.message ? `: ${rec.err.message}` : '';
      process.stdout.write(`[${id}] ${rec.msg ?? line}${cause}\n`);
    }
  } catch {
    process.stdout.write(`[${id}] ${line}\n`);
  }
}

interface Status {
  leader_id: string | null;
  members: { id: string; role: string }[];
}

async function statusOf(n: NodeSpec): Promise<Status | string> {
  try {
    const res = await fetch(`http://${n.http}/cluster/status`, { signal: AbortSignal.timeout(1000) });
    return (await res.json()) as Status;
  } catch (error) {
    return children.has(n.id) ? `not answering (${(error as Error).message})` : 'not running';
  }
}

function describe(n: NodeSpec, st: Status | string): string {
  if (typeof st === 'string') return `  ${n.id}  ${st}`;
  const me = st.members.find((m) => m.id === n.id);
  return `  ${n.id}  ${me ? me.role : 'not a member'}, leader ${st.leader_id ?? 'unknown'}, members ${st.members.map((m) => `${m.id}:${m.role}`).join(' ')}`;
}

/** Every node answers, all agree on one leader, and all see every node as a voter. */
function formed(views: (Status | string)[]): views is Status[] {
  const statuses = views.filter((v): v is Status => typeof v !== 'string');
  if (statuses.length !== nodes.length) return false;
  const leader = statuses[0]!.leader_id;
  return leader !== null && statuses.every((v) => v.leader_id === leader && v.members.filter((m) => m.role === 'voter').length === nodes.length);
}

async function waitForCluster(): Promise<void> {
  const deadline = Date.now() + 60_000;
  let views: (Status | string)[] = [];
  while (Date.now() < deadline && !stopping) {
    views = await Promise.all(nodes.map((n) => statusOf(n)));
    if (formed(views)) {
      const st = views[0]!;
      {
        const leader = nodes.find((n) => n.id === st.leader_id);
        process.stdout.write('\nRaft3D cluster is up:\n');
        for (const n of nodes) process.stdout.write(`  ${n.id}  http://${n.http}${n.id === st.leader_id ? '   (leader)' : ''}\n`);
        process.stdout.write(`\nTry: curl -s -X POST http://${leader?.http ?? nodes[0]!.http}/api/v1/printers -H 'content-type: application/json' -d '{"company":"Creality","model":"Ender 3"}'\n`);
        process.stdout.write('Data in ' + dataRoot + '. Ctrl-C stops all three nodes.\n\n');
        return;
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (stopping) return;
  process.stdout.write(`The cluster did not form within 60 s. What each node reports:\n${nodes.map((n, i) => describe(n, views[i] ?? 'unknown')).join('\n')}\n`);
  process.stdout.write(`Full logs: ${dataRoot}/<node>.log. Is another copy of a node still running (pgrep -fa dist/main.js)?\n`);
}

function stopAll(): void {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\nStopping the cluster...\n');
  if (children.size === 0) process.exit(0);
  for (const child of children.values()) child.kill('SIGTERM');
  setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(0);
  }, 10_000).unref();
}

process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);
mkdirSync(dataRoot, { recursive: true });
for (const spec of nodes) start(spec);
void waitForCluster();
