import { describe, test, expect } from '@jest/globals';
import fc from 'fast-check';
import { configCommitted, plan, STUCK_POD_MS, type Action } from '../../../src/operator/planner.js';
import { ordinalOf } from '../../../src/operator/names.js';
import type { LeaderView, Observed, ObservedPod, RaftMember } from '../../../src/operator/observed.js';
import { NOW } from './observed-fixture.js';

const MAX = 8;
const mostly = fc.integer({ min: 0, max: 9 }).map((x) => x !== 0);
const rarely = mostly.map((x) => !x);

const podArb = (ordinal: number): fc.Arbitrary<ObservedPod> =>
  fc.record({
    ready: fc.boolean(),
    terminating: rarely,
    revision: fc.constantFrom('r1', 'r1', 'r2', null),
    age: fc.constantFrom(1000, 60_000, 20 * 60_000),
    notReadyFor: fc.constantFrom(0, 60_000, STUCK_POD_MS, 20 * 60_000),
  }).map(({ ready, terminating, revision, age, notReadyFor }) => ({
    name: `farm-${ordinal}`,
    ordinal,
    phase: 'Running',
    ready,
    terminating,
    revision,
    createdMs: NOW - age,
    notReadySinceMs: ready ? null : NOW - notReadyFor,
  }));

const memberArb = (id: string): fc.Arbitrary<RaftMember> =>
  fc.record({ role: fc.constantFrom('voter' as const, 'voter' as const, 'learner' as const), healthy: fc.boolean(), matchIndex: fc.option(fc.integer({ min: 0, max: 12 }), { nil: null }) }).map((m) => ({ id, ...m }));

const subsetOfOrdinals = fc.uniqueArray(fc.integer({ min: 0, max: MAX }), { maxLength: MAX + 1 });

const leaderArb: fc.Arbitrary<LeaderView | null> = fc.option(
  fc
    .record({
      ordinals: subsetOfOrdinals,
      foreign: fc.boolean(),
      leaderPick: fc.nat(),
      clusterId: fc.constantFrom('c1', 'c1', 'c1', 'c2'),
      commitIndex: fc.integer({ min: 5, max: 12 }),
      lastLogIndex: fc.option(fc.integer({ min: 5, max: 14 }), { nil: null }),
      configIndex: fc.option(fc.integer({ min: 0, max: 14 }), { nil: null }),
      transferring: fc.boolean(),
    })
    .chain((r) => {
      const ids = [...r.ordinals.map((o) => `farm-${o}`), ...(r.foreign ? ['legacy-a'] : [])];
      return fc.tuple(fc.constant(r), fc.tuple(...ids.map((id) => memberArb(id))));
    })
    .map(([r, members]) => {
      const ms = members as RaftMember[];
      const id = ms.length > 0 ? ms[r.leaderPick % ms.length]!.id : 'farm-0';
      // The leader hears itself; it is a voter of its own configuration.
      const fixed = ms.map((m) => (m.id === id ? { ...m, role: 'voter' as const, healthy: true } : m));
      return {
        id,
        term: 4,
        clusterId: r.clusterId,
        commitIndex: r.commitIndex,
        lastLogIndex: r.lastLogIndex,
        configIndex: r.configIndex,
        transferringTo: r.transferring ? 'farm-1' : null,
        members: fixed,
      };
    }),
  { nil: null, freq: 4 },
);

