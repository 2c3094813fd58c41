// Child process of test/integration/persistence/kill-during-write.test.ts.
// Appends synced batches to a LevelLogStore (compiled by the test) and, every few
// batches, writes a snapshot file and compacts the log, printing each step only
// after it is durable. The test SIGKILLs it at random moments.
// Usage: node log-writer-child.mjs <buildDir> <dataDir> <term> <seed>
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { entryPayload, snapshotPayload } from './persistence-payloads.mjs';

const [buildDir, dataDir, termArg, seedArg] = process.argv.slice(2);
const term = Number(termArg);
let seed = Number(seedArg) >>> 0 || 1;
function rand(n) {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return (seed >>> 8) % n;
}

const { LevelLogStore } = await import(pathToFileURL(join(buildDir, 'persistence/level-log-store.js')).href);
const { FileSnapshotStore } = await import(pathToFileURL(join(buildDir, 'persistence/file-snapshot-store.js')).href);

const log = new LevelLogStore(join(dataDir, 'raft'));
const snapshots = new FileSnapshotStore(join(dataDir, 'snapshots'));
const stored = await log.open();
if (stored.identity === null) await log.saveIdentity({ clusterId: 'crash', nodeId: 'n1', incarnation: 'inc-1' });
let last = stored.entries.at(-1)?.index ?? stored.snapshot?.index ?? 0;
let commit = stored.hardState.commit;
await log.save({ term, vote: 'n1', commit }, []);
process.stdout.write('ready\n');

const membership = { members: [{ id: 'n1', role: 'voter', raftAddress: 'n1:1', httpAddress: 'n1:2', incarnation: 'inc-1' }] };
for (let batch = 1; ; batch++) {
  const count = 1 + rand(50);
  const entries = [];
  for (let i = 1; i <= count; i++) entries.push({ index: last + i, term, type: 0, data: entryPayload(last + i, term) });
  const previous = last;
  commit = previous;
  await log.save({ term, vote: 'n1', commit }, entries);
  last += count;
  process.stdout.write(`ack ${last}\n`);
  // Snapshot at an entry written by this run, whose term is known to be `term`.
  if (batch % 4 === 0) {
    const meta = { index: previous, term, membership };
    await snapshots.save(meta, snapshotPayload(meta.index));
    await log.saveSnapshot(meta, Math.max(0, meta.index - 20), false);
    process.stdout.write(`snap ${meta.index}\n`);
  }
}
