// Catalogue entries (reference §3) that live outside the Raft core: the
// runtime's read path and fail-stop, the domain's idempotency and snapshots,
// the stores, the chunked snapshot transfer. Each test is named after its bug
// id; known-bugs.test.ts checks that scripts, these tests and the
// not-applicable list together cover B1–B34 exactly.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { makeMessage } from '../../src/consensus/core/messages.js';
import { EntryType, MessageType, type Entry, type SnapshotMeta } from '../../src/consensus/core/types.js';
import { ReadBatcher } from '../../src/consensus/runtime/read-batcher.js';
import { SnapshotInbox } from '../../src/consensus/runtime/snapshot-inbox.js';
import { SnapshotSender } from '../../src/consensus/runtime/snapshot-sender.js';
import type { SnapshotAck, SnapshotChunk } from '../../src/consensus/transport/frames.js';
import { decodeCommand } from '../../src/domain/commands.js';
import { PrintFarmStateMachine, type CommandResult } from '../../src/domain/print-farm.state-machine.js';
import { openDataDir } from '../../src/persistence/data-dir.js';
import { entryKey } from '../../src/persistence/entry-codec.js';
import { FileSnapshotStore } from '../../src/persistence/file-snapshot-store.js';
import { LevelLogStore } from '../../src/persistence/level-log-store.js';
import { snapshotFileName, TEMP_SUFFIX } from '../../src/persistence/snapshot-names.js';
import { CorruptionError } from '../../src/persistence/types.js';
import { DEFAULT_OPTIONS, membershipOf } from '../support/core-network.js';
import { ScriptCluster } from '../support/raft-script/cluster.js';
import { at, filament, job, printer, status } from '../unit/domain/commands.fixture.js';
import { IDENTITY, entries, removeDir, tempDir } from '../unit/persistence/helpers.js';
import { peer, settle, startNode } from './known-bugs-fakes.js';

const MEMBERS = membershipOf(['n1', 'n2', 'n3']);

interface Replica {
  sm: PrintFarmStateMachine;
  /** How many of the node's applied entries the state machine has seen. */
  upTo: number;
}

/** Polls `cond` every millisecond (file I/O completes on libuv's pool, not in a fixed number of turns); bounded. */
async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise<void>((resolve) => setTimeout(resolve, 1));
  }
}

