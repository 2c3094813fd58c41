import { describe, test, expect } from '@jest/globals';
import fc from 'fast-check';
import { CoreNetwork, DEFAULT_OPTIONS, bytes, logFrom, member, membershipOf, seededRng } from '../../support/core-network.js';
import { RaftCore } from '../../../src/consensus/core/raft-core.js';
import { encodeMembership } from '../../../src/consensus/core/membership.js';
import { makeMessage } from '../../../src/consensus/core/messages.js';
import { EntryType, MessageType, type ConfChange, type Entry, type Message, type NodeId } from '../../../src/consensus/core/types.js';

const ALL_TYPES: MessageType[] = [
  MessageType.PreVote,
  MessageType.PreVoteResp,
  MessageType.Vote,
  MessageType.VoteResp,
  MessageType.App,
  MessageType.AppResp,
  MessageType.Heartbeat,
  MessageType.HeartbeatResp,
  MessageType.Snap,
  MessageType.TimeoutNow,
  MessageType.Prop,
  MessageType.ReadIndex,
  MessageType.ReadIndexResp,
];
const PEERS: NodeId[] = ['n2', 'n3', 'n4'];

const entryArb = fc.record({
  term: fc.integer({ min: 0, max: 6 }),
  kind: fc.constantFrom('normal', 'config', 'garbage'),
  voters: fc.subarray(['n1', 'n2', 'n3', 'n4'], { minLength: 1 }),
});

/** Terms are mostly drawn around the core's current term, so that votes and appends of its term do occur. */
const termSpecArb = fc.oneof(
  fc.integer({ min: 0, max: 6 }).map((abs) => ({ abs })),
  fc.integer({ min: -1, max: 1 }).map((rel) => ({ rel })),
  fc.integer({ min: -1, max: 1 }).map((rel) => ({ rel })),
);

const messageSpecArb = fc.record({
  type: fc.constantFrom(...ALL_TYPES),
  from: fc.constantFrom(...PEERS),
  term: termSpecArb,
  index: fc.integer({ min: 0, max: 8 }),
  logTerm: fc.integer({ min: 0, max: 6 }),
  entries: fc.array(entryArb, { maxLength: 3 }),
  sortTerms: fc.boolean(),
  commit: fc.integer({ min: 0, max: 10 }),
  reject: fc.boolean(),
  rejectHint: fc.integer({ min: 0, max: 8 }),
  context: fc.constantFrom('', 'transfer', 'leader-lost', 'c1'),
  snap: fc.option(fc.record({ index: fc.integer({ min: 0, max: 8 }), term: fc.integer({ min: 0, max: 6 }) })),
});
type MessageSpec = typeof messageSpecArb extends fc.Arbitrary<infer T> ? T : never;

function buildMessage(r: MessageSpec, currentTerm: number): Message {
  const term = 'abs' in r.term ? r.term.abs : Math.max(0, currentTerm + r.term.rel);
  const terms = r.entries.map((e) => Math.min(e.term, term));
  if (r.sortTerms) terms.sort((a, b) => a - b);
  const entries: Entry[] = r.entries.map((e, i) => ({
    index: r.index + 1 + i,
    term: terms[i]!,
    type: e.kind === 'normal' ? EntryType.Normal : EntryType.Config,
    data: e.kind === 'config' ? encodeMembership(membershipOf(e.voters)) : e.kind === 'garbage' ? bytes('{"members":[{') : bytes(`v${i}`),
  }));
  return makeMessage(r.type, r.from, 'n1', term, {
    index: r.index,
    logTerm: Math.min(r.logTerm, term),
    entries,
    commit: r.commit,
    reject: r.reject,
    rejectHint: r.rejectHint,
    context: r.context,
    ...(r.snap !== null ? { snapshot: { index: r.snap.index, term: r.snap.term, membership: membershipOf(['n1', 'n2', 'n3']) } } : {}),
  });
}

const confChangeArb: fc.Arbitrary<ConfChange> = fc.oneof(
  fc.constantFrom(...PEERS, 'n1', 'n5').map((id): ConfChange => ({ type: 'remove', id })),
  fc.constantFrom(...PEERS, 'n5').map((id): ConfChange => ({ type: 'promote', id })),
  fc.constantFrom(...PEERS, 'n5').map((id): ConfChange => ({ type: 'add-learner', member: member(id) })),
);

type CoreCommand =
  | { k: 'tick'; n: number }
  | { k: 'step'; m: MessageSpec }
  | { k: 'propose' }
  | { k: 'conf'; cc: ConfChange }
  | { k: 'read' }
  | { k: 'transfer'; to: NodeId }
  | { k: 'unreachable'; peer: NodeId }
  | { k: 'snapStatus'; peer: NodeId; ok: boolean }
  | { k: 'leaderLost' }
  | { k: 'ready' };

