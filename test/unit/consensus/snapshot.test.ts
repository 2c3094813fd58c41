import { describe, test, expect } from '@jest/globals';
import { CoreNetwork, DEFAULT_OPTIONS, bytes, logFrom, membershipOf, seededRng } from '../../support/core-network.js';
import { RaftCore } from '../../../src/consensus/core/raft-core.js';
import { makeMessage } from '../../../src/consensus/core/messages.js';
import { EntryType, MessageType, type Entry, type SnapshotMeta } from '../../../src/consensus/core/types.js';

const MEMBERS = membershipOf(['n1', 'n2', 'n3']);

/** n1 leads term 2; n3 was cut off while 5 writes (indexes 3–7) committed; n1 then snapshotted at 7. */
function laggingFollowerBehindSnapshot(trailing = 0): { net: CoreNetwork; meta: SnapshotMeta } {
  const net = CoreNetwork.bootstrap(['n1', 'n2', 'n3']);
  net.campaign('n1');
  net.isolate('n3');
  for (const v of ['a', 'b', 'c', 'd', 'e']) net.propose('n1', v);
  net.stabilize();
  expect(net.status('n1').commit).toBe(7);
  const meta = net.takeSnapshot('n1', trailing);
  net.heal();
  return { net, meta };
}

function normal(index: number, term: number): Entry {
  return { index, term, type: EntryType.Normal, data: bytes(`e${index}t${term}`) };
}

