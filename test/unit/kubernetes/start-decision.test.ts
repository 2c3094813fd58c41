import { describe, test, expect } from '@jest/globals';
import fc from 'fast-check';
import { decideStart, type LocalState, type PeerObservation, type PeerStatus, type StartView } from '../../../src/kubernetes/start-decision.js';

const addr = (o: number): string => `farm-${o}.farm-headless.ns.svc.cluster.local:8001`;
const status = (clusterId: string, extra: Partial<PeerStatus> = {}): PeerStatus => ({
  clusterId,
  role: clusterId === '' ? 'discovering' : 'follower',
  term: 3,
  leaderHttpAddress: null,
  members: [],
  ...extra,
});
const peer = (o: number, s: PeerStatus | null): PeerObservation => ({ ordinal: o, name: `farm-${o}`, httpAddress: addr(o), status: s });
const view = (over: Partial<StartView> & { ordinal?: number }): StartView => ({
  self: { name: `farm-${over.ordinal ?? 0}`, ordinal: over.ordinal ?? 0 },
  expectedReplicas: 1,
  clusterState: undefined,
  expectedClusterId: undefined,
  local: { kind: 'empty' },
  peers: [],
  ...over,
});
const member = (clusterId = 'c1', term = 3, incarnation = 'inc-a'): LocalState => ({ kind: 'member', clusterId, term, incarnation });

describe('decideStart: fresh volume', () => {
  test('ordinal 0, state new, single seed: bootstraps', () => {
    expect(decideStart(view({ clusterState: 'new', peers: [peer(1, null), peer(2, null)] }))).toMatchObject({ kind: 'bootstrap', moveAsideFirst: false });
  });

  test('ordinal 0 with an unjoined identity bootstraps after moving it aside', () => {
    expect(decideStart(view({ local: { kind: 'unjoined', incarnation: 'x' } }))).toMatchObject({ kind: 'bootstrap', moveAsideFirst: true });
  });

  test('ordinal 0 waits for every expected peer and names the missing ones', () => {
    const d = decideStart(view({ expectedReplicas: 3, peers: [peer(1, status('')), peer(2, null), peer(3, null)] }));
    expect(d).toEqual({ kind: 'wait', reason: expect.stringContaining('every expected peer'), missing: ['farm-2'] });
  });

  test('ordinal 0 bootstraps once every expected peer answered with no cluster', () => {
    const d = decideStart(view({ expectedReplicas: 3, peers: [peer(1, status('')), peer(2, status('')), peer(3, null)] }));
    expect(d.kind).toBe('bootstrap');
  });

  test('an expected ordinal absent from the probe list counts as missing', () => {
    const d = decideStart(view({ expectedReplicas: 3, peers: [peer(1, status(''))] }));
    expect(d).toMatchObject({ kind: 'wait', missing: ['ordinal 2'] });
  });

  test('any peer reporting a cluster means join, never bootstrap (even ordinal 0, state new)', () => {
    const d = decideStart(view({ clusterState: 'new', peers: [peer(1, null), peer(4, status('c1'))] }));
    expect(d).toEqual({ kind: 'join', clusterId: 'c1', seeds: [addr(4)], reason: expect.any(String) });
  });

  test('join seeds: the leader first, then the leader address peers report, then every peer of the cluster', () => {
    const d = decideStart(
      view({
        ordinal: 3,
        peers: [
          peer(0, status('c1', { leaderHttpAddress: 'leader.example:8001' })),
          peer(1, status('c1', { role: 'leader' })),
          peer(2, status('')),
        ],
      }),
    );
    expect(d).toMatchObject({ kind: 'join', seeds: [addr(1), 'leader.example:8001', addr(0)] });
  });

  test('state existing: waits for a member, never bootstraps', () => {
    const d = decideStart(view({ clusterState: 'existing', peers: [peer(1, null), peer(2, status(''))] }));
    expect(d).toEqual({ kind: 'wait', reason: expect.stringContaining('already exists'), missing: ['farm-1'] });
  });

  test('a recorded cluster id ignores peers of another cluster and joins only its own', () => {
    const other = view({ expectedClusterId: 'c1', peers: [peer(1, status('c2'))] });
    expect(decideStart(other)).toMatchObject({ kind: 'wait', reason: expect.stringContaining('farm-1=c2') });
    const both = view({ expectedClusterId: 'c1', peers: [peer(1, status('c2')), peer(2, status('c1'))] });
    expect(decideStart(both)).toMatchObject({ kind: 'join', clusterId: 'c1', seeds: [addr(2)] });
  });

  test('peers of two different clusters without a recorded id: waits, joins neither', () => {
    expect(decideStart(view({ ordinal: 1, peers: [peer(0, status('c1')), peer(2, status('c2'))] })).kind).toBe('wait');
  });

  test('ordinal above 0 never bootstraps', () => {
    const d = decideStart(view({ ordinal: 2, clusterState: 'new', peers: [peer(0, status('')), peer(1, status(''))] }));
    expect(d).toMatchObject({ kind: 'wait', reason: expect.stringContaining('only ordinal 0') });
  });
});

