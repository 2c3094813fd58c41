import { describe, test, expect } from '@jest/globals';
import fc from 'fast-check';
import { failureTolerance, healthyVoters, peerLags, quorumSize } from '../../../src/metrics/cluster-view.js';
import { fakeStatus } from './fake-status.js';

describe('cluster view', () => {
  test('quorum sizes', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(quorumSize)).toEqual([1, 2, 2, 3, 3, 4, 4]);
  });

  test('failure tolerance = active voters − quorum, never negative; floor((V−1)/2) when all are active', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ voter: fc.boolean(), active: fc.boolean() }), { maxLength: 8 }),
        fc.nat(1000),
        (peers, lastIndex) => {
          const ids = peers.map((_, i) => `p${i}`);
          const status = fakeStatus({
            id: 'self',
            role: 'leader',
            leader: 'self',
            lastIndex,
            members: [['self', 'voter'], ...ids.map((id, i) => [id, peers[i]!.voter ? 'voter' : 'learner'] as const)],
            progress: ids.map((id, i) => [id, Math.floor(lastIndex / (i + 1)), peers[i]!.active] as const),
          });
          const voters = 1 + peers.filter((p) => p.voter).length;
          const active = 1 + peers.filter((p) => p.voter && p.active).length;
          expect(healthyVoters(status)).toBe(active);
          expect(failureTolerance(status)).toBe(Math.max(0, active - quorumSize(voters)));
          if (active === voters) expect(failureTolerance(status)).toBe(Math.floor((voters - 1) / 2));
          const lags = peerLags(status);
          expect([...lags.keys()]).toEqual(ids);
          for (const lag of lags.values()) expect(lag).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('non-leaders report no tolerance and no lags', () => {
    for (const role of ['follower', 'pre-candidate', 'candidate'] as const) {
      const status = fakeStatus({ role, progress: [['n2', 1, true]] });
      expect(failureTolerance(status)).toBeNull();
      expect(peerLags(status).size).toBe(0);
    }
  });

  test('a leader that is not a voter of its configuration does not count itself', () => {
    const status = fakeStatus({
      id: 'n1',
      role: 'leader',
      leader: 'n1',
      members: [['n2', 'voter'], ['n3', 'voter'], ['n4', 'voter']],
      progress: [['n2', 5, true], ['n3', 5, true], ['n4', 5, false]],
    });
    expect(healthyVoters(status)).toBe(2);
    expect(failureTolerance(status)).toBe(0);
  });
});