const chaoticArb: fc.Arbitrary<Observed> = fc
  .record({
    N: fc.integer({ min: 1, max: 7 }),
    R: fc.integer({ min: 0, max: MAX }),
    recorded: fc.constantFrom('', 'c1', 'c1'),
    children: fc.record({ headlessService: mostly, clientService: fc.constant(true), pdb: fc.constant(true), tokenSecret: fc.constant(true) }),
    cm: fc.option(fc.record({ state: fc.constantFrom('new' as const, 'existing' as const, null), clusterId: fc.constantFrom('', 'c1') }), { nil: null, freq: 6 }),
        stsFresh: fc.integer({ min: 0, max: 9 }),
    template: fc.constantFrom('h1', 'h1', 'h0'),
    storageChanged: fc.integer({ min: 0, max: 19 }),
    updateRevision: fc.constantFrom('r1', 'r1', 'r2'),
    podOrdinals: subsetOfOrdinals,
    pvcOrdinals: subsetOfOrdinals,
    leader: leaderArb,
    nodeMembers: subsetOfOrdinals,
  })
  .chain((r) => fc.tuple(fc.constant(r), fc.tuple(...r.podOrdinals.map((o) => podArb(o)))))
  .map(([r, pods]) => ({
    name: 'farm',
    generation: 2,
    deleting: false,
    desiredReplicas: r.N,
    recordedClusterId: r.recorded,
    desiredTemplateHash: 'h1',
    desiredStorage: { size: '1Gi', storageClassName: null },
    children: { ...r.children, configMap: r.cm },
    statefulSet:
      r.stsFresh === 0
        ? null
        : {
            replicas: r.R,
            templateHash: r.template,
            storage: { size: r.storageChanged === 0 ? '2Gi' : '1Gi', storageClassName: null },
            currentRevision: 'r1',
            updateRevision: r.updateRevision,
            updatedReplicas: r.R,
            readyReplicas: r.R,
            statusReplicas: r.R,
          },
    pods: pods as ObservedPod[],
    pvcOrdinals: r.pvcOrdinals,
    raft: {
      leader: r.leader,
      nodes: [{ pod: 'farm-0', clusterId: 'c1', role: 'follower', term: 4, memberIds: r.nodeMembers.map((o) => `farm-${o}`) }],
    },
    nowMs: NOW,
  }));

/** Mostly-consistent clusters around R: where the membership steps actually happen. */
const chance = (p: number): fc.Arbitrary<boolean> => fc.integer({ min: 0, max: 99 }).map((x) => x < p * 100);
const coherentArb: fc.Arbitrary<Observed> = fc
  .record({ N: fc.integer({ min: 1, max: 7 }), R: fc.integer({ min: 1, max: 7 }) })
  .chain(({ N, R }) =>
    fc.record({
      N: fc.constant(N),
      R: fc.constant(R),
      members: fc.tuple(
        ...Array.from({ length: R + 2 }, (_, o) =>
          fc.record({ present: chance(o < R - 1 ? 0.97 : o === R - 1 ? 0.7 : 0.06), voter: chance(0.9), healthy: chance(0.9), match: fc.integer({ min: 6, max: 12 }) }),
        ),
      ),
      pods: fc.tuple(
        ...Array.from({ length: R + 2 }, (_, o) =>
          fc.record({ present: chance(o < R ? 0.95 : 0.05), ready: chance(0.92), terminating: chance(0.03), old: chance(0.03), age: fc.constantFrom(1000, 20 * 60_000) }),
        ),
      ),
      leaderPick: fc.nat(),
      leaderIsTop: chance(0.25),
      hasLeader: chance(0.9),
      committed: chance(0.85),
      transferring: chance(0.05),
      rolling: chance(0.05),
      configIndexKnown: chance(0.7),
    }),
  )
  .map((r) => {
    const members: RaftMember[] = r.members.flatMap((m, o) =>
      m.present ? [{ id: `farm-${o}`, role: m.voter ? ('voter' as const) : ('learner' as const), healthy: m.healthy, matchIndex: m.match }] : [],
    );
    const voters = members.filter((m) => m.role === 'voter');
    const top = members.find((m) => m.id === `farm-${r.R - 1}` && m.role === 'voter');
    const leaderId = r.leaderIsTop && top ? top.id : voters.length > 0 ? voters[r.leaderPick % voters.length]!.id : null;
    const leader: LeaderView | null =
      r.hasLeader && leaderId !== null
        ? {
            id: leaderId,
            term: 4,
            clusterId: 'c1',
            commitIndex: 10,
            lastLogIndex: r.committed ? 10 : 11,
            configIndex: r.configIndexKnown ? (r.committed ? 9 : 11) : null,
            transferringTo: r.transferring ? 'farm-0' : null,
            members: members.map((m) => (m.id === leaderId ? { ...m, healthy: true } : m)),
          }
        : null;
    const pods: ObservedPod[] = r.pods.flatMap((p, o) =>
      p.present
        ? [{ name: `farm-${o}`, ordinal: o, phase: 'Running', ready: p.ready, terminating: p.terminating, revision: p.old ? 'r0' : 'r1', createdMs: NOW - p.age, notReadySinceMs: p.ready ? null : NOW - p.age }]
        : [],
    );
    return {
      name: 'farm',
      generation: 2,
      deleting: false,
      desiredReplicas: r.N,
      recordedClusterId: 'c1',
      desiredTemplateHash: 'h1',
      desiredStorage: { size: '1Gi', storageClassName: null },
      children: { headlessService: true, clientService: true, pdb: true, tokenSecret: true, configMap: { state: 'existing' as const, clusterId: 'c1' } },
      statefulSet: {
        replicas: r.R,
        templateHash: 'h1',
        storage: { size: '1Gi', storageClassName: null },
        currentRevision: 'r1',
        updateRevision: r.rolling ? 'r2' : 'r1',
        updatedReplicas: r.R,
        readyReplicas: r.R,
        statusReplicas: r.R,
      },
      pods,
      pvcOrdinals: pods.map((p) => p.ordinal),
      raft: { leader, nodes: members.map((m) => ({ pod: m.id, clusterId: 'c1', role: m.id === leaderId ? 'leader' : 'follower', term: 4, memberIds: members.map((x) => x.id) })) },
      nowMs: NOW,
    };
  });