describe('decideStart: volume with state', () => {
  const leaderOf = (members: PeerStatus['members'], term = 3): PeerStatus => status('c1', { role: 'leader', term, members });

  test('listed by the leader: resumes as the same member', () => {
    const d = decideStart(view({ ordinal: 1, local: member(), peers: [peer(0, leaderOf([{ id: 'farm-0' }, { id: 'farm-1' }]))] }));
    expect(d.kind).toBe('resume');
  });

  test('absent from the leader: moves aside and rejoins through the cluster', () => {
    const d = decideStart(view({ ordinal: 2, local: member(), peers: [peer(0, leaderOf([{ id: 'farm-0' }, { id: 'farm-1' }])), peer(1, status('c1'))] }));
    expect(d).toEqual({ kind: 'rejoin', clusterId: 'c1', seeds: [addr(0), addr(1)], reason: expect.stringContaining('removed') });
  });

  test('listed with another incarnation: rejoins', () => {
    const d = decideStart(view({ ordinal: 1, local: member('c1', 3, 'old'), peers: [peer(0, leaderOf([{ id: 'farm-1', incarnation: 'new' }]))] }));
    expect(d.kind).toBe('rejoin');
  });

  test('a leader of an older term than ours is stale: resume', () => {
    const d = decideStart(view({ ordinal: 1, local: member('c1', 9), peers: [peer(0, leaderOf([{ id: 'farm-0' }], 4))] }));
    expect(d.kind).toBe('resume');
  });

  test('the leader with the highest term decides', () => {
    const peers = [peer(0, leaderOf([{ id: 'farm-0' }], 3)), peer(2, leaderOf([{ id: 'farm-2' }, { id: 'farm-1' }], 5))];
    expect(decideStart(view({ ordinal: 1, local: member(), peers })).kind).toBe('resume');
  });

  test('no peer, or no leader: resume (after the patience window)', () => {
    expect(decideStart(view({ ordinal: 1, local: member(), peers: [peer(0, null)] })).kind).toBe('resume');
    expect(decideStart(view({ ordinal: 1, local: member(), peers: [peer(0, status('c1'))] })).kind).toBe('resume');
    expect(decideStart(view({ ordinal: 1, local: member(), peers: [peer(0, status('c1'))], mayWaitForLeader: true })).kind).toBe('wait');
  });

  test('only peers of another cluster: refuses (never merge)', () => {
    const d = decideStart(view({ ordinal: 1, local: member('c1'), peers: [peer(0, status('c2', { role: 'leader' })), peer(2, status(''))] }));
    expect(d).toMatchObject({ kind: 'refuse', reason: expect.stringContaining('c2') });
  });

  test('state never bootstraps, whatever the environment says', () => {
    const d = decideStart(view({ local: member(), clusterState: 'new', peers: [] }));
    expect(d.kind).toBe('resume');
  });
});

