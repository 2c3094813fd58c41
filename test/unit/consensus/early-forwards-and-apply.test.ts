// RaftCore.takeForwards() and takeCommitted(): what the runtime may send and
// apply while a Ready is still being written (the node is nearly always
// writing under load, and neither a forwarded proposal nor the apply of an
// entry already on a quorum's disks should wait for that write).
import { describe, test, expect } from '@jest/globals';
import { CoreNetwork, bytes, text } from '../../support/core-network.js';
import { makeMessage } from '../../../src/consensus/core/messages.js';
import { EntryType, MessageType, type Entry } from '../../../src/consensus/core/types.js';

/** n1 leads term 2 of {n1, n2, n3}; its no-op (index 2) is committed everywhere. */
function cluster(): CoreNetwork {
  const net = CoreNetwork.bootstrap(['n1', 'n2', 'n3']);
  net.campaign('n1');
  expect(net.status('n1').role).toBe('leader');
  expect(net.status('n3').commit).toBe(2);
  return net;
}

function app(index: number, logTerm: number, entries: Entry[], commit: number): NonNullable<Parameters<typeof makeMessage>[4]> {
  return { index, logTerm, entries, commit };
}

describe('takeForwards', () => {
  test('a follower\'s proposal and read request leave while its write is in progress; its acks do not', () => {
    const net = cluster();
    const f = net.core('n2');
    // n2 is writing entry 3 from the leader; its ack waits for that write.
    f.step(makeMessage(MessageType.App, 'n1', 'n2', 2, app(2, 2, [{ index: 3, term: 2, type: EntryType.Normal, data: bytes('a') }], 2)));
    const outstanding = f.ready();
    expect(outstanding.messages.map((m) => m.type)).toEqual([MessageType.AppResp]);
    expect(f.propose(bytes('p'))).toEqual({ ok: true, term: 2 });
    f.readIndex('ctx-1');
    const early = f.takeForwards();
    expect(early.map((m) => [m.type, m.to])).toEqual([
      [MessageType.Prop, 'n1'],
      [MessageType.ReadIndex, 'n1'],
    ]);
    expect(early[0]!.entries.map(text)).toEqual(['p']);
    expect(f.takeForwards()).toEqual([]);
    f.advance(outstanding);
    const next = f.ready();
    expect([...next.leaderMessages, ...next.messages].filter((m) => m.type === MessageType.Prop || m.type === MessageType.ReadIndex)).toEqual([]);
  });

  test('nothing leaves early on a leader, nor while a new term is not durable yet', () => {
    const net = cluster();
    expect(net.core('n1').takeForwards()).toEqual([]);
    const f = net.core('n3');
    // A heartbeat of a later term makes n3 follow term 3; that term is only in the Ready not taken yet.
    f.step(makeMessage(MessageType.Heartbeat, 'n2', 'n3', 3, { commit: 2 }));
    expect(f.propose(bytes('q')).ok).toBe(true);
    expect(f.takeForwards()).toEqual([]);
    const rd = f.ready();
    expect(rd.hardState?.term).toBe(3);
    f.advance(rd);
    expect(f.propose(bytes('r')).ok).toBe(true);
    expect(f.takeForwards().map((m) => [m.type, m.term, m.entries.map(text)])).toEqual([[MessageType.Prop, 3, ['r']]]);
  });
});

describe('takeCommitted', () => {
  test('entries committed while the leader is still writing are handed out once, in order', () => {
    const net = cluster();
    const leader = net.core('n1');
    leader.propose(bytes('a'));
    const first = leader.ready();
    leader.step(makeMessage(MessageType.AppResp, 'n2', 'n1', 2, { index: 3 }));
    leader.step(makeMessage(MessageType.AppResp, 'n3', 'n1', 2, { index: 3 }));
    // Both followers hold 3: committed although the leader's own write of 3 is still running.
    expect(leader.status().commit).toBe(3);
    expect(leader.takeCommitted().map((e) => [e.index, text(e)])).toEqual([[3, 'a']]);
    expect(leader.takeCommitted()).toEqual([]);
    expect(leader.status().applied).toBe(3);
    leader.advance(first);
    expect(leader.ready().committed).toEqual([]);
  });

  test('a follower applies what the leader says is committed while it is still writing newer entries', () => {
    const net = cluster();
    const f = net.core('n2');
    f.step(makeMessage(MessageType.App, 'n1', 'n2', 2, app(2, 2, [{ index: 3, term: 2, type: EntryType.Normal, data: bytes('a') }], 2)));
    const rd3 = f.ready();
    f.advance(rd3);
    f.step(makeMessage(MessageType.App, 'n1', 'n2', 2, app(3, 2, [{ index: 4, term: 2, type: EntryType.Normal, data: bytes('b') }], 2)));
    const writing4 = f.ready();
    expect(writing4.committed).toEqual([]);
    // The leader's word that 3 is committed arrives during the write of 4.
    f.step(makeMessage(MessageType.App, 'n1', 'n2', 2, app(4, 2, [], 3)));
    expect(f.takeCommitted().map((e) => [e.index, text(e)])).toEqual([[3, 'a']]);
    f.advance(writing4);
    const next = f.ready();
    expect(next.committed).toEqual([]);
  });

  test('nothing is handed out while a snapshot received from the leader waits to be installed', () => {
    const net = cluster();
    const f = net.core('n3');
    const membership = f.status().membership;
    f.step(
      makeMessage(MessageType.Snap, 'n1', 'n3', 2, {
        index: 10,
        logTerm: 2,
        snapshot: { index: 10, term: 2, membership },
      }),
    );
    expect(f.takeCommitted()).toEqual([]);
    const rd = f.ready();
    expect(rd.snapshot?.index).toBe(10);
    // While the runtime installs it, entry 11 arrives already committed: it must wait for the install.
    f.step(makeMessage(MessageType.App, 'n1', 'n3', 2, app(10, 2, [{ index: 11, term: 2, type: EntryType.Normal, data: bytes('c') }], 11)));
    expect(f.status().commit).toBe(11);
    expect(f.takeCommitted()).toEqual([]);
    f.advance(rd);
    expect(f.status().applied).toBe(10);
    expect(f.takeCommitted().map((e) => [e.index, text(e)])).toEqual([[11, 'c']]);
  });
});
