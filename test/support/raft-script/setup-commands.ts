// config, nodes, add-node: the cluster a scenario starts from.
import type { NodeId } from '../../../src/consensus/core/types.js';
import type { CoreOptions } from '../core-network.js';
import { Args, ScriptError, toInt } from './args.js';
import type { NodeSpec } from './cluster.js';
import { formatStatus, parseTerms } from './format.js';
import { nodeState, type Command } from './state.js';

function onOff(key: string, v: string): boolean {
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw new ScriptError(`${key}=${v}: expected on or off`);
}

type Knob = (o: CoreOptions, v: string, key: string) => CoreOptions;

const int = (v: string, key: string): number => toInt(v, key);

const KNOBS: ReadonlyMap<string, Knob> = new Map<string, Knob>([
  ['pre-vote', (o, v, k) => ({ ...o, preVote: onOff(k, v) })],
  ['check-quorum', (o, v, k) => ({ ...o, checkQuorum: onOff(k, v) })],
  // The core limits Apps by bytes and always sends one entry: with a limit of 0
  // every App carries exactly one entry (only consecutive empty no-ops travel together).
  [
    'max-msg-entries',
    (o, v) => {
      if (v !== '1') throw new ScriptError('max-msg-entries supports only 1');
      return { ...o, maxMsgBytes: 0 };
    },
  ],
  ['max-msg-bytes', (o, v, k) => ({ ...o, maxMsgBytes: int(v, k) })],
  ['max-inflight', (o, v, k) => ({ ...o, maxInflight: int(v, k) })],
  ['max-uncommitted-bytes', (o, v, k) => ({ ...o, maxUncommittedBytes: int(v, k) })],
  ['election-ticks', (o, v, k) => ({ ...o, electionTicks: int(v, k) })],
  ['heartbeat-ticks', (o, v, k) => ({ ...o, heartbeatTicks: int(v, k) })],
  ['learner-catch-up', (o, v, k) => ({ ...o, learnerCatchUpEntries: int(v, k) })],
]);

const config: Command = (state, args) => {
  if (state.hasCluster()) throw new ScriptError('config must come before nodes');
  if (args.words.length > 0) throw new ScriptError(`config takes key=value pairs, got ${args.words.join(' ')}`);
  for (const [key, value] of args.options) {
    if (key === 'seed') {
      state.seed = toInt(value, key);
      continue;
    }
    if (key === 'unsafe-bug') {
      state.addTestBug(value);
      continue;
    }
    const knob = KNOBS.get(key);
    if (knob === undefined) throw new ScriptError(`unknown config key ${key} (known: seed, unsafe-bug, ${[...KNOBS.keys()].join(', ')})`);
    state.options = knob(state.options, value, key);
  }
  return [];
};

/** "n1: terms=1,3x3 term=6 vote=n2 commit=1" */
function parseSpec(line: string): [NodeId, NodeSpec] {
  const m = /^(\w+):\s*(.*)$/.exec(line.trim());
  if (m === null) throw new ScriptError(`node line "${line}" must look like "n1: terms=1,2,2 term=3"`);
  const args = Args.of(m[2]!);
  args.only('terms', 'term', 'vote', 'commit');
  const terms = args.options.get('terms');
  if (terms === undefined) throw new ScriptError(`${m[1]}: terms= is required`);
  const spec: NodeSpec = {
    terms: parseTerms(terms),
    ...(args.options.has('term') ? { term: args.int('term', 0) } : {}),
    ...(args.options.has('vote') ? { vote: args.options.get('vote')! } : {}),
    ...(args.options.has('commit') ? { commit: args.int('commit', 0) } : {}),
  };
  return [m[1]!, spec];
}

/**
 * `nodes 3`, `nodes n1 n2 learners=n3`: a bootstrapped cluster (entry 1 holds
 * the membership). With input lines `n1: terms=…`, the voters start from
 * those logs instead.
 */
const nodes: Command = (state, args, input) => {
  args.only('learners');
  const first = args.word(0, 'node count or ids');
  const voters = /^\d+$/.test(first) && args.words.length === 1 ? Array.from({ length: Number(first) }, (_, i) => `n${i + 1}`) : args.words;
  const learners = (args.options.get('learners') ?? '').split(',').filter((x) => x !== '');
  const net = state.createCluster();
  if (input.length > 0) {
    if (learners.length > 0) throw new ScriptError('learners= cannot be combined with log specs');
    net.withLogs(voters, new Map(input.map(parseSpec)));
  } else {
    net.bootstrap(voters, learners);
  }
  return net.ids().map((id) => formatStatus(net.status(id), 'up')[0]!);
};

/** A node with an empty store (a server about to be added): it never campaigns and waits to be contacted. */
const addNode: Command = (state, args) => {
  const net = state.cluster();
  const id = args.word(0, 'node id');
  net.addNode(id);
  return formatStatus(net.status(id), nodeState(net.node(id)));
};

export const SETUP_COMMANDS: ReadonlyMap<string, Command> = new Map([
  ['config', config],
  ['nodes', nodes],
  ['add-node', addNode],
]);

