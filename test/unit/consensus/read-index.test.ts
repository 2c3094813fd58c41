import { describe, test, expect } from '@jest/globals';
import { CoreNetwork } from '../../support/core-network.js';
import { makeMessage } from '../../../src/consensus/core/messages.js';
import { MessageType } from '../../../src/consensus/core/types.js';

function cluster(): CoreNetwork {
  const net = CoreNetwork.bootstrap(['n1', 'n2', 'n3']);
  net.campaign('n1');
  net.propose('n1', 'a');
  net.stabilize();
  expect(net.status('n1').commit).toBe(3);
  return net;
}

describe('ReadIndex', () => {
  test('on the leader: a heartbeat round, then a ReadState at the commit index once a quorum answered', () => {
    const net = cluster();
    net.core('n1').readIndex('r1');
    net.process('n1');
    const hbs = net.pending({ type: MessageType.Heartbeat });
    expect(hbs.map((m) => m.to)).toEqual(['n2', 'n3']);
    expect(new Set(hbs.map((m) => m.context)).size).toBe(1);
    expect(hbs[0]!.context).not.toBe('');
    expect(net.node('n1').readStates).toEqual([]);
    net.drop({ to: 'n3' });
    net.deliver({ to: 'n2' });
    expect(net.node('n1').readStates).toEqual([]);
    net.deliver({ from: 'n2', to: 'n1' });
    expect(net.node('n1').readStates).toEqual([{ index: 3, context: 'r1' }]);
  });

  test('reads queued before a round share its acknowledgement', () => {
    const net = cluster();
    net.core('n1').readIndex('r1');
    net.core('n1').readIndex('r2');
    net.process('n1');
    const second = net.pending({ to: 'n2', type: MessageType.Heartbeat })[1]!;
    net.drop();
    net.inject(second);
    net.deliver({ from: 'n2', to: 'n1' });
    expect(net.node('n1').readStates).toEqual([
      { index: 3, context: 'r1' },
      { index: 3, context: 'r2' },
    ]);
  });

  test('a read that arrives after a write committed gets an index covering it', () => {
    const net = cluster();
    net.propose('n1', 'b');
    net.stabilize();
    net.core('n1').readIndex('r');
    net.stabilize();
    expect(net.node('n1').readStates).toEqual([{ index: 4, context: 'r' }]);
  });

  test('on a follower: forwarded to the leader, answered with the leader\'s read index', () => {
    const net = cluster();
    net.core('n2').readIndex('f1');
    net.process('n2');
    expect(net.pending({ from: 'n2' }).map((m) => [m.type, m.to, m.term, m.context])).toEqual([[MessageType.ReadIndex, 'n1', 0, 'f1']]);
    net.stabilize();
    expect(net.node('n2').readStates).toEqual([{ index: 3, context: 'f1' }]);
    expect(net.node('n1').readStates).toEqual([]);
  });

  test('the same context used by the leader and by a follower are two different reads', () => {
    const net = cluster();
    net.core('n1').readIndex('r1');
    net.core('n2').readIndex('r1');
    net.stabilize();
    expect(net.node('n1').readStates).toEqual([{ index: 3, context: 'r1' }]);
    expect(net.node('n2').readStates).toEqual([{ index: 3, context: 'r1' }]);
  });

  test('a new leader answers only after an entry of its term is committed (B20)', () => {
    const net = cluster();
    net.elapseTimeout('n2');
    net.tick('n3', 10);
    // n2 becomes leader of term 3 but its no-op is not committed yet.
    net.deliver({ type: MessageType.PreVote });
    net.deliver({ type: MessageType.PreVoteResp });
    net.deliver({ type: MessageType.Vote });
    net.deliver({ type: MessageType.VoteResp });
    expect([net.status('n2').role, net.status('n2').term, net.status('n2').commit]).toEqual(['leader', 3, 3]);
    net.core('n2').readIndex('r');
    net.process('n2');
    expect(net.pending({ from: 'n2', type: MessageType.Heartbeat })).toEqual([]);
    net.stabilize();
    expect(net.status('n2').commit).toBe(4);
    expect(net.node('n2').readStates).toEqual([{ index: 4, context: 'r' }]);
  });

  test('a single-voter leader answers at once, once its term has a committed entry', () => {
    const net = CoreNetwork.bootstrap(['n1']);
    net.campaign('n1');
    net.core('n1').readIndex('r');
    net.process('n1');
    expect(net.node('n1').readStates).toEqual([{ index: 2, context: 'r' }]);
    expect(net.pending()).toEqual([]);
  });

  test('pending reads fail when the leader steps down; a follower without leader fails at once', () => {
    const net = cluster();
    net.core('n1').readIndex('mine');
    net.core('n2').readIndex('theirs');
    net.process('n1');
    net.process('n2');
    net.deliver({ type: MessageType.ReadIndex });
    net.drop();
    net.inject(makeMessage(MessageType.App, 'n3', 'n1', 5, { index: 3, logTerm: 2 }));
    expect(net.status('n1').role).toBe('follower');
    expect(net.node('n1').failedReads).toEqual(['mine']);
    net.deliver({ from: 'n1', to: 'n2', type: MessageType.ReadIndexResp });
    expect(net.node('n2').failedReads).toEqual(['theirs']);

    const lonely = CoreNetwork.bootstrap(['n1', 'n2', 'n3']);
    lonely.core('n1').readIndex('x');
    lonely.process('n1');
    expect(lonely.node('n1').failedReads).toEqual(['x']);
  });

  test('a follower fails the reads it forwarded when its leader changes', () => {
    const net = cluster();
    net.core('n2').readIndex('f');
    net.process('n2');
    net.drop();
    net.core('n2').reportLeaderUnreachable();
    net.process('n2');
    expect(net.node('n2').failedReads).toEqual(['f']);
  });
});
