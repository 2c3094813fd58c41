import { describe, test, expect } from '@jest/globals';
import { CoreNetwork, DEFAULT_OPTIONS, logFrom, membershipOf, seededRng } from '../../support/core-network.js';
import { RaftCore } from '../../../src/consensus/core/raft-core.js';
import { makeMessage } from '../../../src/consensus/core/messages.js';
import { MessageType, type Message, type NodeId } from '../../../src/consensus/core/types.js';

const NO_PREVOTE = { preVote: false, checkQuorum: false };

/** A standalone core with a 1-entry log (term 1) in the given cluster. */
function standalone(id: NodeId, voters: NodeId[], opts: Partial<typeof DEFAULT_OPTIONS> = {}, terms: number[] = [1], term = 1): RaftCore {
  return new RaftCore(
    { ...DEFAULT_OPTIONS, ...opts, id, rng: seededRng(7) },
    { hardState: { term, vote: '', commit: 1 }, snapshot: null, entries: logFrom(terms, membershipOf(voters)) },
  );
}

function msg(type: MessageType, from: NodeId, to: NodeId, term: number, fields: Partial<Message> = {}): Message {
  return makeMessage(type, from, to, term, fields);
}

describe('elections', () => {
  test('a single voter elects itself after a full randomized timeout, never before (B13)', () => {
    const net = CoreNetwork.bootstrap(['n1']);
    net.tick('n1', DEFAULT_OPTIONS.electionTicks - 1);
    expect(net.status('n1').role).toBe('follower');
    net.tick('n1', DEFAULT_OPTIONS.electionTicks);
    const st = net.status('n1');
    expect(st.role).toBe('leader');
    expect(st.term).toBe(2);
    expect(st.vote).toBe('n1');
    // The no-op is committed once persisted (the harness persists synchronously).
    expect(st.commit).toBe(2);
    expect(st.lastIndex).toBe(2);
  });

  test('the randomized timeout lies in [ET, 2·ET) and is redrawn at each reset', () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 40; seed++) {
      const net = CoreNetwork.bootstrap(['n1'], [], { preVote: false }, seed);
      let ticks = 0;
      while (net.status('n1').role !== 'leader' && ticks < 100) {
        net.tick('n1');
        ticks++;
      }
      expect(ticks).toBeGreaterThanOrEqual(DEFAULT_OPTIONS.electionTicks);
      expect(ticks).toBeLessThan(2 * DEFAULT_OPTIONS.electionTicks);
      seen.add(ticks);
    }
    expect(seen.size).toBeGreaterThan(3);
  });

  test('three nodes: one pre-vote round, one vote round, everybody follows the leader of term 2', () => {
    const net = CoreNetwork.bootstrap(['n1', 'n2', 'n3']);
    net.elapseTimeout('n1');
    expect(net.status('n1').role).toBe('pre-candidate');
    expect(net.status('n1').term).toBe(1);
    const preVotes = net.pending({ type: MessageType.PreVote });
    expect(preVotes.map((m) => [m.to, m.term, m.index, m.logTerm])).toEqual([
      ['n2', 2, 1, 1],
      ['n3', 2, 1, 1],
    ]);
    net.stabilize();
    for (const id of ['n1', 'n2', 'n3']) {
      const st = net.status(id);
      expect([st.term, st.leader, st.commit, st.lastIndex]).toEqual([2, 'n1', 2, 2]);
    }
    expect(net.status('n2').vote).toBe('n1');
    expect(net.status('n1').role).toBe('leader');
  });

  test('a split vote is resolved by later, randomized timeouts', () => {
    const net = CoreNetwork.bootstrap(['n1', 'n2', 'n3', 'n4'], [], NO_PREVOTE, 3);
    net.elapseTimeout('n1');
    net.elapseTimeout('n2');
    expect([net.status('n1').role, net.status('n2').role]).toEqual(['candidate', 'candidate']);
    // n3 hears n1 first, n4 hears n2 first: 2 of 4 each.
    net.deliver({ from: 'n1', to: 'n3' });
    net.deliver({ from: 'n2', to: 'n4' });
    net.stabilize();
    expect(net.status('n1').role).toBe('follower');
    expect(net.status('n2').role).toBe('follower');
    expect(net.leaderId()).toBe('');
    for (let i = 0; i < 100 && net.leaderId() === ''; i++) net.run(1);
    const leader = net.leaderId();
    expect(leader).not.toBe('');
    const term = net.status(leader).term;
    expect(term).toBeGreaterThanOrEqual(3);
    for (const id of net.ids()) expect([net.status(id).term, net.status(id).leader]).toEqual([term, leader]);
  });

  test('a learner or a node outside the configuration never campaigns', () => {
    const net = CoreNetwork.bootstrap(['n1', 'n2'], ['n3']);
    net.addNode('n4');
    net.tick('n3', 100);
    net.tick('n4', 100);
    expect(net.status('n3').role).toBe('follower');
    expect(net.status('n4').role).toBe('follower');
    expect(net.pending()).toEqual([]);
  });
});