const observedArb: fc.Arbitrary<Observed> = fc.oneof({ weight: 3, arbitrary: coherentArb }, { weight: 1, arbitrary: chaoticArb });

const MEMBERSHIP: readonly Action['type'][] = ['scale', 'transfer-leadership', 'remove-member'];

function highestKnown(o: Observed): number | null {
  const ids = o.raft.leader ? o.raft.leader.members.map((m) => m.id) : o.raft.nodes.filter((n) => o.recordedClusterId === '' || n.clusterId === o.recordedClusterId).flatMap((n) => n.memberIds);
  const ords = ids.map((id) => ordinalOf('farm', id)).filter((x): x is number => x !== null);
  return ords.length === 0 ? null : Math.max(...ords);
}

/** No membership change is in flight, as the reference defines it (§13.2). */
function settled(o: Observed): boolean {
  const R = o.statefulSet!.replicas;
  const L = o.raft.leader!;
  if (o.pods.some((p) => p.ordinal >= R)) return false;
  if (L.transferringTo !== null || !configCommitted(L)) return false;
  for (let i = 0; i < Math.min(R, o.desiredReplicas); i++) {
    if (!L.members.some((m) => m.id === `farm-${i}` && m.role === 'voter')) return false;
  }
  return true;
}

const RUNS = { numRuns: 4000 };