// ---- properties over random views ----

const clusterIdArb = fc.constantFrom('', '', 'c1', 'c2');
const peerStatusArb: fc.Arbitrary<PeerStatus | null> = fc.option(
  fc.record({
    clusterId: clusterIdArb,
    role: fc.constantFrom('leader', 'follower', 'candidate', 'discovering'),
    term: fc.integer({ min: 0, max: 6 }),
    leaderHttpAddress: fc.option(fc.constant('leader.example:8001'), { nil: null }),
    members: fc.uniqueArray(fc.record({ id: fc.constantFrom('farm-0', 'farm-1', 'farm-2', 'farm-3', 'farm-4') }), { selector: (m) => m.id, maxLength: 5 }),
  }),
  { nil: null, freq: 3 },
);
const viewArb: fc.Arbitrary<StartView> = fc
  .record({
    ordinal: fc.integer({ min: 0, max: 4 }),
    expectedReplicas: fc.integer({ min: 1, max: 5 }),
    clusterState: fc.constantFrom(undefined, 'new' as const, 'existing' as const),
    expectedClusterId: fc.constantFrom(undefined, 'c1'),
    local: fc.oneof(
      fc.constant<LocalState>({ kind: 'empty' }),
      fc.constant<LocalState>({ kind: 'unjoined', incarnation: 'u' }),
      fc.record({ kind: fc.constant('member' as const), clusterId: fc.constantFrom('c1', 'c2'), incarnation: fc.constant('i'), term: fc.integer({ min: 0, max: 6 }) }),
    ),
    statuses: fc.array(peerStatusArb, { minLength: 5, maxLength: 5 }),
    mayWaitForLeader: fc.boolean(),
  })
  .map(({ ordinal, statuses, ...rest }) => ({
    ...rest,
    self: { name: `farm-${ordinal}`, ordinal },
    peers: statuses.flatMap((s, o) => (o === ordinal ? [] : [peer(o, s)])),
  }));