const coreCommandArb: fc.Arbitrary<CoreCommand> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 12 }).map((n): CoreCommand => ({ k: 'tick', n })) },
  { weight: 8, arbitrary: messageSpecArb.map((m): CoreCommand => ({ k: 'step', m })) },
  { weight: 1, arbitrary: fc.constant<CoreCommand>({ k: 'propose' }) },
  { weight: 1, arbitrary: confChangeArb.map((cc): CoreCommand => ({ k: 'conf', cc })) },
  { weight: 1, arbitrary: fc.constant<CoreCommand>({ k: 'read' }) },
  { weight: 1, arbitrary: fc.constantFrom(...PEERS).map((to): CoreCommand => ({ k: 'transfer', to })) },
  { weight: 1, arbitrary: fc.constantFrom(...PEERS).map((peer): CoreCommand => ({ k: 'unreachable', peer })) },
  { weight: 1, arbitrary: fc.record({ peer: fc.constantFrom(...PEERS), ok: fc.boolean() }).map((r): CoreCommand => ({ k: 'snapStatus', ...r })) },
  { weight: 1, arbitrary: fc.constant<CoreCommand>({ k: 'leaderLost' }) },
  { weight: 4, arbitrary: fc.constant<CoreCommand>({ k: 'ready' }) },
);

function runCoreCommand(core: RaftCore, c: CoreCommand): void {
  switch (c.k) {
    case 'tick':
      for (let i = 0; i < c.n; i++) core.tick();
      return;
    case 'step':
      core.step(buildMessage(c.m, core.status().term));
      return;
    case 'propose':
      core.propose(bytes('p'));
      return;
    case 'conf':
      core.proposeConfChange(c.cc);
      return;
    case 'read':
      core.readIndex('r');
      return;
    case 'transfer':
      core.transferLeadership(c.to);
      return;
    case 'unreachable':
      core.reportUnreachable(c.peer);
      return;
    case 'snapStatus':
      core.reportSnapshot(c.peer, c.ok);
      return;
    case 'leaderLost':
      core.reportLeaderUnreachable();
      return;
    case 'ready':
      if (core.hasReady()) core.advance(core.ready());
      return;
  }
}

describe('properties of a single core', () => {
  test('arbitrary message sequences never throw; term and commit never decrease', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.array(coreCommandArb, { minLength: 40, maxLength: 120 }), (preVote, checkQuorum, commands) => {
        const core = new RaftCore(
          { ...DEFAULT_OPTIONS, electionTicks: 5, preVote, checkQuorum, maxInflight: 2, maxMsgBytes: 4, id: 'n1', rng: seededRng(3) },
          { hardState: { term: 1, vote: '', commit: 1 }, snapshot: null, entries: logFrom([1], membershipOf(['n1', 'n2', 'n3'], ['n4'])) },
        );
        let { term, commit } = core.status();
        let durableTerm = 1;
        // Plain checks instead of expect(): this loop runs tens of thousands of times.
        const check = (ok: boolean, what: string): void => {
          if (!ok) throw new Error(what);
        };
        for (const c of commands) {
          if (c.k === 'ready' && core.hasReady()) {
            const rd = core.ready();
            if (rd.hardState !== undefined) {
              check(rd.hardState.term >= durableTerm, 'durable term went back');
              durableTerm = rd.hardState.term;
            }
            check([...rd.messages, ...rd.leaderMessages].every((m) => m.from === 'n1' && m.to !== 'n1'), 'message with a wrong sender or to itself');
            core.advance(rd);
          } else {
            runCoreCommand(core, c);
          }
          const st = core.status();
          check(st.term >= term, `term went back from ${term} to ${st.term}`);
          check(st.commit >= commit, `commit went back from ${commit} to ${st.commit}`);
          check(st.commit <= st.lastIndex, 'commit beyond the last index');
          check(st.applied <= st.commit, 'applied beyond commit');
          term = st.term;
          commit = st.commit;
        }
      }),
      { numRuns: 300 },
    );
  });
});

type NetAction =
  | { k: 'tick'; node: number }
  | { k: 'tickAll'; n: number }
  | { k: 'deliver'; pick: number }
  | { k: 'drop'; pick: number }
  | { k: 'dup'; pick: number }
  | { k: 'process'; node: number }
  | { k: 'crash'; node: number }
  | { k: 'crashMid'; node: number }
  | { k: 'propose'; node: number }
  | { k: 'snapshot'; node: number; trailing: number }
  | { k: 'read'; node: number }
  | { k: 'transfer'; node: number; to: number }
  | { k: 'isolate'; node: number }
  | { k: 'heal' }
  | { k: 'settle' };

