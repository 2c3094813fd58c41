import { describe, test, expect } from '@jest/globals';
import { RaftLog } from '../../../src/consensus/core/raft-log.js';
import { Inflights, Progress } from '../../../src/consensus/core/progress.js';
import { hasQuorum, majority, quorumIndex, voteResult } from '../../../src/consensus/core/quorum.js';
import { applyConfChange, decodeMembership, encodeMembership, tryDecodeMembership } from '../../../src/consensus/core/membership.js';
import { ConfigHistory } from '../../../src/consensus/core/config-history.js';
import { ReadOnlyQueue } from '../../../src/consensus/core/read-only.js';
import { EntryType, type Entry, type SnapshotMeta } from '../../../src/consensus/core/types.js';
import { bytes, member, membershipOf } from '../../support/core-network.js';

function ents(first: number, terms: number[]): Entry[] {
  return terms.map((term, i) => ({ index: first + i, term, type: EntryType.Normal, data: bytes(`${first + i}`) }));
}

const M3 = membershipOf(['n1', 'n2', 'n3']);

describe('RaftLog', () => {
  test('term lookup across snapshot, compaction point and end', () => {
    const snap: SnapshotMeta = { index: 5, term: 2, membership: M3 };
    const log = new RaftLog(snap, ents(4, [2, 2, 3, 3]));
    expect([log.firstIndex(), log.lastIndex(), log.lastTerm()]).toEqual([4, 7, 3]);
    expect([log.term(2), log.term(3), log.term(4), log.term(5), log.term(7), log.term(8)]).toEqual([undefined, undefined, 2, 2, 3, undefined]);
    log.compact(5);
    expect([log.firstIndex(), log.term(4), log.term(5), log.term(6)]).toEqual([6, undefined, 2, 3]);
    expect(log.slice(1, 10).map((e) => e.index)).toEqual([6, 7]);
  });

  test('an empty log after a snapshot knows only the snapshot term; index 0 is unknown once compacted', () => {
    const log = new RaftLog({ index: 9, term: 4, membership: M3 }, []);
    expect([log.firstIndex(), log.lastIndex(), log.lastTerm(), log.term(9), log.term(0)]).toEqual([10, 9, 4, 4, undefined]);
    expect(new RaftLog(null, []).term(0)).toBe(0);
  });

  test('the start state must be contiguous and continue the snapshot', () => {
    expect(() => new RaftLog(null, [...ents(1, [1]), ...ents(3, [1])])).toThrow(RangeError);
    expect(() => new RaftLog({ index: 5, term: 1, membership: M3 }, ents(7, [1]))).toThrow(RangeError);
    expect(() => new RaftLog({ index: 5, term: 2, membership: M3 }, ents(4, [1, 1]))).toThrow(RangeError);
  });

  test('slice honours maxBytes but always returns one entry', () => {
    const log = new RaftLog(null, ents(1, [1, 1, 1, 1]).map((e) => ({ ...e, data: new Uint8Array(4) })));
    expect(log.slice(1, 4, 8).map((e) => e.index)).toEqual([1, 2]);
    expect(log.slice(1, 4, 1).map((e) => e.index)).toEqual([1]);
    expect(log.slice(3, 2)).toEqual([]);
  });

  test('findConflict and findConflictByTerm', () => {
    const log = new RaftLog(null, ents(1, [1, 1, 2, 2, 3]));
    expect(log.findConflict(ents(2, [1, 2]))).toBe(0);
    expect(log.findConflict(ents(2, [1, 2, 2, 3, 3]))).toBe(6);
    expect(log.findConflict(ents(3, [3]))).toBe(3);
    expect(log.findConflictByTerm(5, 2)).toEqual({ index: 4, term: 2 });
    expect(log.findConflictByTerm(5, 1)).toEqual({ index: 2, term: 1 });
    expect(log.findConflictByTerm(5, 0)).toEqual({ index: 0, term: 0 });
    expect(log.findConflictByTerm(9, 3)).toEqual({ index: 9, term: 0 });
  });

  test('replaceFrom truncates, and lowers what counts as handed out and persisted', () => {
    const log = new RaftLog(null, ents(1, [1, 1, 1]));
    log.append(ents(4, [2, 2]));
    expect(log.takeUnstable().map((e) => e.index)).toEqual([4, 5]);
    expect(log.hasUnstable()).toBe(false);
    log.replaceFrom(ents(5, [3]));
    expect(log.takeUnstable().map((e) => [e.index, e.term])).toEqual([[5, 3]]);
    expect(log.persisted).toBe(3);
  });

  test('stableTo ignores entries replaced after they were handed out (B32)', () => {
    const log = new RaftLog(null, ents(1, [1]));
    log.append(ents(2, [2, 2]));
    const handed = log.takeUnstable();
    log.replaceFrom(ents(3, [3]));
    log.stableTo(handed);
    expect(log.persisted).toBe(2);
    log.stableTo(log.takeUnstable());
    expect(log.persisted).toBe(3);
  });

  test('isUpToDate compares last term first', () => {
    const log = new RaftLog(null, ents(1, [1, 2, 2]));
    expect([log.isUpToDate(9, 1), log.isUpToDate(2, 2), log.isUpToDate(3, 2), log.isUpToDate(1, 3)]).toEqual([false, false, true, true]);
  });
});