describe('pre-vote and check-quorum', () => {
  test('an isolated node does not inflate its term, and rejoins without disturbing the leader (B10)', () => {
    const net = CoreNetwork.bootstrap(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.isolate('n3');
    net.run(10 * DEFAULT_OPTIONS.electionTicks);
    expect(net.status('n3').term).toBe(2);
    expect(net.status('n3').role).toBe('pre-candidate');
    net.heal();
    net.run(3 * DEFAULT_OPTIONS.electionTicks);
    for (const id of net.ids()) expect([net.status(id).term, net.status(id).leader]).toEqual([2, 'n1']);
  });

  test('leader stickiness: a node cut off from the leader only cannot win votes from nodes that hear the leader (B12)', () => {
    const net = CoreNetwork.bootstrap(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.cutLink('n1', 'n3');
    net.run(5 * DEFAULT_OPTIONS.electionTicks);
    expect(net.status('n1').role).toBe('leader');
    expect(net.status('n2').term).toBe(2);
    expect(net.status('n3').term).toBe(2);
    // n2 ignored n3's pre-votes: it never answered them.
    expect(net.sent('n2', { type: MessageType.PreVoteResp, to: 'n3' })).toEqual([]);
    expect(net.sent('n3', { type: MessageType.PreVote }).length).toBeGreaterThan(0);
  });

  test('a leader that cannot hear a quorum steps down within one election timeout (B23)', () => {
    const net = CoreNetwork.bootstrap(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.run(3);
    net.isolate('n1');
    let ticks = 0;
    while (net.status('n1').role === 'leader' && ticks < 100) {
      net.run(1);
      ticks++;
    }
    expect(ticks).toBeLessThanOrEqual(DEFAULT_OPTIONS.electionTicks);
    expect(net.status('n1').role).toBe('follower');
    expect(net.status('n1').leader).toBe('');
    expect(net.propose('n1', 'x')).toEqual({ ok: false, reason: 'no-leader' });
  });

  test('a pre-vote answer carries the request term; a lower-term pre-vote is refused with our term (B11)', () => {
    const core = standalone('n3', ['n1', 'n2', 'n3']);
    core.step(msg(MessageType.PreVote, 'n1', 'n3', 6, { index: 1, logTerm: 1 }));
    let rd = core.ready();
    expect(rd.messages.map((m) => [m.type, m.term, m.reject])).toEqual([[MessageType.PreVoteResp, 6, false]]);
    expect(rd.hardState).toBeUndefined();
    expect(core.status().term).toBe(1);
    core.advance(rd);

    const high = standalone('n3', ['n1', 'n2', 'n3'], {}, [1], 5);
    high.step(msg(MessageType.PreVote, 'n1', 'n3', 3, { index: 1, logTerm: 1 }));
    rd = high.ready();
    expect(rd.messages.map((m) => [m.type, m.term, m.reject])).toEqual([[MessageType.PreVoteResp, 5, true]]);
  });

  test('a node with a smaller term can still complete an election (B11 scenario)', () => {
    // n1 and n2 reached term 5 while n3 was isolated in term 1; n2 (the leader) crashes as n3 heals.
    const net = CoreNetwork.withLogs(['n1', 'n2', 'n3'], { n1: { terms: [1, 5] }, n2: { terms: [1, 5] }, n3: { terms: [1] } });
    net.stop('n2');
    for (let i = 0; i < 3 * 2 * DEFAULT_OPTIONS.electionTicks && net.leaderId() === ''; i++) net.run(1);
    expect(net.leaderId()).toBe('n1');
    expect(net.status('n1').term).toBe(6);
    expect(net.status('n3').term).toBe(6);
  });
});

describe('leader-lost fast pre-vote', () => {
  test('granted when the voter lost the leader too: a new leader without waiting for a timeout', () => {
    const net = CoreNetwork.bootstrap(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.run(2);
    net.stop('n1');
    net.core('n3').reportLeaderUnreachable();
    net.process('n3');
    expect(net.status('n3').role).toBe('pre-candidate');
    expect(net.pending({ from: 'n3', to: 'n2' }).map((m) => [m.type, m.term, m.context])).toEqual([[MessageType.PreVote, 3, 'leader-lost']]);
    net.core('n2').reportLeaderUnreachable();
    net.process('n2');
    // n2 set leaderLost itself, so it grants n3's pre-vote although it heard n1 a tick ago.
    net.deliver({ from: 'n3', to: 'n2', type: MessageType.PreVote });
    net.deliver({ from: 'n2', to: 'n3', type: MessageType.PreVoteResp });
    expect([net.status('n3').role, net.status('n3').term]).toEqual(['candidate', 3]);
    expect(net.pending({ from: 'n3', to: 'n2', type: MessageType.Vote }).map((m) => m.context)).toEqual(['leader-lost']);
    net.deliver({ from: 'n3', to: 'n2', type: MessageType.Vote });
    net.stabilize();
    expect(net.status('n3').role).toBe('leader');
    expect(net.status('n3').term).toBe(3);
    expect(net.status('n2').leader).toBe('n3');
  });

  test('staggered: survivors that saw the reset together do not split the vote; the later one only grants', () => {
    const net = CoreNetwork.bootstrap(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.run(2);
    net.stop('n1');
    // Both survivors see the reset at the same moment; neither campaigns yet.
    net.core('n2').reportLeaderUnreachable(false);
    net.core('n3').reportLeaderUnreachable(false);
    net.process('n2');
    net.process('n3');
    expect([net.status('n2').role, net.status('n3').role]).toEqual(['follower', 'follower']);
    // Rank 0 (n2) campaigns first; n3 lost the leader too, so it grants.
    net.core('n2').campaignIfLeaderLost();
    net.stabilize();
    expect([net.status('n2').role, net.status('n2').term]).toEqual(['leader', 3]);
    // n3's turn comes after it already voted in term 3: it does not campaign.
    net.core('n3').campaignIfLeaderLost();
    net.process('n3');
    expect(net.status('n3').role).toBe('follower');
    expect(net.status('n3').term).toBe(3);
    net.stabilize();
    expect(net.status('n3').leader).toBe('n2');
  });

  test('refused by a voter that still hears the leader; the node returns to the leader on its next heartbeat', () => {
    const net = CoreNetwork.bootstrap(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.run(2);
    net.core('n3').reportLeaderUnreachable();
    net.process('n3');
    expect(net.status('n3').role).toBe('pre-candidate');
    net.stabilize();
    expect(net.sent('n2', { type: MessageType.PreVoteResp, to: 'n3' })).toEqual([]);
    expect(net.sent('n1', { type: MessageType.PreVoteResp, to: 'n3' })).toEqual([]);
    net.run(1);
    for (const id of net.ids()) expect([net.status(id).term, net.status(id).leader]).toEqual([2, 'n1']);
    expect(net.status('n3').role).toBe('follower');
  });
});

describe('votes', () => {
  test('term and vote are in the hardState of the Ready that carries the grant; a candidate persists its own vote (B6)', () => {
    const core = standalone('n1', ['n1', 'n2', 'n3'], NO_PREVOTE);
    core.step(msg(MessageType.Vote, 'n2', 'n1', 2, { index: 1, logTerm: 1 }));
    const rd = core.ready();
    expect(rd.hardState).toEqual({ term: 2, vote: 'n2', commit: 1 });
    expect(rd.leaderMessages).toEqual([]);
    expect(rd.messages.map((m) => [m.type, m.to, m.term, m.reject])).toEqual([[MessageType.VoteResp, 'n2', 2, false]]);
    core.advance(rd);

    const cand = standalone('n3', ['n1', 'n2', 'n3'], NO_PREVOTE);
    for (let i = 0; i < 20 && cand.status().role === 'follower'; i++) cand.tick();
    const rd2 = cand.ready();
    expect(rd2.hardState).toEqual({ term: 2, vote: 'n3', commit: 1 });
    expect(rd2.leaderMessages).toEqual([]);
    expect(rd2.messages.map((m) => [m.type, m.to])).toEqual([
      [MessageType.Vote, 'n1'],
      [MessageType.Vote, 'n2'],
    ]);
  });

  test('a vote survives a crash: no second leader in the same term (B6 scenario)', () => {
    const net = CoreNetwork.bootstrap(['n1', 'n2', 'n3'], [], NO_PREVOTE);
    net.isolate('n3');
    net.campaign('n2');
    expect(net.status('n2').role).toBe('leader');
    expect(net.status('n2').term).toBe(2);
    net.crash('n1');
    expect([net.status('n1').term, net.status('n1').vote]).toEqual([2, 'n2']);
    net.heal();
    net.cutLink('n2', 'n3');
    net.elapseTimeout('n3');
    expect([net.status('n3').role, net.status('n3').term]).toEqual(['candidate', 2]);
    net.stabilize();
    expect(net.sent('n1', { type: MessageType.VoteResp, to: 'n3' }).map((m) => m.reject)).toEqual([true]);
    expect(net.status('n3').role).not.toBe('leader');
  });

  test('votedFor is kept when a candidate learns of the leader of its term (B7)', () => {
    const net = CoreNetwork.bootstrap(['n1', 'n2', 'n3', 'n4', 'n5'], [], NO_PREVOTE);
    net.elapseTimeout('n1');
    net.elapseTimeout('n2');
    expect([net.status('n1').term, net.status('n2').term]).toEqual([2, 2]);
    net.drop({ to: 'n5' });
    net.deliver({ from: 'n1', to: 'n3' });
    net.deliver({ from: 'n1', to: 'n4' });
    net.drop({ from: 'n2' });
    net.deliver({ to: 'n1' });
    expect(net.status('n1').role).toBe('leader');
    net.deliver({ from: 'n1', to: 'n2', type: MessageType.App });
    expect([net.status('n2').role, net.status('n2').leader, net.status('n2').vote]).toEqual(['follower', 'n1', 'n2']);
    net.drop();
    net.elapseTimeout('n5');
    expect([net.status('n5').role, net.status('n5').term]).toEqual(['candidate', 2]);
    net.deliver({ from: 'n5', to: 'n2' });
    expect(net.sent('n2', { type: MessageType.VoteResp, to: 'n5' }).map((m) => m.reject)).toEqual([true]);
  });

  test('up-to-date check compares last terms first, then last indexes (B8)', () => {
    // n2 holds 1(t1) 2(t2) 3(t2): a longer log with an older last term loses.
    const voter = (): RaftCore => standalone('n2', ['n1', 'n2', 'n3'], NO_PREVOTE, [1, 2, 2], 2);
    const cases: [number, number, boolean][] = [
      [4, 1, false], // longer, older last term
      [2, 2, false], // same term, shorter
      [3, 2, true], // identical
      [2, 3, true], // shorter but newer last term
    ];
    for (const [index, logTerm, granted] of cases) {
      const core = voter();
      core.step(msg(MessageType.Vote, 'n3', 'n2', 3, { index, logTerm }));
      const rd = core.ready();
      expect(rd.messages.map((m) => [m.type, m.reject])).toEqual([[MessageType.VoteResp, !granted]]);
      expect(core.status().vote).toBe(granted ? 'n3' : '');
    }
  });

  test('duplicate and stale grants count once (B9)', () => {
    const cand = standalone('n1', ['n1', 'n2', 'n3', 'n4', 'n5'], NO_PREVOTE, [1], 2);
    for (let i = 0; i < 40 && cand.status().role === 'follower'; i++) cand.tick();
    expect([cand.status().role, cand.status().term]).toEqual(['candidate', 3]);
    for (let i = 0; i < 3; i++) cand.step(msg(MessageType.VoteResp, 'n2', 'n1', 3));
    cand.step(msg(MessageType.VoteResp, 'n3', 'n1', 2));
    expect(cand.status().role).toBe('candidate');
    cand.step(msg(MessageType.VoteResp, 'n3', 'n1', 3));
    expect(cand.status().role).toBe('leader');
  });

  test('a rejected majority sends the candidate back to follower in the same term', () => {
    const cand = standalone('n1', ['n1', 'n2', 'n3'], NO_PREVOTE);
    for (let i = 0; i < 40 && cand.status().role === 'follower'; i++) cand.tick();
    cand.step(msg(MessageType.VoteResp, 'n2', 'n1', 2, { reject: true }));
    expect(cand.status().role).toBe('candidate');
    cand.step(msg(MessageType.VoteResp, 'n3', 'n1', 2, { reject: true }));
    expect([cand.status().role, cand.status().term, cand.status().vote]).toEqual(['follower', 2, 'n1']);
  });
});
