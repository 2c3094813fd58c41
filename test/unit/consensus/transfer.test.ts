import { describe, test, expect } from '@jest/globals';
import { CoreNetwork, DEFAULT_OPTIONS, bytes, member } from '../../support/core-network.js';
import { makeMessage } from '../../../src/consensus/core/messages.js';
import { EntryType, MessageType } from '../../../src/consensus/core/types.js';

const ET = DEFAULT_OPTIONS.electionTicks;

function cluster(): CoreNetwork {
  const net = CoreNetwork.bootstrap(['n1', 'n2', 'n3']);
  net.campaign('n1');
  net.run(2);
  expect(net.leaderId()).toBe('n1');
  return net;
}

describe('leadership transfer', () => {
  test('to a caught-up voter: TimeoutNow at once, the target wins a forced election despite stickiness', () => {
    const net = cluster();
    expect(net.core('n1').transferLeadership('n3')).toEqual({ ok: true });
    expect(net.status('n1').transferee).toBe('n3');
    net.process('n1');
    expect(net.pending().map((m) => [m.type, m.from, m.to, m.term])).toEqual([[MessageType.TimeoutNow, 'n1', 'n3', 2]]);
    net.deliver();
    // No pre-vote: a real vote at once, marked as a transfer.
    expect(net.pending({ type: MessageType.Vote }).map((m) => [m.to, m.term, m.context])).toEqual([
      ['n1', 3, 'transfer'],
      ['n2', 3, 'transfer'],
    ]);
    net.stabilize();
    expect(net.leaderId()).toBe('n3');
    expect([net.status('n1').role, net.status('n1').leader, net.status('n1').term]).toEqual(['follower', 'n3', 3]);
  });

  test('to a lagging voter: the leader catches it up first and refuses proposals meanwhile', () => {
    const net = cluster();
    net.isolate('n3');
    for (const v of ['a', 'b', 'c']) net.propose('n1', v);
    net.stabilize();
    net.heal();
    expect(net.core('n1').transferLeadership('n3')).toEqual({ ok: true });
    expect(net.propose('n1', 'late')).toEqual({ ok: false, reason: 'transferring' });
    expect(net.core('n1').proposeConfChange({ type: 'add-learner', member: member('n4') })).toEqual({ ok: false, reason: 'transferring' });
    // A forwarded proposal is dropped too (the runtime retries at the new leader).
    net.inject(makeMessage(MessageType.Prop, 'n2', 'n1', 0, { entries: [{ index: 0, term: 0, type: EntryType.Normal, data: bytes('fwd') }] }));
    expect(net.status('n1').lastIndex).toBe(5);
    net.process('n1');
    expect(net.pending({ type: MessageType.TimeoutNow })).toEqual([]);
    net.stabilize();
    expect(net.sent('n1', { type: MessageType.TimeoutNow }).map((m) => m.to)).toEqual(['n3']);
    expect(net.leaderId()).toBe('n3');
    expect(net.appliedData('n3')).toEqual(['a', 'b', 'c']);
  });

  test('aborted after one election timeout without success; the old leader resumes (B25)', () => {
    const net = cluster();
    net.isolate('n3');
    expect(net.core('n1').transferLeadership('n3')).toEqual({ ok: true });
    net.run(ET - 1);
    expect(net.status('n1').transferee).toBe('n3');
    expect(net.propose('n1', 'x')).toEqual({ ok: false, reason: 'transferring' });
    net.run(1);
    expect(net.status('n1').transferee).toBe('');
    expect(net.status('n1').role).toBe('leader');
    expect(net.propose('n1', 'x').ok).toBe(true);
    net.stabilize();
    expect(net.appliedData('n2')).toEqual(['x']);
  });

  test('only the leader transfers, and only to a voter', () => {
    const net = CoreNetwork.bootstrap(['n1', 'n2', 'n3'], ['n4']);
    net.campaign('n1');
    expect(net.core('n2').transferLeadership('n3')).toEqual({ ok: false, reason: 'not-leader' });
    expect(net.core('n1').transferLeadership('n4')).toEqual({ ok: false, reason: 'invalid' });
    expect(net.core('n1').transferLeadership('n9')).toEqual({ ok: false, reason: 'invalid' });
    expect(net.core('n1').transferLeadership('n1')).toEqual({ ok: true });
    expect(net.status('n1').transferee).toBe('');
  });
});