describe('Progress and Inflights', () => {
  test('the window fills, frees up to an ack, and resets', () => {
    const w = new Inflights(3);
    w.add(2);
    w.add(4);
    w.add(6);
    expect(w.full()).toBe(true);
    w.freeLE(4);
    expect([w.count, w.full()]).toEqual([1, false]);
    w.reset();
    expect(w.count).toBe(0);
  });

  test('probe sends one message and pauses; an ack moves it to replicate', () => {
    const pr = new Progress(10, 2);
    expect([pr.state, pr.isPaused()]).toEqual(['probe', false]);
    pr.sentEntries(3, 12);
    expect([pr.isPaused(), pr.next]).toEqual([true, 10]);
    expect(pr.maybeUpdate(12)).toBe(true);
    pr.becomeReplicate();
    expect([pr.match, pr.next, pr.isPaused()]).toEqual([12, 13, false]);
    pr.sentEntries(2, 14);
    pr.sentEntries(2, 16);
    expect([pr.next, pr.isPaused()]).toEqual([17, true]);
    expect(pr.maybeUpdate(11)).toBe(false);
  });

  test('maybeDecrTo ignores stale rejections and follows the hint', () => {
    const pr = new Progress(10, 4);
    expect(pr.maybeDecrTo(5, 3)).toBe(false); // we probed at 9, not 5
    expect(pr.maybeDecrTo(9, 3)).toBe(true);
    expect(pr.next).toBe(4);
    pr.maybeUpdate(3);
    pr.becomeReplicate();
    pr.sentEntries(5, 9);
    expect(pr.maybeDecrTo(2, 0)).toBe(false); // below match: stale
    expect(pr.maybeDecrTo(9, 0)).toBe(true);
    expect(pr.next).toBe(4);
  });

  test('after a snapshot, probing resumes past the snapshot index', () => {
    const pr = new Progress(3, 4);
    pr.becomeSnapshot(20);
    expect(pr.isPaused()).toBe(true);
    pr.becomeProbe();
    expect(pr.next).toBe(21);
  });
});

describe('quorum', () => {
  test('majorities, commit index, vote tallies', () => {
    expect([majority(1), majority(2), majority(3), majority(4), majority(5)]).toEqual([1, 2, 2, 3, 3]);
    expect(quorumIndex([5, 3, 9])).toBe(5);
    expect(quorumIndex([5, 3, 9, 1])).toBe(3);
    expect(quorumIndex([])).toBe(0);
    const voters = ['a', 'b', 'c'];
    expect(voteResult(voters, new Map([['a', true]]))).toBe('pending');
    expect(voteResult(voters, new Map([['a', true], ['x', true]]))).toBe('pending');
    expect(voteResult(voters, new Map([['a', true], ['c', true]]))).toBe('won');
    expect(voteResult(voters, new Map([['a', true], ['b', false], ['c', false]]))).toBe('lost');
    expect(hasQuorum(voters, (id) => id !== 'c')).toBe(true);
    expect(hasQuorum([], () => true)).toBe(false);
  });
});

