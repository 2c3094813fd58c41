import { describe, test, expect } from '@jest/globals';
import { CoreNetwork, DEFAULT_OPTIONS, member } from '../../support/core-network.js';
import { EntryType, MessageType, type NodeId } from '../../../src/consensus/core/types.js';

const ET = DEFAULT_OPTIONS.electionTicks;

function roles(net: CoreNetwork, id: NodeId): string[] {
  return net.status(id).membership.members.map((m) => `${m.id}:${m.role}`);
}

/** n1 leads term 2 of the given voters; its no-op is committed everywhere. */
function cluster(voters: NodeId[], options: Partial<typeof DEFAULT_OPTIONS> = {}): CoreNetwork {
  const net = CoreNetwork.bootstrap(voters, [], options);
  net.campaign('n1');
  expect(net.status('n1').role).toBe('leader');
  return net;
}

describe('membership changes', () => {
  test('a learner is added, receives the log, and never campaigns', () => {
    const net = cluster(['n1', 'n2', 'n3'], { learnerCatchUpEntries: -1_000_000 });
    net.propose('n1', 'a');
    net.stabilize();
    net.addNode('n4');
    const out = net.core('n1').proposeConfChange({ type: 'add-learner', member: member('n4') });
    expect(out).toEqual({ ok: true, index: 4 });
    net.process('n1');
    // Effective on append: the leader tracks n4 at once.
    expect(roles(net, 'n1')).toEqual(['n1:voter', 'n2:voter', 'n3:voter', 'n4:learner']);
    expect(net.status('n1').progress.map((p) => p.id)).toEqual(['n2', 'n3', 'n4']);
    net.stabilize();
    expect(roles(net, 'n4')).toEqual(['n1:voter', 'n2:voter', 'n3:voter', 'n4:learner']);
    expect(net.appliedData('n4')).toEqual(['a']);
    expect(net.status('n4').commit).toBe(4);
    net.tick('n4', 5 * ET);
    expect(net.status('n4').role).toBe('follower');
  });

  test('a caught-up learner is promoted automatically after 2·ET stable ticks, one at a time', () => {
    const net = cluster(['n1', 'n2', 'n3'], { learnerCatchUpEntries: 0 });
    net.addNode('n4');
    net.addNode('n5');
    expect(net.core('n1').proposeConfChange({ type: 'add-learner', member: member('n4') }).ok).toBe(true);
    net.stabilize();
    expect(net.core('n1').proposeConfChange({ type: 'add-learner', member: member('n5') }).ok).toBe(true);
    net.stabilize();
    net.run(2 * ET - 3);
    expect(roles(net, 'n1')).toEqual(['n1:voter', 'n2:voter', 'n3:voter', 'n4:learner', 'n5:learner']);
    let promotedAt = -1;
    for (let t = 0; t < 4 * ET && promotedAt < 0; t++) {
      net.run(1);
      if (roles(net, 'n1').includes('n4:voter')) promotedAt = t;
    }
    expect(promotedAt).toBeGreaterThanOrEqual(0);
    // n5 waits for n4's promotion to commit, then follows.
    expect(roles(net, 'n1')).toEqual(['n1:voter', 'n2:voter', 'n3:voter', 'n4:voter', 'n5:learner']);
    net.run(2);
    expect(roles(net, 'n1')).toEqual(['n1:voter', 'n2:voter', 'n3:voter', 'n4:voter', 'n5:voter']);
    expect(roles(net, 'n5')).toEqual(roles(net, 'n1'));
  });

  test('a learner that does not answer is never promoted', () => {
    const net = cluster(['n1', 'n2', 'n3'], { learnerCatchUpEntries: 0 });
    expect(net.core('n1').proposeConfChange({ type: 'add-learner', member: member('n4') }).ok).toBe(true);
    net.run(6 * ET);
    expect(roles(net, 'n1')).toContain('n4:learner');
    expect(net.status('n1').progress.find((p) => p.id === 'n4')!.recentActive).toBe(false);
  });

  test('removing a follower: the smaller quorum takes effect on append', () => {
    const net = cluster(['n1', 'n2', 'n3']);
    net.stop('n3');
    expect(net.core('n1').proposeConfChange({ type: 'remove', id: 'n3' })).toEqual({ ok: true, index: 3 });
    net.stabilize();
    expect(roles(net, 'n2')).toEqual(['n1:voter', 'n2:voter']);
    expect(net.status('n1').progress.map((p) => p.id)).toEqual(['n2']);
    net.propose('n1', 'w');
    net.stabilize();
    expect(net.status('n1').commit).toBe(4);
    // Quorum is now {n1, n2}: both are needed.
    net.stop('n2');
    net.propose('n1', 'x');
    net.stabilize();
    expect(net.status('n1').commit).toBe(4);
  });

  test('removing the leader: it stops counting itself once the change is appended, steps down once it commits (B17)', () => {
    const net = cluster(['n1', 'n2', 'n3']);
    expect(net.core('n1').proposeConfChange({ type: 'remove', id: 'n1' })).toEqual({ ok: true, index: 3 });
    expect(net.propose('n1', 'w')).toEqual({ ok: true, index: 4, term: 2 });
    expect(roles(net, 'n1')).toEqual(['n2:voter', 'n3:voter']);
    const held = net.hold({ from: 'n1', to: 'n3' });
    net.deliver({ to: 'n2' });
    net.deliver({ from: 'n2', to: 'n1' });
    // n1 and n2 hold both entries, but n1 is not in {n2, n3}: nothing commits.
    expect(net.status('n1').commit).toBe(2);
    expect(net.status('n1').role).toBe('leader');
    for (const m of held) net.inject(m);
    net.deliver({ from: 'n3', to: 'n1' });
    expect(net.status('n1').commit).toBe(4);
    expect([net.status('n1').role, net.status('n1').leader]).toEqual(['follower', '']);
    net.stabilize();
    expect(net.status('n2').commit).toBe(4);
    // n1 is not a voter any more: it never campaigns; n2 or n3 takes over within 2 election timeouts.
    let ticks = 0;
    while (net.leaderId() === '' && ticks < 4 * ET) {
      net.run(1);
      ticks++;
    }
    expect(['n2', 'n3']).toContain(net.leaderId());
    expect(ticks).toBeLessThanOrEqual(2 * ET + 2);
    expect(net.status('n1').role).toBe('follower');
  });

  test('a removed leader that lost leadership before its removal committed still campaigns and finishes it', () => {
    // n1 appends C_new = {n2} (removing itself) and then restarts; n2 never got C_new.
    const net = cluster(['n1', 'n2'], { preVote: false, checkQuorum: false });
    expect(net.core('n1').proposeConfChange({ type: 'remove', id: 'n1' })).toEqual({ ok: true, index: 3 });
    net.process('n1');
    net.drop();
    net.crash('n1');
    expect(roles(net, 'n1')).toEqual(['n2:voter']);
    expect(roles(net, 'n2')).toEqual(['n1:voter', 'n2:voter']);
    // n2 needs n1's vote under {n1, n2}, but n1's log is longer; only n1 can move on.
    for (let i = 0; i < 10 * ET && net.status('n2').commit < 3; i++) net.run(1);
    // n1 led a new term under C_new (n2's vote alone), its no-op at 4 committed C_new with it.
    expect(net.status('n2').commit).toBe(4);
    const terms = net.node('n2').store.entries.map((e) => e.term);
    expect(terms.slice(0, 3)).toEqual([1, 2, 2]);
    expect(terms.length).toBe(4);
    expect(terms[3]).toBeGreaterThan(2);
    expect(roles(net, 'n2')).toEqual(['n2:voter']);
    for (let i = 0; i < 6 * ET && net.leaderId() !== 'n2'; i++) net.run(1);
    expect(net.leaderId()).toBe('n2');
    // n1 knows its removal committed: it never campaigns again.
    const term = net.status('n1').term;
    net.run(6 * ET);
    expect(net.status('n1').role).toBe('follower');
    expect(net.sent('n1', { type: MessageType.Vote }).every((m) => m.term <= term)).toBe(true);
  });

  test('removing the leader of a two-node cluster does not deadlock (B17)', () => {
    const net = cluster(['n1', 'n2']);
    expect(net.core('n1').proposeConfChange({ type: 'remove', id: 'n1' }).ok).toBe(true);
    net.stabilize();
    expect(net.status('n1').role).toBe('follower');
    expect(roles(net, 'n2')).toEqual(['n2:voter']);
    for (let i = 0; i < 4 * ET && net.leaderId() === ''; i++) net.run(1);
    expect(net.leaderId()).toBe('n2');
  });

  test('no configuration change before an entry of the leader\'s own term is committed (B14)', () => {
    const net = CoreNetwork.bootstrap(['n1', 'n2', 'n3']);
    net.elapseTimeout('n1');
    net.deliver({ type: MessageType.PreVote });
    net.deliver({ type: MessageType.PreVoteResp });
    net.deliver({ type: MessageType.Vote });
    net.deliver({ type: MessageType.VoteResp });
    expect(net.status('n1').role).toBe('leader');
    const cc = { type: 'add-learner', member: member('n4') } as const;
    expect(net.core('n1').proposeConfChange(cc)).toEqual({ ok: false, reason: 'term-not-committed' });
    net.stabilize();
    expect(net.core('n1').proposeConfChange(cc).ok).toBe(true);
  });

  test('one uncommitted configuration at a time (B15)', () => {
    const net = cluster(['n1', 'n2', 'n3']);
    net.isolate('n1');
    expect(net.core('n1').proposeConfChange({ type: 'add-learner', member: member('n4') }).ok).toBe(true);
    expect(net.core('n1').proposeConfChange({ type: 'add-learner', member: member('n5') })).toEqual({ ok: false, reason: 'pending-config' });
    net.heal();
    net.run(1);
    expect(net.core('n1').proposeConfChange({ type: 'add-learner', member: member('n5') }).ok).toBe(true);
  });

  test('nonsense changes are refused as invalid', () => {
    const net = cluster(['n1', 'n2']);
    const core = net.core('n1');
    expect(core.proposeConfChange({ type: 'remove', id: 'n9' })).toEqual({ ok: false, reason: 'invalid' });
    expect(core.proposeConfChange({ type: 'promote', id: 'n2' })).toEqual({ ok: false, reason: 'invalid' });
    expect(core.proposeConfChange({ type: 'add-learner', member: member('n2') })).toEqual({ ok: false, reason: 'invalid' });
    expect(net.core('n2').proposeConfChange({ type: 'remove', id: 'n1' })).toEqual({ ok: false, reason: 'not-leader' });
    expect(net.status('n1').lastIndex).toBe(2);
  });

  test('a truncated configuration entry gives way to the previous configuration (B16)', () => {
    const net = cluster(['n1', 'n2', 'n3', 'n4', 'n5'], { preVote: false, checkQuorum: false });
    expect(net.core('n1').proposeConfChange({ type: 'remove', id: 'n5' })).toEqual({ ok: true, index: 3 });
    net.process('n1');
    net.deliver({ from: 'n1', to: 'n2' });
    net.drop();
    expect(roles(net, 'n2')).toEqual(['n1:voter', 'n2:voter', 'n3:voter', 'n4:voter']);
    net.stop('n1');
    net.campaign('n3');
    expect([net.status('n3').role, net.status('n3').term]).toEqual(['leader', 3]);
    const entry3 = net.node('n2').store.entries.find((e) => e.index === 3)!;
    expect([entry3.term, entry3.type]).toEqual([3, EntryType.Normal]);
    expect(roles(net, 'n2')).toEqual(['n1:voter', 'n2:voter', 'n3:voter', 'n4:voter', 'n5:voter']);
  });

  test('learners answer vote requests: a promotion the learner has not seen yet still elects (B18)', () => {
    const net = CoreNetwork.bootstrap(['n1', 'n2'], ['n3']);
    net.campaign('n1');
    expect(net.core('n1').proposeConfChange({ type: 'promote', id: 'n3' }).ok).toBe(true);
    net.process('n1');
    net.deliver({ from: 'n1', to: 'n2' });
    net.drop();
    expect(roles(net, 'n2')).toEqual(['n1:voter', 'n2:voter', 'n3:voter']);
    expect(roles(net, 'n3')).toEqual(['n1:voter', 'n2:voter', 'n3:learner']);
    net.stop('n1');
    for (let i = 0; i < 6 * ET && net.leaderId() === ''; i++) net.run(1);
    expect(net.leaderId()).toBe('n2');
    expect(net.sent('n3', { type: MessageType.VoteResp, to: 'n2' }).map((m) => m.reject)).toEqual([false]);
    expect(roles(net, 'n3')).toEqual(['n1:voter', 'n2:voter', 'n3:voter']);
  });

  test('a node removed while cut off cannot disturb the cluster when it returns (B10 scenario B)', () => {
    const net = cluster(['n1', 'n2', 'n3']);
    net.isolate('n3');
    expect(net.core('n1').proposeConfChange({ type: 'remove', id: 'n3' }).ok).toBe(true);
    net.run(3);
    net.run(4 * ET);
    net.heal();
    net.run(4 * ET);
    expect(net.leaderId()).toBe('n1');
    expect(net.status('n1').term).toBe(2);
    expect(net.status('n2').term).toBe(2);
  });
});