describe('decideStart properties', () => {
  test('bootstrap only by ordinal 0, fresh, not existing, nobody reporting a cluster, every expected peer answered', () => {
    fc.assert(
      fc.property(viewArb, (v) => {
        const d = decideStart(v);
        if (d.kind !== 'bootstrap') return;
        expect(v.self.ordinal).toBe(0);
        expect(v.local.kind).not.toBe('member');
        expect(v.clusterState).not.toBe('existing');
        expect(v.expectedClusterId).toBeUndefined();
        expect(v.peers.some((p) => p.status !== null && p.status.clusterId !== '')).toBe(false);
        for (let o = 1; o < v.expectedReplicas; o++) expect(v.peers.find((p) => p.ordinal === o)?.status).not.toBeNull();
      }),
      { numRuns: 3000 },
    );
  });

  test('a fresh pod that sees its cluster joins it, and only through peers of that cluster', () => {
    fc.assert(
      fc.property(viewArb, (v) => {
        const d = decideStart(v);
        if (v.local.kind === 'member') {
          expect(['resume', 'rejoin', 'wait', 'refuse']).toContain(d.kind);
          return;
        }
        const ids = new Set(
          v.peers.flatMap((p) => (p.status && p.status.clusterId !== '' && (v.expectedClusterId === undefined || p.status.clusterId === v.expectedClusterId) ? [p.status.clusterId] : [])),
        );
        if (ids.size === 1) {
          expect(d.kind).toBe('join');
          if (d.kind !== 'join') return;
          const id = [...ids][0]!;
          expect(d.clusterId).toBe(id);
          const allowed = new Set(v.peers.filter((p) => p.status?.clusterId === id).flatMap((p) => [p.httpAddress, p.status!.leaderHttpAddress ?? '']));
          for (const s of d.seeds) expect(allowed.has(s)).toBe(true);
          expect(d.seeds.length).toBeGreaterThan(0);
        } else {
          expect(d.kind).not.toBe('join');
        }
      }),
      { numRuns: 3000 },
    );
  });

  test('rejoin only on the word of a current leader of our own cluster; refuse only without any peer of our cluster', () => {
    fc.assert(
      fc.property(viewArb, (v) => {
        const d = decideStart(v);
        if (v.local.kind !== 'member') return;
        const local = v.local;
        if (d.kind === 'rejoin') {
          const leaders = v.peers.filter((p) => p.status?.role === 'leader' && p.status.clusterId === local.clusterId);
          const top = leaders.sort((a, b) => b.status!.term - a.status!.term)[0];
          expect(top).toBeDefined();
          expect(top!.status!.term).toBeGreaterThanOrEqual(local.term);
          expect(top!.status!.members.some((m) => m.id === v.self.name)).toBe(false);
        }
        if (d.kind === 'refuse') {
          expect(v.peers.some((p) => p.status?.clusterId === local.clusterId)).toBe(false);
          expect(v.peers.some((p) => p.status !== null && p.status.clusterId !== '' && p.status.clusterId !== local.clusterId)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

// ---- a small world: pods start, stop and lose volumes in random order ----

type Volume = { kind: 'empty' } | { kind: 'unjoined' } | { kind: 'member'; clusterId: string };
type Event =
  | { type: 'start'; pod: number; reach: readonly boolean[] }
  | { type: 'stop'; pod: number }
  | { type: 'wipe'; pod: number }
  | { type: 'record' };

interface World {
  volumes: Volume[];
  running: boolean[];
  /** The bootstrap ConfigMap, as the operator would write it (undefined: a plain StatefulSet). */
  configMap: { state: 'new' | 'existing'; id: string | undefined } | undefined;
  created: string[];
}

function simulate(n: number, operatorMode: boolean, events: readonly Event[]): World {
  const w: World = {
    volumes: Array.from({ length: n }, () => ({ kind: 'empty' })),
    running: Array.from({ length: n }, () => false),
    configMap: operatorMode ? { state: 'new', id: undefined } : undefined,
    created: [],
  };
  for (const e of events) {
    if (e.type === 'record') {
      // The operator records the id once the seed leads, and only then grows the StatefulSet.
      const id = w.volumes[0]!.kind === 'member' && w.running[0] ? (w.volumes[0] as { clusterId: string }).clusterId : undefined;
      if (operatorMode && id !== undefined) w.configMap = { state: 'existing', id };
      continue;
    }
    if (e.type === 'stop') {
      w.running[e.pod] = false;
      continue;
    }
    if (e.type === 'wipe') {
      if (!w.running[e.pod]) w.volumes[e.pod] = { kind: 'empty' };
      continue;
    }
    if (w.running[e.pod]) continue;
    if (operatorMode && e.pod > 0 && w.configMap?.state !== 'existing') continue;
    const vol = w.volumes[e.pod]!;
    const lowestRunningMember = (id: string): number => w.volumes.findIndex((v, i) => w.running[i] && v.kind === 'member' && v.clusterId === id);
    const peers: PeerObservation[] = [];
    for (let o = 0; o < n; o++) {
      if (o === e.pod) continue;
      const v = w.volumes[o]!;
      const answers = w.running[o] && e.reach[o] === true;
      const clusterId = v.kind === 'member' ? v.clusterId : '';
      const isLeader = clusterId !== '' && lowestRunningMember(clusterId) === o;
      const members = isLeader ? w.volumes.flatMap((x, i) => (x.kind === 'member' && x.clusterId === clusterId ? [{ id: `farm-${i}` }] : [])) : [];
      peers.push(peer(o, answers ? status(clusterId, { role: isLeader ? 'leader' : clusterId === '' ? 'discovering' : 'follower', members }) : null));
    }
    const local: LocalState = vol.kind === 'member' ? member(vol.clusterId) : vol.kind === 'unjoined' ? { kind: 'unjoined', incarnation: 'u' } : { kind: 'empty' };
    const d = decideStart({
      self: { name: `farm-${e.pod}`, ordinal: e.pod },
      expectedReplicas: operatorMode ? 1 : n,
      clusterState: w.configMap?.state,
      expectedClusterId: w.configMap?.id,
      local,
      peers,
    });
    // The process runs (discovering or serving) whatever it decided.
    w.running[e.pod] = true;
    if (d.kind === 'bootstrap') {
      const others = w.volumes.filter((v, i) => i !== e.pod && v.kind === 'member');
      expect(others).toEqual([]);
      const id = `c${w.created.length + 1}`;
      w.created.push(id);
      w.volumes[e.pod] = { kind: 'member', clusterId: id };
    } else if (d.kind === 'join' || d.kind === 'rejoin') {
      w.volumes[e.pod] = { kind: 'member', clusterId: d.clusterId };
    }
    const live = new Set(w.volumes.flatMap((v) => (v.kind === 'member' ? [v.clusterId] : [])));
    expect(live.size).toBeLessThanOrEqual(1);
  }
  return w;
}

describe('decideStart in a world of pods starting in any order', () => {
  const eventArb = (n: number): fc.Arbitrary<Event> =>
    fc.oneof(
      { weight: 5, arbitrary: fc.record({ type: fc.constant('start' as const), pod: fc.integer({ min: 0, max: n - 1 }), reach: fc.array(fc.boolean(), { minLength: n, maxLength: n }) }) },
      { weight: 2, arbitrary: fc.record({ type: fc.constant('stop' as const), pod: fc.integer({ min: 0, max: n - 1 }) }) },
      { weight: 1, arbitrary: fc.record({ type: fc.constant('wipe' as const), pod: fc.integer({ min: 0, max: n - 1 }) }) },
      { weight: 1, arbitrary: fc.constant({ type: 'record' as const }) },
    );
  const worldArb = fc.integer({ min: 2, max: 5 }).chain((n) => fc.tuple(fc.constant(n), fc.boolean(), fc.array(eventArb(n), { maxLength: 40 })));

  test('never two clusters at once; a bootstrap never happens while another volume holds a cluster', () => {
    fc.assert(
      fc.property(worldArb, ([n, operatorMode, events]) => {
        simulate(n, operatorMode, events);
      }),
      { numRuns: 1500 },
    );
  });

  test('scripted: the operator\'s single seed, then growth; a plain StatefulSet that waits for all its pods', () => {
    const all = [true, true, true];
    const op = simulate(3, true, [
      { type: 'start', pod: 1, reach: all },
      { type: 'start', pod: 0, reach: all },
      { type: 'record' },
      { type: 'start', pod: 1, reach: all },
      { type: 'start', pod: 2, reach: [false, true, false] },
    ]);
    expect(op.created).toEqual(['c1']);
    expect(op.volumes).toEqual([0, 1, 2].map(() => ({ kind: 'member', clusterId: 'c1' })));

    const plain = simulate(3, false, [
      { type: 'start', pod: 0, reach: all },
      { type: 'start', pod: 1, reach: all },
      { type: 'stop', pod: 0 },
      { type: 'start', pod: 0, reach: [false, true, false] },
      { type: 'stop', pod: 0 },
      { type: 'start', pod: 2, reach: all },
      { type: 'start', pod: 0, reach: all },
      { type: 'stop', pod: 1 },
      { type: 'start', pod: 1, reach: all },
      // A waiting pod keeps probing; here its next round.
      { type: 'stop', pod: 2 },
      { type: 'start', pod: 2, reach: all },
    ]);
    expect(plain.created).toEqual(['c1']);
    expect(plain.volumes.map((v) => v.kind)).toEqual(['member', 'member', 'member']);
  });

  test('with every volume kept, exactly one cluster is ever created, and late pods join it', () => {
    fc.assert(
      fc.property(worldArb, ([n, operatorMode, events]) => {
        const w = simulate(n, operatorMode, events.filter((e) => e.type !== 'wipe'));
        expect(w.created.length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 1500 },
    );
  });
});