describe('planner properties over random observed states', () => {
  test('nothing without a leader, except restoring pods of existing members (never above the highest one)', () => {
    fc.assert(
      fc.property(observedArb, (o) => {
        const p = plan(o);
        if (p.kind !== 'act' || o.raft.leader !== null) return;
        expect(['create-child', 'write-config-map', 'create-statefulset', 'update-template', 'delete-pod', 'scale']).toContain(p.action.type);
        if (p.action.type === 'scale') {
          expect(p.action.change).toBe('drift_repair');
          expect(p.action.to).toBe(highestKnown(o)! + 1);
          expect(p.action.to).toBeGreaterThan(p.action.from);
        }
      }),
      RUNS,
    );
  });

  test('one server at a time: a scale step changes R by exactly one (drift repair only restores members), and only when nothing is in flight', () => {
    fc.assert(
      fc.property(observedArb, (o) => {
        const p = plan(o);
        if (p.kind !== 'act' || p.action.type !== 'scale') return;
        const a = p.action;
        expect(a.from).toBe(o.statefulSet!.replicas);
        if (a.change === 'drift_repair') {
          expect(a.to).toBe(highestKnown(o)! + 1);
          return;
        }
        expect(Math.abs(a.to - a.from)).toBe(1);
        expect(settled(o)).toBe(true);
        expect(o.raft.leader!.clusterId).toBe(o.recordedClusterId);
        if (a.change === 'scale_up') {
          expect(a.to).toBeLessThanOrEqual(o.desiredReplicas);
          // Every existing member is a voter: no learner pending promotion.
          expect(o.raft.leader!.members.filter((m) => (ordinalOf('farm', m.id) ?? -1) < a.from).every((m) => m.role === 'voter')).toBe(true);
        } else {
          expect(a.to).toBeGreaterThanOrEqual(o.desiredReplicas);
          // Only once pod R−1 is out of the committed configuration.
          expect(o.raft.leader!.members.some((m) => m.id === `farm-${a.from - 1}`)).toBe(false);
          expect(configCommitted(o.raft.leader!)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  test('removals: only pod R−1, only at or above N, never the leader, never a voter whose survivors lose a healthy majority', () => {
    fc.assert(
      fc.property(observedArb, (o) => {
        const p = plan(o);
        if (p.kind !== 'act' || p.action.type !== 'remove-member') return;
        const a = p.action;
        const L = o.raft.leader!;
        const R = o.statefulSet!.replicas;
        const ordinal = ordinalOf('farm', a.id);
        expect(ordinal).toBe(R - 1);
        expect(ordinal!).toBeGreaterThanOrEqual(o.desiredReplicas);
        expect(a.id).not.toBe(L.id);
        expect(settled(o)).toBe(true);
        const m = L.members.find((x) => x.id === a.id)!;
        expect(m.role).toBe(a.role);
        if (m.role === 'voter') {
          const rest = L.members.filter((x) => x.role === 'voter' && x.id !== m.id);
          expect(rest.length).toBeGreaterThanOrEqual(1);
          expect(rest.filter((x) => x.healthy).length).toBeGreaterThanOrEqual(Math.floor(rest.length / 2) + 1);
        }
      }),
      RUNS,
    );
  });

  test('a member whose pod is missing, NotReady or unhealthy below N is never removed', () => {
    fc.assert(
      fc.property(observedArb, (o) => {
        const p = plan(o);
        if (p.kind === 'act' && p.action.type === 'remove-member') {
          expect(ordinalOf('farm', p.action.id)!).toBeGreaterThanOrEqual(o.desiredReplicas);
        }
      }),
      RUNS,
    );
  });

  test('leadership moves only off the target R−1, to a healthy voter below it', () => {
    fc.assert(
      fc.property(observedArb, (o) => {
        const p = plan(o);
        if (p.kind !== 'act' || p.action.type !== 'transfer-leadership') return;
        const L = o.raft.leader!;
        const R = o.statefulSet!.replicas;
        expect(p.action.from).toBe(L.id);
        expect(p.action.from).toBe(`farm-${R - 1}`);
        expect(R).toBeGreaterThan(o.desiredReplicas);
        const to = L.members.find((m) => m.id === (p.action as { to: string }).to)!;
        expect(to.role).toBe('voter');
        expect(to.healthy).toBe(true);
        expect(ordinalOf('farm', to.id)!).toBeLessThan(R - 1);
      }),
      RUNS,
    );
  });

  test('the operator never promotes, never bootstraps a member, never touches a foreign member', () => {
    fc.assert(
      fc.property(observedArb, (o) => {
        const p = plan(o);
        if (p.kind !== 'act') return;
        expect(['create-child', 'write-config-map', 'create-statefulset', 'update-template', 'delete-pod', 'record-cluster-id', 'scale', 'transfer-leadership', 'remove-member']).toContain(p.action.type);
        if (p.action.type === 'remove-member') expect(ordinalOf('farm', p.action.id)).not.toBeNull();
        if (p.action.type === 'transfer-leadership') expect(ordinalOf('farm', p.action.to)).not.toBeNull();
      }),
      RUNS,
    );
  });

  test('a StatefulSet scaled below the members by hand is restored (with a leader of the recorded cluster)', () => {
    fc.assert(
      fc.property(observedArb, (o) => {
        const sts = o.statefulSet;
        const L = o.raft.leader;
        const cm = o.children.configMap;
        if (sts === null || L === null || o.recordedClusterId === '' || L.clusterId !== o.recordedClusterId) return;
        if (!o.children.headlessService || cm === null || cm.state !== 'existing' || cm.clusterId !== o.recordedClusterId) return;
        if (sts.storage.size !== '1Gi' || sts.templateHash !== o.desiredTemplateHash) return;
        const known = highestKnown(o);
        if (known === null || sts.replicas >= known + 1) return;
        const p = plan(o);
        // A stuck pod deletion may come first; otherwise it is the restore.
        if (p.kind === 'act' && p.action.type === 'delete-pod') return;
        expect(p).toMatchObject({ kind: 'act', action: { type: 'scale', from: sts.replicas, to: known + 1, change: 'drift_repair' } });
      }),
      RUNS,
    );
  });

  test('the template changes only when no membership change is in flight; pods are deleted only when stuck on an old revision', () => {
    fc.assert(
      fc.property(observedArb, (o) => {
        const p = plan(o);
        if (p.kind !== 'act') return;
        if (p.action.type === 'update-template') {
          const R = o.statefulSet!.replicas;
          expect(o.pods.some((x) => x.ordinal >= R)).toBe(false);
          if (o.raft.leader !== null) expect(settled(o)).toBe(true);
        }
        if (p.action.type === 'delete-pod') {
          const victim = o.pods.find((x) => x.name === (p.action as { pod: string }).pod)!;
          expect(victim.ready).toBe(false);
          expect(victim.revision).not.toBe(o.statefulSet!.updateRevision);
          expect(o.nowMs - victim.notReadySinceMs!).toBeGreaterThanOrEqual(STUCK_POD_MS);
        }
      }),
      RUNS,
    );
  });

  test('"new" only for a StatefulSet about to be created with no volumes and no recorded cluster id', () => {
    fc.assert(
      fc.property(observedArb, (o) => {
        const p = plan(o);
        if (p.kind === 'act' && p.action.type === 'write-config-map' && p.action.state === 'new') {
          expect(o.statefulSet).toBeNull();
          expect(o.pvcOrdinals).toEqual([]);
          expect(o.recordedClusterId).toBe('');
        }
        if (p.kind === 'act' && p.action.type === 'create-statefulset') {
          expect(p.action.replicas).toBe(o.pvcOrdinals.length === 0 ? 1 : Math.max(...o.pvcOrdinals) + 1);
          expect(o.children.configMap?.state).toBe(o.pvcOrdinals.length === 0 ? 'new' : 'existing');
        }
      }),
      RUNS,
    );
  });

  test('membership steps never happen against a leader of another cluster', () => {
    fc.assert(
      fc.property(observedArb, (o) => {
        const p = plan(o);
        if (p.kind === 'act' && MEMBERSHIP.includes(p.action.type) && !(p.action.type === 'scale' && p.action.change === 'drift_repair')) {
          expect(o.raft.leader!.clusterId).toBe(o.recordedClusterId);
        }
      }),
      RUNS,
    );
  });
});