describe('membership encoding and changes', () => {
  test('encoding is deterministic: members sorted by id, fixed key order', () => {
    const a = encodeMembership({ members: [member('n2'), member('n1', 'learner')] });
    const b = encodeMembership({ members: [member('n1', 'learner'), member('n2')] });
    expect(a).toEqual(b);
    expect(new TextDecoder().decode(a)).toBe(
      '{"members":[{"id":"n1","role":"learner","raftAddress":"n1:7000","httpAddress":"n1:8080","incarnation":"inc-n1"},' +
        '{"id":"n2","role":"voter","raftAddress":"n2:7000","httpAddress":"n2:8080","incarnation":"inc-n2"}]}',
    );
    expect(decodeMembership(a)).toEqual(membershipOf(['n2'], ['n1']));
  });

  test('invalid encodings are rejected', () => {
    expect(tryDecodeMembership(bytes('{"members":[{'))).toBeNull();
    expect(tryDecodeMembership(bytes('{"members":[{"id":"a","role":"boss","raftAddress":"","httpAddress":"","incarnation":""}]}'))).toBeNull();
    expect(tryDecodeMembership(encodeMembership({ members: [member('a'), member('a')] }))).toBeNull();
    expect(() => decodeMembership(new Uint8Array([0xff]))).toThrow();
  });

  test('applyConfChange', () => {
    expect(applyConfChange(M3, { type: 'add-learner', member: member('n4', 'voter') })).toEqual(membershipOf(['n1', 'n2', 'n3'], ['n4']));
    expect(applyConfChange(membershipOf(['n1'], ['n2']), { type: 'promote', id: 'n2' })).toEqual(membershipOf(['n1', 'n2']));
    expect(applyConfChange(M3, { type: 'remove', id: 'n2' })).toEqual(membershipOf(['n1', 'n3']));
    expect(applyConfChange(M3, { type: 'add-learner', member: member('n1') })).toBeNull();
    expect(applyConfChange(M3, { type: 'promote', id: 'n1' })).toBeNull();
    expect(applyConfChange(M3, { type: 'remove', id: 'n9' })).toBeNull();
    expect(applyConfChange(membershipOf(['n1'], ['n2']), { type: 'remove', id: 'n1' })).toBeNull();
  });

  test('ConfigHistory: latest entry wins, truncation falls back, compaction keeps the answer', () => {
    const cfg = (index: number, voters: string[]): Entry => ({ index, term: 1, type: EntryType.Config, data: encodeMembership(membershipOf(voters)) });
    const h = new ConfigHistory({ index: 2, term: 1, membership: membershipOf(['a']) });
    h.appended([cfg(2, ['z']), cfg(4, ['a', 'b']), ...ents(5, [1]), cfg(6, ['a', 'b', 'c'])]);
    expect([h.activeIndex(), h.active()]).toEqual([6, membershipOf(['a', 'b', 'c'])]);
    expect(h.at(5)).toEqual(membershipOf(['a', 'b']));
    h.truncatedFrom(6);
    expect([h.activeIndex(), h.active()]).toEqual([4, membershipOf(['a', 'b'])]);
    h.truncatedFrom(3);
    expect([h.activeIndex(), h.active()]).toEqual([2, membershipOf(['a'])]);
    h.appended([cfg(3, ['a', 'b'])]);
    h.compacted({ index: 5, term: 1, membership: membershipOf(['a', 'b']) });
    expect([h.activeIndex(), h.active()]).toEqual([5, membershipOf(['a', 'b'])]);
  });
});

describe('ReadOnlyQueue', () => {
  test('an ack releases every request queued before it, in order', () => {
    const q = new ReadOnlyQueue();
    const r1 = q.add('n1', 'a', 5)!;
    const r2 = q.add('n2', 'a', 6)!;
    expect(q.add('n1', 'a', 7)).toBeNull();
    expect(r1.key).not.toBe(r2.key);
    expect(q.lastKey()).toBe(r2.key);
    expect([...q.recvAck('n3', r2.key)!]).toEqual(['n3']);
    expect(q.recvAck('n3', 'unknown')).toBeNull();
    expect(q.advance(r2.key).map((r) => [r.from, r.context, r.index])).toEqual([
      ['n1', 'a', 5],
      ['n2', 'a', 6],
    ]);
    expect(q.size).toBe(0);
  });
});