const node = fc.integer({ min: 0, max: 2 });
const pick = fc.nat({ max: 1000 });
const netActionArb: fc.Arbitrary<NetAction> = fc.oneof(
  { weight: 6, arbitrary: node.map((n): NetAction => ({ k: 'tick', node: n })) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 4 }).map((n): NetAction => ({ k: 'tickAll', n })) },
  { weight: 20, arbitrary: pick.map((p): NetAction => ({ k: 'deliver', pick: p })) },
  { weight: 3, arbitrary: pick.map((p): NetAction => ({ k: 'drop', pick: p })) },
  { weight: 2, arbitrary: pick.map((p): NetAction => ({ k: 'dup', pick: p })) },
  { weight: 6, arbitrary: node.map((n): NetAction => ({ k: 'process', node: n })) },
  { weight: 1, arbitrary: node.map((n): NetAction => ({ k: 'crash', node: n })) },
  { weight: 1, arbitrary: node.map((n): NetAction => ({ k: 'crashMid', node: n })) },
  { weight: 6, arbitrary: node.map((n): NetAction => ({ k: 'propose', node: n })) },
  { weight: 1, arbitrary: fc.record({ node, trailing: fc.integer({ min: 0, max: 3 }) }).map((r): NetAction => ({ k: 'snapshot', ...r })) },
  { weight: 1, arbitrary: node.map((n): NetAction => ({ k: 'read', node: n })) },
  { weight: 1, arbitrary: fc.record({ node, to: node }).map((r): NetAction => ({ k: 'transfer', ...r })) },
  { weight: 1, arbitrary: node.map((n): NetAction => ({ k: 'isolate', node: n })) },
  { weight: 2, arbitrary: fc.constant<NetAction>({ k: 'heal' }) },
  { weight: 2, arbitrary: fc.constant<NetAction>({ k: 'settle' }) },
);

const IDS = ['n1', 'n2', 'n3'];

function runNetAction(net: CoreNetwork, a: NetAction, seq: number): void {
  const wire = net.wire;
  switch (a.k) {
    case 'tick':
      net.tick(IDS[a.node]!);
      return;
    case 'tickAll':
      net.tickAll(a.n);
      return;
    case 'deliver':
      if (wire.length > 0) net.deliverAt(a.pick % wire.length);
      return;
    case 'drop':
      if (wire.length > 0) net.dropAt(a.pick % wire.length);
      return;
    case 'dup':
      if (wire.length > 0) net.inject(wire[a.pick % wire.length]!);
      return;
    case 'process':
      if (!net.isDown(IDS[a.node]!)) net.process(IDS[a.node]!);
      return;
    case 'crash':
      net.crash(IDS[a.node]!);
      return;
    case 'crashMid':
      net.crashMidReady(IDS[a.node]!);
      return;
    case 'propose':
      net.core(IDS[a.node]!).propose(bytes(`v${seq}`));
      return;
    case 'snapshot':
      if (net.status(IDS[a.node]!).applied > 0) {
        net.process(IDS[a.node]!);
        net.takeSnapshot(IDS[a.node]!, a.trailing);
      }
      return;
    case 'read':
      net.core(IDS[a.node]!).readIndex(`r${seq}`);
      return;
    case 'transfer':
      net.core(IDS[a.node]!).transferLeadership(IDS[a.to]!);
      return;
    case 'isolate':
      net.isolate(IDS[a.node]!);
      return;
    case 'heal':
      net.heal();
      return;
    case 'settle':
      net.stabilize();
      return;
  }
}

/** Runs fault-free rounds until every node applied a 'final' write proposed at a leader; bounded. */
function recovers(net: CoreNetwork): boolean {
  const proposedInTerm = new Set<number>();
  for (let round = 0; round < 400; round++) {
    net.run(1);
    const leader = net.leaderId();
    if (leader === '') continue;
    const { term, commit } = net.status(leader);
    if (!proposedInTerm.has(term) && net.propose(leader, 'final').ok) proposedInTerm.add(term);
    if (IDS.every((id) => net.appliedData(id).includes('final') && net.status(id).commit === commit)) return true;
  }
  return false;
}

describe('properties of a 3-node cluster under faults', () => {
  test('drops, duplicates, reordering and crashes never give two leaders in a term nor change a committed entry (S1, S5); the cluster recovers', () => {
    fc.assert(
      fc.property(
        fc.record({
          preVote: fc.boolean(),
          checkQuorum: fc.boolean(),
          maxInflight: fc.integer({ min: 1, max: 4 }),
          maxMsgBytes: fc.integer({ min: 1, max: 8 }),
          seed: fc.nat(),
          autoProcess: fc.boolean(),
        }),
        fc.array(netActionArb, { minLength: 150, maxLength: 300 }),
        (opts, actions) => {
          const net = CoreNetwork.bootstrap(IDS, [], { ...opts, electionTicks: 5, heartbeatTicks: 1 }, opts.seed);
          net.autoProcess = opts.autoProcess;
          actions.forEach((a, i) => runNetAction(net, a, i));
          // Fault-free quiesce window: a leader appears, commits a new entry and every node converges (L1).
          net.heal();
          net.autoProcess = true;
          for (const id of IDS) if (net.isDown(id)) net.restart(id);
          expect(recovers(net)).toBe(true);
          const applied = net.appliedData(IDS[0]!);
          expect(applied).toContain('final');
          for (const id of IDS) expect(net.appliedData(id)).toEqual(applied);
        },
      ),
      { numRuns: 150 },
    );
  });
});