describe('known Raft bugs outside the core', () => {
  let dirs: string[] = [];

  beforeEach(() => {
    dirs = [];
  });

  afterEach(async () => {
    for (const d of dirs) await removeDir(d);
  });

  async function dir(): Promise<string> {
    const d = await tempDir();
    dirs.push(d);
    return d;
  }

  test('B21 a read is answered only once the applied index reaches its read index (slow apply after a restart)', async () => {
    // n2 restarted from a snapshot at 100; the commit index is 150; apply runs one entry per tick.
    let applied = 100;
    const rounds: string[] = [];
    const reads = new ReadBatcher({ readIndex: (ctx) => rounds.push(ctx), appliedIndex: () => applied }, 1000, () => 0);
    let answered = false;
    const read = reads.read(60_000).then(() => {
      answered = true;
    });
    expect(rounds).toHaveLength(1);
    reads.confirmed(150, rounds[0]!);
    for (let i = 101; i < 150; i++) {
      applied = i;
      reads.applied(i);
      await settle(() => answered, 3);
      expect(answered).toBe(false);
    }
    applied = 150;
    reads.applied(150);
    await read;
    expect(answered).toBe(true);
  });

  test('B24 a command retried after a leader crash enters the log twice and takes effect once, identically on every replica', () => {
    const net = new ScriptCluster({ ...DEFAULT_OPTIONS, checkQuorum: false });
    net.bootstrap(['n1', 'n2', 'n3'], []);
    // Each node's state machine, fed from what its core applied; a restart rebuilds it from the log.
    const replicas = new Map<string, Replica>(net.ids().map((id) => [id, { sm: new PrintFarmStateMachine(), upTo: 0 }]));
    const results = new Map<number, CommandResult>();
    const sync = (): void => {
      for (const [id, r] of replicas) {
        const n = net.node(id);
        if (n.applied.length < r.upTo) {
          r.sm = new PrintFarmStateMachine();
          r.upTo = 0;
        }
        for (const e of n.applied.slice(r.upTo)) {
          if (e.type === EntryType.Normal && e.data.length > 0) results.set(e.index, r.sm.apply(e.index, e.data));
        }
        r.upTo = n.applied.length;
      }
    };
    const elect = (id: string): void => {
      for (let i = 0; i < 100 && net.leaderId() !== id; i++) {
        net.tick(id);
        net.stabilize();
      }
      expect(net.leaderId()).toBe(id);
    };
    const propose = (id: string, command: Uint8Array): number => {
      const out = net.live(id).core.propose(command);
      net.process(id);
      net.stabilize();
      sync();
      if (!out.ok || out.index === undefined) throw new Error(`proposal refused at ${id}`);
      return out.index;
    };
    elect('n1');
    propose('n1', printer('p1'));
    propose('n1', filament('f1', 1000));
    const idem = { key: 'retry-0001', fingerprint: 'fp-create-job' };
    // n1's service generated id job-a; the job is committed and applied, its reply is lost.
    const first = propose('n1', job('job-a', 'p1', 'f1', 300, { at: at(0), idempotency: idem }));
    net.crash('n1');
    elect('n2');
    // The retry, at n2: another generated id, a later timestamp, the same key and fingerprint.
    const retry = propose('n2', job('job-b', 'p1', 'f1', 300, { at: at(1500), idempotency: idem }));
    net.restart('n1');
    net.tick('n2');
    net.stabilize();
    sync();

    const logged = net.node('n2').store.entries.filter((e: Entry) => e.type === EntryType.Normal && e.data.length > 0);
    expect(logged.filter((e) => decodeCommand(e.data).idempotency?.key === idem.key).map((e) => e.index)).toEqual([first, retry]);
    expect(results.get(retry)).toEqual(results.get(first));
    expect(results.get(first)).toMatchObject({ status: 201, body: { id: 'job-a' } });
    for (const { sm } of replicas.values()) {
      expect(sm.getPrintJob('job-b')).toBeUndefined();
      expect(sm.listPrintJobs({ limit: 10 }).items.map((j) => j.id)).toEqual(['job-a']);
      expect(sm.reservedWeight('f1')).toBe(300);
    }
    const hashes = [...replicas.values()].map((r) => r.sm.stateHash());
    expect(new Set(hashes).size).toBe(1);
  });

  describe('B28 chunked InstallSnapshot', () => {
    const meta: SnapshotMeta = { index: 42, term: 3, membership: MEMBERS };
    const data = new Uint8Array(2000).map((_, i) => (i * 31) & 0xff);

    interface Transfer {
      readonly sender: SnapshotSender;
      readonly toFollower: SnapshotChunk[];
      readonly toLeader: SnapshotAck[];
      readonly reports: boolean[];
      readonly installed: { meta: SnapshotMeta; data: Uint8Array }[];
      readonly chunkBytes: number;
      readonly followerDir: string;
      inbox: SnapshotInbox;
    }

    async function transfer(): Promise<Transfer> {
      const leaderStore = new FileSnapshotStore(await dir());
      await leaderStore.save(meta, data);
      const file = await leaderStore.latest();
      const chunkBytes = Math.ceil(file!.size / 10);
      const followerDir = await dir();
      const toFollower: SnapshotChunk[] = [];
      const reports: boolean[] = [];
      const sender = new SnapshotSender({
        self: 'n1',
        store: leaderStore,
        term: () => 3,
        send: (_peer, frame) => (frame.kind === 'snap-chunk' ? toFollower.push(frame) > 0 : false),
        report: (_peer, ok) => reports.push(ok),
        chunkBytes,
        chunkTimeoutMs: 60_000,
        onError: () => undefined,
        now: () => 0,
      });
      const toLeader: SnapshotAck[] = [];
      const installed: { meta: SnapshotMeta; data: Uint8Array }[] = [];
      return { sender, toFollower, toLeader, reports, installed, chunkBytes, followerDir, inbox: inboxOn(followerDir, toLeader, installed) };
    }

    /** The follower process: a fresh snapshot store on its directory (a restart removes leftover temp files). */
    function inboxOn(followerDir: string, toLeader: SnapshotAck[], installed: Transfer['installed']): SnapshotInbox {
      return new SnapshotInbox({
        self: 'n3',
        store: new FileSnapshotStore(followerDir),
        term: () => 3,
        send: (_peer, frame) => (frame.kind === 'snap-ack' ? toLeader.push(frame) > 0 : false),
        complete: (_leader, _term, m, d) => installed.push({ meta: m, data: d }),
        onError: () => undefined,
      });
    }

    async function next<T>(queue: T[]): Promise<T> {
      await waitFor(() => queue.length > 0);
      return queue.shift()!;
    }

    /** Delivers frames both ways until the leader learns how the transfer ended; bounded. */
    async function pump(t: Transfer): Promise<void> {
      const ended = t.reports.length + 1;
      for (let steps = 0; steps < 100 && t.reports.length < ended; steps++) {
        await waitFor(() => t.toFollower.length + t.toLeader.length > 0 || t.reports.length >= ended);
        const chunk = t.toFollower.shift();
        if (chunk !== undefined) t.inbox.onChunk(chunk);
        const ack = t.toLeader.shift();
        if (ack !== undefined) t.sender.onAck(ack);
      }
    }

    async function tempFiles(d: string): Promise<string[]> {
      return (await readdir(d)).filter((n) => n.endsWith(TEMP_SUFFIX));
    }

    async function expectInstalled(t: Transfer): Promise<void> {
      expect(t.installed.map((x) => x.meta)).toEqual([meta]);
      expect(Buffer.from(t.installed[0]!.data).equals(Buffer.from(data))).toBe(true);
      expect(t.sender.active).toBe(0);
      expect(await tempFiles(t.followerDir)).toEqual([]);
      const loaded = await new FileSnapshotStore(t.followerDir).load();
      expect(loaded?.meta).toEqual(meta);
    }

    test('B28 a follower restarted after chunk 4 answers the next chunk with offset 0; the transfer restarts and installs', async () => {
      const t = await transfer();
      t.sender.start('n3', meta);
      for (let k = 0; k < 5; k++) {
        t.inbox.onChunk(await next(t.toFollower));
        t.sender.onAck(await next(t.toLeader));
      }
      const chunk5 = await next(t.toFollower);
      expect(chunk5.offset).toBe(5 * t.chunkBytes);
      expect(await tempFiles(t.followerDir)).toHaveLength(1);
      // n3 crashes and restarts: its half-received temp file is gone.
      t.inbox = inboxOn(t.followerDir, t.toLeader, t.installed);
      expect(await tempFiles(t.followerDir)).toEqual([]);
      t.inbox.onChunk(chunk5);
      const ack = await next(t.toLeader);
      expect([ack.nextOffset, ack.installed, ack.failed]).toEqual([0, false, false]);
      t.sender.onAck(ack);
      await pump(t);
      expect(t.reports).toEqual([true]);
      await expectInstalled(t);
    });

    test('B28 a duplicate of chunk 3 arriving after chunk 4 is ignored', async () => {
      const t = await transfer();
      t.sender.start('n3', meta);
      const chunks: SnapshotChunk[] = [];
      for (let k = 0; k < 5; k++) {
        const c = await next(t.toFollower);
        chunks.push(c);
        t.inbox.onChunk(c);
        t.sender.onAck(await next(t.toLeader));
      }
      t.inbox.onChunk({ ...chunks[3]! });
      const ack = await next(t.toLeader);
      expect([ack.nextOffset, ack.installed, ack.failed]).toEqual([5 * t.chunkBytes, false, false]);
      t.sender.onAck(ack);
      await pump(t);
      expect(t.reports).toEqual([true]);
      await expectInstalled(t);
    });

    test('B28 a snapshot that fails to load after the last chunk is reported failed; the leader does not stall and resends', async () => {
      const t = await transfer();
      t.sender.start('n3', meta);
      for (let k = 0; k < 9; k++) {
        t.inbox.onChunk(await next(t.toFollower));
        t.sender.onAck(await next(t.toLeader));
      }
      const last = await next(t.toFollower);
      expect(last.done).toBe(true);
      const damaged = Uint8Array.from(last.data);
      damaged[0]! ^= 0xff;
      t.inbox.onChunk({ ...last, data: damaged });
      const ack = await next(t.toLeader);
      expect([ack.installed, ack.failed]).toEqual([false, true]);
      t.sender.onAck(ack);
      expect(t.reports).toEqual([false]);
      expect(t.sender.active).toBe(0);
      expect(await tempFiles(t.followerDir)).toEqual([]);
      // The core offers the snapshot again (reportSnapshot(false) → probe → Snap).
      t.sender.start('n3', meta);
      await pump(t);
      expect(t.reports).toEqual([false, true]);
      await expectInstalled(t);
    });
  });

  describe('B29 a crash at any step of taking a snapshot leaves a restartable store', () => {
    const older: SnapshotMeta = { index: 10, term: 2, membership: MEMBERS };
    const newer: SnapshotMeta = { index: 20, term: 2, membership: MEMBERS };
    const stateAt = (index: number): Uint8Array => new TextEncoder().encode(`state up to ${index}`);
    const steps = ['temp file written', 'renamed and directory synced', 'metadata and first index recorded'] as const;

    test.each(steps.map((s, i) => [s, i] as const))('B29 crash after: %s', async (_step, reached) => {
      const path = await dir();
      // Before: snapshot 10 recorded, log 11..20, everything committed.
      const before = await openDataDir(path);
      await before.logStore.open();
      await before.logStore.saveIdentity(IDENTITY);
      await before.logStore.save({ term: 2, vote: 'n1', commit: 20 }, entries(1, 20, 2));
      await before.snapshotStore.save(older, stateAt(10));
      await before.logStore.saveSnapshot(older, 10, false);
      // Taking snapshot 20 (trailing 0), interrupted by the crash after step `reached`.
      const snapDir = join(path, 'snapshots');
      await writeFile(join(snapDir, `${snapshotFileName(newer)}${TEMP_SUFFIX}`), stateAt(20).subarray(0, 5));
      if (reached >= 1) await before.snapshotStore.save(newer, stateAt(20));
      if (reached >= 2) await before.logStore.saveSnapshot(newer, 20, false);
      await before.logStore.close();

      const after = await openDataDir(path);
      const log = await after.logStore.open();
      const file = await after.snapshotStore.load();
      await after.logStore.close();
      expect((await readdir(snapDir)).filter((n) => n.endsWith(TEMP_SUFFIX))).toEqual([]);
      // Exactly one valid newest snapshot, never older than the one the log starts after.
      expect(file).not.toBeNull();
      expect(file!.meta.index).toBeGreaterThanOrEqual(log.snapshot?.index ?? 0);
      expect(file!.meta).toEqual(reached >= 1 ? newer : older);
      expect(new TextDecoder().decode(file!.data)).toBe(`state up to ${file!.meta.index}`);
      expect(log.snapshot).toEqual(reached >= 2 ? newer : older);
      // The snapshot plus the stored entries after it rebuild everything up to the commit index.
      const needed = Array.from({ length: log.hardState.commit - file!.meta.index }, (_, i) => file!.meta.index + 1 + i);
      const present = new Set(log.entries.map((e) => e.index));
      expect(needed.filter((i) => !present.has(i))).toEqual([]);
      expect(log.hardState).toEqual({ term: 2, vote: 'n1', commit: 20 });
    });
  });

  test('B30 a snapshot is a copy of the state at exactly its index, idempotency table included (no double apply)', () => {
    // Form A (state machine and applied index persisted separately) does not exist in Raft3D:
    // the state machine lives in memory and is rebuilt from a snapshot and the log.
    const sm = new PrintFarmStateMachine();
    const done = status('j', 'Done', { at: at(30), idempotency: { key: 'done-0001', fingerprint: 'fp-done' } });
    sm.apply(1, printer('p1', { at: at(0) }));
    sm.apply(2, filament('f1', 1000, 1000, { at: at(10) }));
    sm.apply(3, job('j', 'p1', 'f1', 300, { at: at(20) }));
    sm.apply(4, status('j', 'Running', { at: at(25) }));
    const snap = sm.snapshot();
    const copy = Uint8Array.from(snap);
    const first = sm.apply(5, done);
    // Applying entry 5 did not reach into the snapshot labelled 4.
    expect(Buffer.from(snap).equals(Buffer.from(copy))).toBe(true);
    expect(sm.getFilament('f1')?.remaining_weight_in_grams).toBe(700);

    const restarted = new PrintFarmStateMachine();
    restarted.restore(snap);
    expect(restarted.getFilament('f1')?.remaining_weight_in_grams).toBe(1000);
    expect(restarted.apply(5, done)).toEqual(first);
    expect(restarted.getFilament('f1')?.remaining_weight_in_grams).toBe(700);
    expect(restarted.stateHash()).toBe(sm.stateHash());
    // A retry of the Done after the restart answers the first outcome and subtracts nothing.
    const retry = status('j', 'Done', { at: at(40), idempotency: { key: 'done-0001', fingerprint: 'fp-done' } });
    expect(restarted.apply(6, retry)).toEqual(first);
    expect(sm.apply(6, retry)).toEqual(first);
    expect(restarted.getFilament('f1')?.remaining_weight_in_grams).toBe(700);
    expect(restarted.stateHash()).toBe(sm.stateHash());
  });

  test('B33 a wiped node (new incarnation) is not heard under its old identity', async () => {
    const t = startNode('n1', [1], { term: 1, vote: '', commit: 1 });
    try {
      const vote = makeMessage(MessageType.Vote, 'n3', 'n1', 2, { index: 1, logTerm: 1 });
      t.transport.receive(peer('n3', 'inc-n3-after-wipe'), vote);
      await settle(() => t.transport.sent.length > 0, 10);
      expect(t.core.status().term).toBe(1);
      expect(t.transport.raftMessages()).toEqual([]);
      // The member the configuration knows is heard.
      t.transport.receive(peer('n3'), vote);
      await settle(() => t.transport.raftMessages().length > 0);
      expect(t.transport.raftMessages().map((m) => [m.type, m.to, m.term, m.reject])).toEqual([[MessageType.VoteResp, 'n3', 2, false]]);
    } finally {
      await t.node.stop();
    }
  });

  test('B33 a minority node whose committed entry was damaged on disk refuses to start', async () => {
    const path = await dir();
    const store = new LevelLogStore(path);
    await store.open();
    await store.saveIdentity(IDENTITY);
    await store.save({ term: 2, vote: 'n1', commit: 10 }, entries(1, 10, 2));
    await store.close();
    const db = new ClassicLevel<Buffer, Buffer>(path, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    const value = (await db.get(entryKey(10)))!;
    value[value.length - 1]! ^= 0x01;
    await db.put(entryKey(10), value);
    await db.close();
    const reopened = new LevelLogStore(path);
    await expect(reopened.open()).rejects.toThrow(CorruptionError);
    await reopened.close();
  });

  test('B34 an fsync error while appending fail-stops the node: no acknowledgement, no message afterwards', async () => {
    const t = startNode('n2', [1, 2, 2, 2, 2, 2], { term: 2, vote: 'n1', commit: 6 });
    try {
      t.logStore.failure = new Error('EIO: fsync failed');
      const entry = (index: number): Entry => ({ index, term: 2, type: EntryType.Normal, data: new TextEncoder().encode(`e${index}`) });
      t.transport.receive(peer('n1'), makeMessage(MessageType.App, 'n1', 'n2', 2, { index: 6, logTerm: 2, entries: [entry(7), entry(8)], commit: 6 }));
      await settle(() => t.fatal.length > 0);
      expect(t.fatal).toHaveLength(1);
      expect(t.transport.raftMessages()).toEqual([]);
      // S12: nothing leaves this incarnation any more, whatever arrives.
      t.transport.receive(peer('n1'), makeMessage(MessageType.Heartbeat, 'n1', 'n2', 2, { commit: 6 }));
      await settle(() => t.transport.sent.length > 0, 20);
      expect(t.transport.raftMessages()).toEqual([]);
      expect(t.fatal).toHaveLength(1);
    } finally {
      await t.node.stop();
    }
  });
});