describe('snapshots', () => {
  test('snapshotTaken records the snapshot and compacts the in-memory log', () => {
    const { net, meta } = laggingFollowerBehindSnapshot(2);
    expect(meta).toEqual({ index: 7, term: 2, membership: MEMBERS });
    const st = net.status('n1');
    expect([st.firstIndex, st.lastIndex, st.snapshot]).toEqual([6, 7, meta]);
  });

  test('a follower behind the compaction point gets the snapshot, then the log (B27 leader side)', () => {
    const { net, meta } = laggingFollowerBehindSnapshot();
    net.tick('n1');
    for (let i = 0; i < 10 && net.pending({ type: MessageType.Snap }).length === 0; i++) {
      net.deliver();
    }
    const snaps = net.pending({ type: MessageType.Snap });
    expect(snaps.map((m) => [m.from, m.to, m.term, m.snapshot])).toEqual([['n1', 'n3', 2, meta]]);
    // The Snap left with the leader's early messages.
    expect(net.node('n1').readies.some((rd) => rd.leaderMessages.includes(snaps[0]!))).toBe(true);
    expect(net.status('n1').progress.find((p) => p.id === 'n3')!.state).toBe('snapshot');

    net.deliver({ type: MessageType.Snap });
    const installed = net.node('n3').readies.find((rd) => rd.snapshot !== undefined)!;
    expect(installed.snapshot).toEqual(meta);
    expect(installed.committed).toEqual([]);
    expect(installed.messages.map((m) => [m.type, m.index, m.reject])).toEqual([[MessageType.AppResp, 7, false]]);
    const st3 = net.status('n3');
    expect([st3.commit, st3.applied, st3.firstIndex, st3.lastIndex, st3.membership]).toEqual([7, 7, 8, 7, MEMBERS]);

    net.stabilize();
    expect(net.status('n1').progress.find((p) => p.id === 'n3')!.state).toBe('replicate');
    net.propose('n1', 'f');
    net.stabilize();
    expect(net.appliedData('n3')).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(net.status('n3').commit).toBe(8);
  });

  test('a failed snapshot transfer sends the follower back to probing, and the snapshot is offered again', () => {
    const { net } = laggingFollowerBehindSnapshot();
    net.tick('n1');
    for (let i = 0; i < 10 && net.pending({ type: MessageType.Snap }).length === 0; i++) net.deliver();
    // The harness, like the runtime's snapshot sender, reports the lost stream: reportSnapshot('n3', false).
    expect(net.drop({ type: MessageType.Snap })).toBe(1);
    const pr = net.status('n1').progress.find((p) => p.id === 'n3')!;
    expect([pr.state, pr.match, pr.next]).toEqual(['probe', 2, 3]);
    // Nothing is resent before the next heartbeat round.
    net.process('n1');
    expect(net.pending({ to: 'n3' })).toEqual([]);
    net.run(2);
    expect(net.sent('n1', { type: MessageType.Snap, to: 'n3' }).length).toBe(2);
    expect(net.status('n3').commit).toBe(7);
    expect(net.appliedData('n3')).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  test('a follower inside the trailing window is caught up from the log, without a snapshot', () => {
    const net = CoreNetwork.bootstrap(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.isolate('n3');
    net.propose('n1', 'a');
    net.propose('n1', 'b');
    net.stabilize();
    net.takeSnapshot('n1', 2);
    expect(net.status('n1').firstIndex).toBe(3);
    net.heal();
    net.run(2);
    expect(net.sent('n1', { type: MessageType.Snap })).toEqual([]);
    expect(net.appliedData('n3')).toEqual(['a', 'b']);
  });

  test('a snapshot that covers a prefix of the follower\'s matching log keeps the suffix (B26)', () => {
    const core = new RaftCore(
      { ...DEFAULT_OPTIONS, id: 'n3', rng: seededRng(1) },
      { hardState: { term: 1, vote: '', commit: 5 }, snapshot: null, entries: logFrom([1, 1, 1, 1, 1, 1, 1, 1], MEMBERS) },
    );
    core.advance(core.ready());
    core.step(makeMessage(MessageType.Snap, 'n1', 'n3', 1, { snapshot: { index: 6, term: 1, membership: MEMBERS } }));
    const rd = core.ready();
    expect(rd.snapshot).toBeUndefined();
    expect(rd.committed.map((e) => e.index)).toEqual([6]);
    expect(rd.messages.map((m) => [m.type, m.index])).toEqual([[MessageType.AppResp, 6]]);
    core.advance(rd);
    const st = core.status();
    expect([st.commit, st.applied, st.lastIndex]).toEqual([6, 6, 8]);

    // An older snapshot than the commit index changes nothing, and commit does not go back.
    core.step(makeMessage(MessageType.Snap, 'n1', 'n3', 1, { snapshot: { index: 4, term: 1, membership: MEMBERS } }));
    const rd2 = core.ready();
    expect(rd2.snapshot).toBeUndefined();
    expect(rd2.messages.map((m) => [m.type, m.index])).toEqual([[MessageType.AppResp, 6]]);
    expect([core.status().commit, core.status().applied, core.status().lastIndex]).toEqual([6, 6, 8]);
  });

  test('a snapshot that does not match the follower\'s log replaces the whole log (B26)', () => {
    const core = new RaftCore(
      { ...DEFAULT_OPTIONS, id: 'n3', rng: seededRng(1) },
      { hardState: { term: 1, vote: '', commit: 2 }, snapshot: null, entries: logFrom([1, 1, 1, 1], MEMBERS) },
    );
    core.advance(core.ready());
    const meta: SnapshotMeta = { index: 3, term: 2, membership: membershipOf(['n1', 'n2', 'n3', 'n4']) };
    core.step(makeMessage(MessageType.Snap, 'n1', 'n3', 2, { snapshot: meta }));
    const rd = core.ready();
    expect(rd.snapshot).toEqual(meta);
    expect(rd.committed).toEqual([]);
    expect(rd.hardState).toEqual({ term: 2, vote: '', commit: 3 });
    expect(rd.messages.map((m) => [m.type, m.index])).toEqual([[MessageType.AppResp, 3]]);
    core.advance(rd);
    const st = core.status();
    expect([st.commit, st.applied, st.firstIndex, st.lastIndex, st.membership]).toEqual([3, 3, 4, 3, meta.membership]);
  });

  test('an App whose prev entry is below the follower\'s snapshot skips the covered part (B27 follower side)', () => {
    const meta: SnapshotMeta = { index: 8, term: 1, membership: MEMBERS };
    const core = new RaftCore(
      { ...DEFAULT_OPTIONS, id: 'n2', rng: seededRng(1) },
      { hardState: { term: 1, vote: '', commit: 10 }, snapshot: meta, entries: [normal(9, 1), normal(10, 1)] },
    );
    core.advance(core.ready());
    const entries = [6, 7, 8, 9, 10, 11, 12].map((i) => normal(i, 1));
    core.step(makeMessage(MessageType.App, 'n1', 'n2', 1, { index: 5, logTerm: 1, entries, commit: 12 }));
    const rd = core.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([11, 12]);
    expect(rd.committed.map((e) => e.index)).toEqual([11, 12]);
    expect(rd.messages.map((m) => [m.type, m.index, m.reject])).toEqual([[MessageType.AppResp, 12, false]]);

    // A delayed App entirely below the commit index is acknowledged for what it covered.
    core.advance(rd);
    core.step(makeMessage(MessageType.App, 'n1', 'n2', 1, { index: 3, logTerm: 1, entries: [normal(4, 1)], commit: 12 }));
    const rd2 = core.ready();
    expect(rd2.entries).toEqual([]);
    expect(rd2.messages.map((m) => [m.type, m.index, m.reject])).toEqual([[MessageType.AppResp, 4, false]]);
    expect(core.status().lastIndex).toBe(12);
  });

  test('a node restarted right after a snapshot with no trailing log starts cleanly (B27 scenario C)', () => {
    const net = CoreNetwork.bootstrap(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.propose('n1', 'a');
    net.stabilize();
    const meta = net.takeSnapshot('n2', 0);
    expect(net.node('n2').store.entries).toEqual([]);
    net.crash('n2');
    const st = net.status('n2');
    expect([st.firstIndex, st.lastIndex, st.commit, st.applied, st.snapshot]).toEqual([4, 3, 3, 3, meta]);
    net.propose('n1', 'b');
    net.run(1);
    expect(net.appliedData('n2')).toEqual(['a', 'b']);
  });

  test('a snapshot the runtime reports beyond the applied index, or older than the current one, is ignored', () => {
    const net = CoreNetwork.bootstrap(['n1']);
    net.campaign('n1');
    net.propose('n1', 'a');
    net.propose('n1', 'b');
    const core = net.core('n1');
    core.snapshotTaken({ index: 9, term: 2, membership: membershipOf(['n1']) }, 9);
    expect(core.status().snapshot).toBeNull();
    const meta = net.takeSnapshot('n1', 0);
    core.snapshotTaken({ index: 2, term: 2, membership: membershipOf(['n1']) }, 2);
    expect(core.status().snapshot).toEqual(meta);
  });
});
