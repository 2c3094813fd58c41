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
  | { k: 'settle' }
  | { k: 'conf'; node: number; change: number; target: number }
  | { k: 'leaderLost'; node: number }
  | { k: 'early'; node: number }
  | { k: 'unreachable'; node: number; to: number };

const ALL_IDS = ['n1', 'n2', 'n3', 'n4'];

/** Fault schedules over the first `nodes` of ALL_IDS; membership changes only when confWeight > 0. */
function netActionArb(nodes: number, confWeight: number): fc.Arbitrary<NetAction> {
  const node = fc.integer({ min: 0, max: nodes - 1 });
  const pick = fc.nat({ max: 1000 });
  const actions: fc.WeightedArbitrary<NetAction>[] = [
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
    { weight: 1, arbitrary: node.map((n): NetAction => ({ k: 'leaderLost', node: n })) },
    { weight: 2, arbitrary: node.map((n): NetAction => ({ k: 'early', node: n })) },
    { weight: 1, arbitrary: fc.record({ node, to: node }).map((r): NetAction => ({ k: 'unreachable', ...r })) },
  ];
  if (confWeight > 0) {
    const change = fc.record({ node, change: fc.integer({ min: 0, max: 2 }), target: fc.integer({ min: 0, max: ALL_IDS.length - 1 }) });
    actions.push({ weight: confWeight, arbitrary: change.map((r): NetAction => ({ k: 'conf', ...r })) });
  }
  return fc.oneof(...actions);
}

function confChange(change: number, target: NodeId): ConfChange {
  if (change === 0) return { type: 'remove', id: target };
  if (change === 1) return { type: 'promote', id: target };
  return { type: 'add-learner', member: member(target) };
}

function runNetAction(net: CoreNetwork, a: NetAction, seq: number): void {
  const wire = net.wire;
  const id = 'node' in a ? ALL_IDS[a.node]! : '';
  switch (a.k) {
    case 'tick':
      net.tick(id);
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
      if (!net.isDown(id)) net.process(id);
      return;
    case 'crash':
      net.crash(id);
      return;
    case 'crashMid':
      net.crashMidReady(id);
      return;
    case 'propose':
      net.core(id).propose(bytes(`v${seq}`));
      return;
    case 'snapshot':
      if (!net.isDown(id) && net.status(id).applied > 0) {
        net.process(id);
        net.takeSnapshot(id, a.trailing);
      }
      return;
    case 'read':
      net.core(id).readIndex(`r${seq}`);
      return;
    case 'transfer':
      net.core(id).transferLeadership(ALL_IDS[a.to]!);
      return;
    case 'isolate':
      net.isolate(id);
      return;
    case 'heal':
      net.heal();
      return;
    case 'settle':
      net.stabilize();
      return;
    case 'conf':
      net.core(id).proposeConfChange(confChange(a.change, ALL_IDS[a.target]!));
      return;
    case 'early':
      net.sendEarly(id);
      return;
    case 'early':
      net.sendEarly(id);
      return;
    case 'leaderLost':
      net.core(id).reportLeaderUnreachable();
      return;
    case 'unreachable':
      net.core(id).reportUnreachable(ALL_IDS[a.to]!);
      return;
  }
}

/**
 * Fault-free rounds until every member of the newest leader's configuration
 * applied a 'final' write proposed at a leader (L1); bounded.
 */
function recovers(net: CoreNetwork): boolean {
  const proposedInTerm = new Set<number>();
  for (let round = 0; round < 400; round++) {
    net.run(1);
    const leader = net.leaderId();
    if (leader === '') continue;
    const { term, commit, membership } = net.status(leader);
    if (!proposedInTerm.has(term) && net.propose(leader, 'final').ok) proposedInTerm.add(term);
    if (membership.members.every((m) => net.appliedData(m.id).includes('final') && net.status(m.id).commit === commit)) return true;
  }
  return false;
}

const optionsArb = fc.record({
  preVote: fc.boolean(),
  checkQuorum: fc.boolean(),
  maxInflight: fc.integer({ min: 1, max: 4 }),
  maxMsgBytes: fc.integer({ min: 1, max: 8 }),
  seed: fc.nat(),
  autoProcess: fc.boolean(),
});

/** Runs a random schedule, then a fault-free window; the harness checks S1, S5/S7 and durability throughout. */
type Options = typeof optionsArb extends fc.Arbitrary<infer T> ? T : never;

function faultProperty(voters: NodeId[], learners: NodeId[], spare: NodeId[], confWeight: number): fc.IPropertyWithHooks<[Options, NetAction[]]> {
  const nodes = voters.length + learners.length;
  return fc.property(optionsArb, fc.array(netActionArb(nodes, confWeight), { minLength: 150, maxLength: 300 }), (opts, actions) => {
    const net = CoreNetwork.bootstrap(voters, learners, { ...opts, electionTicks: 5, heartbeatTicks: 1, learnerCatchUpEntries: 2 }, opts.seed);
    for (const id of spare) net.addNode(id);
    net.autoProcess = opts.autoProcess;
    actions.forEach((a, i) => runNetAction(net, a, i));
    net.heal();
    net.autoProcess = true;
    for (const id of net.ids()) if (net.isDown(id)) net.restart(id);
    expect(recovers(net)).toBe(true);
    const leader = net.leaderId();
    const applied = net.appliedData(leader);
    expect(applied).toContain('final');
    for (const m of net.status(leader).membership.members) expect(net.appliedData(m.id)).toEqual(applied);
  });
}

describe('properties of a cluster under faults', () => {
  test('3 nodes: drops, duplicates, reordering and crashes never give two leaders in a term nor change a committed entry (S1, S5); the cluster recovers', () => {
    fc.assert(faultProperty(['n1', 'n2', 'n3'], [], [], 0), { numRuns: 200 });
  });

  test('membership changes under the same faults (3 voters, a learner, a node waiting to join): S1, S5, recovery', () => {
    fc.assert(faultProperty(['n1', 'n2', 'n3'], [], ['n4'], 3), { numRuns: 100 });
    fc.assert(faultProperty(['n1', 'n2', 'n3'], ['n4'], [], 3), { numRuns: 100 });
  });
});
