import { describe, test, expect } from '@jest/globals';
import { CoreNetwork, DEFAULT_OPTIONS, bytes, logFrom, membershipOf, seededRng, text } from '../../support/core-network.js';
import { RaftCore } from '../../../src/consensus/core/raft-core.js';
import { makeMessage } from '../../../src/consensus/core/messages.js';
import { EntryType, MessageType, type Message } from '../../../src/consensus/core/types.js';

/** n1 leads term 2 of {n1, n2, n3}; its no-op (index 2) is committed everywhere. */
function cluster(options: Partial<typeof DEFAULT_OPTIONS> = {}): CoreNetwork {
  const net = CoreNetwork.bootstrap(['n1', 'n2', 'n3'], [], options);
  net.campaign('n1');
  expect(net.status('n1').role).toBe('leader');
  expect(net.status('n3').commit).toBe(2);
  return net;
}

function apps(net: CoreNetwork, to: string): Message[] {
  return net.pending({ from: 'n1', to, type: MessageType.App });
}

describe('log replication', () => {
  test('a proposal is appended, replicated, committed and applied on every node', () => {
    const net = cluster();
    expect(net.propose('n1', 'a')).toEqual({ ok: true, index: 3, term: 2 });
    net.stabilize();
    for (const id of net.ids()) {
      expect(net.appliedData(id)).toEqual(['a']);
      expect(net.status(id).commit).toBe(3);
    }
  });

  test('the leader sends its own new entries before persisting them, and counts itself only once persisted', () => {
    const net = cluster();
    const leader = net.core('n1');
    leader.propose(bytes('a'));
    const rd = leader.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([3]);
    expect(rd.leaderMessages.filter((m) => m.type === MessageType.App).map((m) => [m.to, m.entries.length])).toEqual([
      ['n2', 1],
      ['n3', 1],
    ]);
    expect(rd.messages).toEqual([]);
    // n2 acknowledges before the leader's own write completed: n1 is not counted, so 3 is not committed.
    leader.step(makeMessage(MessageType.AppResp, 'n2', 'n1', 2, { index: 3 }));
    expect(leader.status().commit).toBe(2);
    leader.step(makeMessage(MessageType.AppResp, 'n3', 'n1', 2, { index: 3 }));
    // A quorum without the leader is a quorum: committed entries may be handed out before the local write.
    expect(leader.status().commit).toBe(3);
    leader.advance(rd);
    const rd2 = leader.ready();
    expect(rd2.committed.map((e) => e.index)).toEqual([3]);
  });

  test('during a slow write the leader\'s heartbeats and replication can leave at once (B13 scenario B)', () => {
    const net = cluster();
    const leader = net.core('n1');
    leader.propose(bytes('a'));
    const outstanding = leader.ready();
    // The runtime is still persisting `outstanding`; time passes and more proposals arrive.
    leader.tick();
    leader.propose(bytes('b'));
    const early = leader.takeLeaderMessages();
    expect(early.map((m) => [m.type, m.to, m.entries.map(text)])).toEqual([
      [MessageType.Heartbeat, 'n2', []],
      [MessageType.Heartbeat, 'n3', []],
      [MessageType.App, 'n2', ['b']],
      [MessageType.App, 'n3', ['b']],
    ]);
    expect(leader.takeLeaderMessages()).toEqual([]);
    leader.advance(outstanding);
    const next = leader.ready();
    expect(next.entries.map(text)).toEqual(['b']);
    expect([...next.leaderMessages, ...next.messages].filter((m) => m.type === MessageType.App)).toEqual([]);
  });

  test('no early messages while the leader\'s own term is not yet durable', () => {
    // A single voter (with a learner) becomes leader at once; its new term is only in the Ready not yet taken.
    const core = CoreNetwork.bootstrap(['n1'], ['n2']).core('n1');
    for (let i = 0; i < 40 && core.status().role !== 'leader'; i++) core.tick();
    expect(core.status().role).toBe('leader');
    expect(core.takeLeaderMessages()).toEqual([]);
    const rd = core.ready();
    expect(rd.hardState?.term).toBe(2);
    expect(rd.leaderMessages).toEqual([]);
    expect(rd.messages.map((m) => [m.type, m.to])).toEqual([[MessageType.App, 'n2']]);
  });

  test('batching: an App carries as many entries as fit in maxMsgBytes, at least one', () => {
    const net = cluster({ maxMsgBytes: 10 });
    for (const v of ['aaaa', 'bbbb', 'cccc', 'dddd', 'eeee']) net.core('n1').propose(bytes(v));
    net.core('n1').propose(bytes('x'.repeat(25)));
    net.process('n1');
    expect(apps(net, 'n2').map((m) => m.entries.map(text))).toEqual([['aaaa', 'bbbb'], ['cccc', 'dddd'], ['eeee'], ['x'.repeat(25)]]);
    net.stabilize();
    expect(net.appliedData('n3')).toEqual(['aaaa', 'bbbb', 'cccc', 'dddd', 'eeee', 'x'.repeat(25)]);
  });

  test('pipelining: at most maxInflight Apps outstanding per follower in replicate state', () => {
    const net = cluster({ maxInflight: 2, maxMsgBytes: 1 });
    for (const v of ['a', 'b', 'c', 'd', 'e']) net.core('n1').propose(bytes(v));
    net.process('n1');
    expect(apps(net, 'n2').map((m) => m.entries.map(text))).toEqual([['a'], ['b']]);
    const pr = net.status('n1').progress.find((p) => p.id === 'n2')!;
    expect([pr.state, pr.inflight, pr.next]).toEqual(['replicate', 2, 5]);
    // One ack frees one slot: exactly one more App leaves.
    net.drop({ to: 'n3' });
    net.deliver({ to: 'n2' });
    net.deliver({ from: 'n2', to: 'n1' });
    expect(apps(net, 'n2').map((m) => m.entries.map(text))).toEqual([['c'], ['d']]);
    net.stabilize();
    expect(net.appliedData('n2')).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  test('a follower whose whole window was lost recovers at the next heartbeat (B5)', () => {
    const net = cluster({ maxInflight: 2, maxMsgBytes: 1 });
    for (const v of ['a', 'b', 'c', 'd']) net.core('n1').propose(bytes(v));
    net.process('n1');
    net.drop({ to: 'n3' });
    net.stabilize();
    expect(net.status('n1').commit).toBe(6);
    expect(net.status('n3').lastIndex).toBe(2);
    expect(net.status('n1').progress.find((p) => p.id === 'n3')!.inflight).toBe(2);
    net.run(2);
    expect(net.status('n3').lastIndex).toBe(6);
    expect(net.appliedData('n3')).toEqual(['a', 'b', 'c', 'd']);
  });

  test('a follower refuses an App whose prev entry it does not hold, and the leader resends from there', () => {
    const net = cluster();
    net.isolate('n3');
    net.propose('n1', 'a');
    net.propose('n1', 'b');
    net.stabilize();
    net.heal();
    net.run(1);
    expect(net.appliedData('n3')).toEqual(['a', 'b']);
    expect(net.status('n1').progress.find((p) => p.id === 'n3')!.match).toBe(4);
  });

  test('when the commit index moves, followers learn it at once through an (empty) App', () => {
    const net = cluster();
    net.propose('n1', 'a');
    net.deliver({ from: 'n1' });
    net.deliver({ to: 'n1' });
    expect(net.status('n1').commit).toBe(3);
    const commitApps = net.pending({ from: 'n1', type: MessageType.App });
    expect(commitApps.map((m) => [m.to, m.entries.length, m.commit])).toEqual([
      ['n2', 0, 3],
      ['n3', 0, 3],
    ]);
  });

  test('heartbeats carry min(leader commit, follower match)', () => {
    const net = cluster();
    net.isolate('n3');
    net.propose('n1', 'a');
    net.stabilize();
    net.heal();
    net.tick('n1');
    const hb = net.pending({ from: 'n1', type: MessageType.Heartbeat }).map((m) => [m.to, m.commit]);
    expect(hb).toEqual([
      ['n2', 3],
      ['n3', 2],
    ]);
  });
});

describe('conflicts and fast backtracking', () => {
  test('a divergent tail of 2000 entries is found in one rejected round trip (B4)', () => {
    const leaderTerms = [1, 3, 3, 3, ...Array<number>(1000).fill(5)];
    const followerTerms = [1, 1, 1, 1, ...Array<number>(2000).fill(2)];
    const net = CoreNetwork.withLogs(['n1', 'n2', 'n3'], {
      n1: { terms: leaderTerms },
      n2: { terms: followerTerms },
      n3: { terms: leaderTerms },
    });
    net.campaign('n1');
    expect([net.status('n1').role, net.status('n1').term]).toEqual(['leader', 6]);
    const rejections = net.sent('n2', { type: MessageType.AppResp }).filter((m) => m.reject);
    expect(rejections.map((m) => [m.index, m.rejectHint, m.logTerm])).toEqual([[1004, 1004, 2]]);
    expect(net.logTerms('n2')).toEqual([...leaderTerms, 6]);
  });

  test('the follower side skips its divergent higher-term tail too (B4, etcd example)', () => {
    // idx 1 2 3 4 5 6 7 8 9;  L: 1 3 3 3 3 3 3 3 (+7 no-op);  F: 1 3 3 4 4 5 5 5 6
    const net = CoreNetwork.withLogs(['n1', 'n2', 'n3'], {
      n1: { terms: [1, 3, 3, 3, 3, 3, 3, 3], term: 6 },
      n2: { terms: [1, 3, 3, 4, 4, 5, 5, 5, 6] },
      n3: { terms: [1, 3, 3, 3, 3, 3, 3, 3], term: 6 },
    });
    net.cutLink('n2', 'n3');
    net.campaign('n1');
    const rejections = net.sent('n2', { type: MessageType.AppResp }).filter((m) => m.reject);
    expect(rejections.map((m) => [m.index, m.rejectHint, m.logTerm])).toEqual([[8, 3, 3]]);
    expect(net.logTerms('n2')).toEqual([1, 3, 3, 3, 3, 3, 3, 3, 7]);
  });

  test('a duplicated or reordered App never truncates matching entries (B2)', () => {
    const net = cluster({ maxMsgBytes: 1 });
    net.core('n1').propose(bytes('a'));
    net.core('n1').propose(bytes('b'));
    net.process('n1');
    const [m1, m2] = apps(net, 'n2');
    expect([m1!.index, m1!.entries.map(text), m2!.index, m2!.entries.map(text)]).toEqual([2, ['a'], 3, ['b']]);
    net.stabilize();
    expect(net.status('n1').commit).toBe(4);
    net.inject(m1!);
    expect(net.status('n2').lastIndex).toBe(4);
    expect(net.appliedData('n2')).toEqual(['a', 'b']);
    const reply = net.pending({ from: 'n2', to: 'n1' });
    expect(reply.map((m) => [m.type, m.index, m.reject])).toEqual([[MessageType.AppResp, 3, false]]);
    net.stabilize();
    expect(net.status('n1').progress.find((p) => p.id === 'n2')!.match).toBe(4);
  });

  test('a real conflict removes the conflicting entry and everything after it (B2 converse)', () => {
    const membership = membershipOf(['n1', 'n2', 'n3']);
    const core = new RaftCore(
      { ...DEFAULT_OPTIONS, id: 'n2', rng: seededRng(1) },
      { hardState: { term: 2, vote: '', commit: 1 }, snapshot: null, entries: logFrom([1, 1, 1, 2, 2], membership) },
    );
    core.step(
      makeMessage(MessageType.App, 'n1', 'n2', 3, {
        index: 3,
        logTerm: 1,
        entries: [{ index: 4, term: 3, type: EntryType.Normal, data: bytes('new') }],
        commit: 1,
      }),
    );
    const rd = core.ready();
    expect(rd.entries.map((e) => [e.index, e.term])).toEqual([[4, 3]]);
    expect(core.status().lastIndex).toBe(4);
    expect(rd.messages.map((m) => [m.type, m.index, m.reject])).toEqual([[MessageType.AppResp, 4, false]]);
  });

  test('an ack for entries replaced before they were ever persisted is withdrawn (B32, S6)', () => {
    const membership = membershipOf(['n1', 'n2', 'n3']);
    const core = new RaftCore(
      { ...DEFAULT_OPTIONS, id: 'n3', rng: seededRng(1) },
      { hardState: { term: 2, vote: '', commit: 1 }, snapshot: null, entries: logFrom([1], membership) },
    );
    const entry = (index: number, term: number) => ({ index, term, type: EntryType.Normal, data: bytes(`${index}@${term}`) });
    core.step(makeMessage(MessageType.App, 'n1', 'n3', 2, { index: 1, logTerm: 1, entries: [entry(2, 2), entry(3, 2)], commit: 1 }));
    // Before the next Ready, the leader of term 3 overwrites index 2.
    core.step(makeMessage(MessageType.App, 'n2', 'n3', 3, { index: 1, logTerm: 1, entries: [entry(2, 3)], commit: 1 }));
    const rd = core.ready();
    expect(rd.entries.map((e) => [e.index, e.term])).toEqual([[2, 3]]);
    expect(rd.messages.map((m) => [m.type, m.to, m.term, m.index])).toEqual([[MessageType.AppResp, 'n2', 3, 2]]);
  });

  test('a follower commits only what the App verified, never its own unverified tail (B3)', () => {
    const terms = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    const core = new RaftCore(
      { ...DEFAULT_OPTIONS, id: 'n1', rng: seededRng(1) },
      { hardState: { term: 1, vote: '', commit: 9 }, snapshot: null, entries: logFrom(terms, membershipOf(['n1', 'n2', 'n3'])) },
    );
    core.step(makeMessage(MessageType.App, 'n2', 'n1', 2, { index: 9, logTerm: 1, commit: 11 }));
    expect(core.status().commit).toBe(9);
    const rd = core.ready();
    // After a restart without a snapshot everything up to the stored commit is applied again, nothing more.
    expect(rd.committed.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('Figure 8: replicas of an older-term entry on a majority do not commit it (B1)', () => {
    // n1 will lead term 3 holding 2(t2); n2 and n3 only hold entry 1.
    const net = CoreNetwork.withLogs(['n1', 'n2', 'n3'], { n1: { terms: [1, 2], term: 2 }, n2: { terms: [1] }, n3: { terms: [1] } }, { maxMsgBytes: 1 });
    net.elapseTimeout('n1');
    net.deliver({ type: MessageType.PreVote });
    net.deliver({ type: MessageType.PreVoteResp });
    net.deliver({ type: MessageType.Vote });
    net.deliver({ type: MessageType.VoteResp });
    expect([net.status('n1').role, net.status('n1').term, net.status('n1').lastIndex]).toEqual(['leader', 3, 3]);
    net.drop({ to: 'n3' });
    // n2 rejects prev 2 and gets 2(t2) alone (the size limit keeps the no-op for the next App).
    net.deliver({ to: 'n2' });
    net.deliver({ to: 'n1' });
    const retry = apps(net, 'n2');
    expect(retry.map((m) => [m.index, m.entries.map((e) => [e.index, e.term])])).toEqual([[1, [[2, 2]]]]);
    net.deliver({ to: 'n2' });
    net.deliver({ to: 'n1' });
    expect(net.status('n1').progress.find((p) => p.id === 'n2')!.match).toBe(2);
    // Entry 2 is on n1 and n2 (a majority), but it is of term 2: not committed.
    expect(net.status('n1').commit).toBe(1);
    net.stabilize();
    expect(net.status('n1').commit).toBe(3);
    expect(net.status('n2').commit).toBe(3);
  });
});

describe('proposals', () => {
  test('a follower forwards a proposal to the leader, which appends it as its own', () => {
    const net = cluster();
    expect(net.propose('n2', 'fwd')).toEqual({ ok: true, term: 2 });
    const prop = net.pending({ from: 'n2', type: MessageType.Prop });
    expect(prop.map((m) => [m.to, m.term, m.entries.map((e) => [e.index, e.term, text(e)])])).toEqual([['n1', 2, [[0, 0, 'fwd']]]]);
    net.stabilize();
    expect(net.appliedData('n1')).toEqual(['fwd']);
    expect(net.appliedData('n3')).toEqual(['fwd']);
  });

  test('a Prop delayed from an older term is dropped: the proposer may have retried it already', () => {
    const net = cluster();
    const before = net.status('n1').lastIndex;
    net.inject(makeMessage(MessageType.Prop, 'n2', 'n1', 1, { entries: [{ index: 0, term: 0, type: EntryType.Normal, data: bytes('late') }] }));
    expect(net.status('n1').lastIndex).toBe(before);
    net.inject(makeMessage(MessageType.Prop, 'n2', 'n1', 2, { entries: [{ index: 0, term: 0, type: EntryType.Normal, data: bytes('current') }] }));
    expect(net.status('n1').lastIndex).toBe(before + 1);
  });

  test('without a known leader a proposal is refused', () => {
    const net = CoreNetwork.bootstrap(['n1', 'n2', 'n3']);
    expect(net.propose('n1', 'x')).toEqual({ ok: false, reason: 'no-leader' });
    net.elapseTimeout('n1');
    expect(net.propose('n1', 'x')).toEqual({ ok: false, reason: 'no-leader' });
  });

  test('the leader caps uncommitted bytes; committing frees room again (B23)', () => {
    const net = cluster({ maxUncommittedBytes: 10 });
    net.isolate('n1');
    expect(net.propose('n1', 'aaaa').ok).toBe(true);
    expect(net.propose('n1', 'bbbb').ok).toBe(true);
    expect(net.propose('n1', 'cccc')).toEqual({ ok: false, reason: 'uncommitted-cap' });
    // Forwarded proposals over the cap are dropped silently.
    net.inject(makeMessage(MessageType.Prop, 'n2', 'n1', 0, { entries: [{ index: 0, term: 0, type: EntryType.Normal, data: bytes('dddd') }] }));
    expect(net.status('n1').lastIndex).toBe(4);
    net.heal();
    net.run(1);
    expect(net.status('n1').commit).toBe(4);
    expect(net.propose('n1', 'cccc').ok).toBe(true);
  });

  test('an empty uncommitted tail admits one proposal larger than the cap', () => {
    const net = cluster({ maxUncommittedBytes: 4 });
    expect(net.propose('n1', 'x'.repeat(9)).ok).toBe(true);
    expect(net.propose('n1', 'y')).toEqual({ ok: false, reason: 'uncommitted-cap' });
  });
});
