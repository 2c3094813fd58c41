// Commands that act on nodes: time, elections, clients, faults, inspection.
import { voterIds } from '../../../src/consensus/core/membership.js';
import { MessageType, type ConfChange, type Message, type NodeId, type Outcome, type Ready } from '../../../src/consensus/core/types.js';
import { member } from '../core-network.js';
import { ScriptError, toInt } from './args.js';
import { isVoteTraffic, type ScriptCluster } from './cluster.js';
import { formatEntry, formatMessage, formatStatus, formatTerms } from './format.js';
import { nodeList, nodeState, type Command, type ScriptState } from './state.js';

const REQUESTS: ReadonlySet<MessageType> = new Set([MessageType.PreVote, MessageType.Vote]);

/**
 * Ticks `id` alone until its election timer fires: it sends (pre-)vote
 * requests, or leads at once, or (stalled disk) starts a campaign whose
 * requests wait for the write. Returns the number of ticks.
 */
function tickUntilCampaign(net: ScriptCluster, id: NodeId, limit: number): number {
  const node = net.live(id);
  const before = node.sent.length;
  const start = node.core.status();
  const campaigned = (): boolean => {
    const st = node.core.status();
    if (st.role === 'leader' || node.sent.slice(before).some((m) => REQUESTS.has(m.type))) return true;
    return st.role !== 'follower' && (st.role !== start.role || st.term !== start.term);
  };
  let ticks = 0;
  while (ticks < limit && !campaigned()) {
    net.tick(id);
    ticks++;
  }
  if (!campaigned()) throw new ScriptError(`${id} did not campaign within ${limit} ticks`);
  return ticks;
}

/** `tick n1 [n2 …] K` or `tick * K`: K rounds, each listed node ticks once per round. Nothing is delivered. */
const tick: Command = (state, args) => {
  const net = state.cluster();
  const count = toInt(args.word(args.words.length - 1, 'tick count'), 'tick count');
  const listed = nodeList(args.words.slice(0, -1));
  const ids = listed.length === 1 && listed[0] === '*' ? net.ids().filter((id) => !net.node(id).down) : listed;
  if (ids.length === 0) throw new ScriptError('tick needs nodes and a count');
  for (let i = 0; i < count; i++) for (const id of ids) net.tick(id);
  return [];
};

/**
 * `tick-election n1 [n2 …]`: ET ticks each (etcd's tick-election): afterwards
 * the nodes no longer honour leader stickiness, and may have campaigned.
 */
const tickElection: Command = (state, args) => {
  const net = state.cluster();
  const ids = nodeList(args.words);
  for (let i = 0; i < state.options.electionTicks; i++) for (const id of ids) net.tick(id);
  return [];
};

/** Ticks a node alone until its election timer fires; its requests stay on the wire. */
const campaign: Command = (state, args) => {
  const net = state.cluster();
  const id = args.word(0, 'node');
  const ticks = tickUntilCampaign(net, id, 2 * state.options.electionTicks + 1);
  return [`${id} campaigned after ${ticks} ticks`];
};

/**
 * `elect nX [voters]`: nX's election timer fires (unless its campaign is
 * already on the wire), and only the (pre-)vote
 * traffic between nX and the listed voters is delivered, until nX leads or
 * loses (three campaigns at most). Its requests to anybody else are dropped.
 */
const elect: Command = (state, args) => {
  const net = state.cluster();
  const [c, ...listed] = nodeList(args.words);
  if (c === undefined) throw new ScriptError('elect needs a candidate');
  const node = net.live(c);
  const voters =
    listed.length > 0 ? listed : voterIds(node.core.status().membership).filter((v) => v !== c && !(net.nodes.get(v)?.down ?? true));
  const out: string[] = [];
  const limit = 2 * state.options.electionTicks + 1;
  const isRequest = (m: Message): boolean => REQUESTS.has(m.type);
  for (let attempt = 0; attempt < 3 && node.core.status().role !== 'leader'; attempt++) {
    // A campaign already on the wire (the candidate's timer fired earlier) is the one that runs.
    if (net.wire.some((m) => m.from === c && isRequest(m))) {
      out.push(`${c} is campaigning`);
    } else {
      const ticks = tickUntilCampaign(net, c, limit);
      out.push(`${c} campaigns after ${ticks} ticks`);
    }
    for (let round = 0; round < 10; round++) {
      const batch = net.wire.filter(
        (m) => isVoteTraffic(m) && ((m.from === c && isRequest(m) && voters.includes(m.to)) || (m.to === c && !isRequest(m) && voters.includes(m.from))),
      );
      if (batch.length === 0) break;
      const delivered = new Set(net.deliverAll(batch));
      for (const m of batch) if (delivered.has(m)) out.push(`  ${formatMessage(m)}`);
    }
    const rest = net.wire.filter((m) => m.from === c && isRequest(m));
    net.drop(rest);
    for (const m of rest) out.push(`  dropped: ${formatMessage(m)}`);
  }
  const st = node.core.status();
  out.push(st.role === 'leader' ? `${c} is leader of term ${st.term}` : `${c} is not elected: ${st.role} in term ${st.term}`);
  return out;
};

/**
 * `run K [write-every=T]`: K rounds of (every running node ticks once, then
 * the network settles); every T rounds a client writes w<n> at the leader.
 * Reports leader changes and the longest stretch without commit progress
 * while writes were waiting (reference §4.3, L2 and L3).
 */
const run: Command = (state, args) => {
  args.only('write-every');
  const net = state.cluster();
  const rounds = toInt(args.word(0, 'round count'), 'round count');
  const every = args.int('write-every', 0);
  const termsBefore = net.invariants.leaders.size;
  let last = leaderKey(net);
  let changes = 0;
  let writes = 0;
  const pending = new Set<string>();
  let commit = maxCommit(net);
  let gap = 0;
  let longestGap = 0;
  for (let r = 0; r < rounds; r++) {
    const leader = net.leaderId();
    if (every > 0 && r % every === 0 && leader !== '') {
      const value = `w${++state.writes}`;
      writes++;
      if (net.propose(leader, [value])[0]!.ok) pending.add(value);
    }
    for (const id of net.ids()) if (!net.node(id).down && !net.node(id).frozen) net.tick(id);
    net.stabilize();
    const now = leaderKey(net);
    if (now !== '' && now !== last) {
      if (last !== '') changes++;
      last = now;
    }
    for (const v of net.acked) pending.delete(v);
    const c = maxCommit(net);
    gap = pending.size > 0 && c <= commit ? gap + 1 : 0;
    longestGap = Math.max(longestGap, gap);
    commit = c;
  }
  const maxTerm = Math.max(...net.ids().map((id) => net.status(id).term));
  const figures: [string, number][] = [
    ['leader-changes', changes],
    ['new-terms', net.invariants.leaders.size - termsBefore],
    ['max-term', maxTerm],
    ['writes', writes],
    ['unacked', pending.size],
    ['longest-commit-gap', longestGap],
  ];
  state.lastRun.clear();
  for (const [k, v] of figures) state.lastRun.set(k, v);
  return [`${rounds} rounds: ${figures.map(([k, v]) => `${k}=${v}`).join(' ')}`];
};

function leaderKey(net: ScriptCluster): string {
  const id = net.leaderId();
  return id === '' ? '' : `${id}@${net.status(id).term}`;
}

function maxCommit(net: ScriptCluster): number {
  return Math.max(0, ...net.ids().filter((id) => !net.node(id).down).map((id) => net.status(id).commit));
}

function describeLostWrite(rd: Ready): string {
  const parts: string[] = [];
  if (rd.entries.length > 0) parts.push(`entries ${rd.entries.map(formatEntry).join(', ')}`);
  if (rd.hardState !== undefined) parts.push(`hard state term=${rd.hardState.term} vote=${rd.hardState.vote || '-'} commit=${rd.hardState.commit}`);
  if (rd.messages.length > 0) parts.push(`${rd.messages.length} unsent messages`);
  return parts.join('; ');
}

/** The process dies; a write in flight (stalled disk) is lost with it. */
const crash: Command = (state, args) => {
  const net = state.cluster();
  const out: string[] = [];
  for (const id of nodeList(args.words)) {
    const lost = net.crash(id);
    const what = lost === null ? '' : describeLostWrite(lost);
    if (what !== '') out.push(`${id} lost its unsynced write: ${what}`);
  }
  return out;
};

const restart: Command = (state, args) => {
  const net = state.cluster();
  return nodeList(args.words).map((id) => {
    net.restart(id);
    return formatStatus(net.status(id), nodeState(net.node(id)))[0]!;
  });
};

/** A frozen node processes nothing (no ticks, no messages) while the others go on: a GC pause or a VM stall. */
const freeze: Command = (state, args) => {
  const net = state.cluster();
  for (const id of nodeList(args.words)) net.live(id).frozen = true;
  return [];
};

const unfreeze: Command = (state, args) => {
  const net = state.cluster();
  for (const id of nodeList(args.words)) {
    net.live(id).frozen = false;
    net.process(id);
  }
  return [];
};

/** `disk nX stall|complete|resume`: a stalled disk keeps the current write in flight until `complete`. */
const disk: Command = (state, args) => {
  const net = state.cluster();
  const id = args.word(0, 'node');
  const action = args.word(1, 'stall, complete or resume');
  switch (action) {
    case 'stall':
      net.setStalled(id, true);
      return [];
    case 'resume':
      net.setStalled(id, false);
      return [];
    case 'complete': {
      const rd = net.completeStalledWrite(id);
      if (rd === null) return [`${id}: no write in flight`];
      const what = describeLostWrite({ ...rd, messages: [] }) || 'nothing to write';
      return [`${id}: write completed (${what})`, ...rd.messages.map((m) => `  then sent ${formatMessage(m)}`)];
    }
    default:
      throw new ScriptError(`disk ${action}: expected stall, complete or resume`);
  }
};

function outcomeText(out: Outcome): string {
  if (!out.ok) return `refused (${out.reason})`;
  return out.index === undefined ? 'forwarded to the leader' : `index ${out.index}`;
}

/** `x*3` → x1 x2 x3. */
function expandValues(words: readonly string[]): string[] {
  return words.flatMap((w) => {
    const m = /^(.*)\*(\d+)$/.exec(w);
    return m === null ? [w] : Array.from({ length: Number(m[2]) }, (_, i) => `${m[1]}${i + 1}`);
  });
}

/** Consecutive outcomes of the same kind on one line: "x1..x20 → index 4..23". */
function summarize(id: NodeId, results: readonly { value: string; out: Outcome }[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < results.length) {
    const first = results[i]!;
    let j = i + 1;
    const kind = (k: number): string => {
      const o = results[k]!.out;
      return o.ok ? (o.index === undefined ? 'fwd' : 'idx') : `no:${o.reason}`;
    };
    while (j < results.length && kind(j) === kind(i) && (kind(i) !== 'idx' || indexOf(results[j]!.out) === indexOf(results[j - 1]!.out) + 1)) j++;
    const lastOne = results[j - 1]!;
    if (j - i === 1) out.push(`${id}: ${first.value} → ${outcomeText(first.out)}`);
    else if (kind(i) === 'idx') out.push(`${id}: ${first.value}..${lastOne.value} → index ${indexOf(first.out)}..${indexOf(lastOne.out)}`);
    else out.push(`${id}: ${first.value}..${lastOne.value} → ${outcomeText(first.out)}`);
    i = j;
  }
  return out;
}

function indexOf(o: Outcome): number {
  return o.ok ? (o.index ?? 0) : 0;
}

const propose: Command = (state, args) => {
  const net = state.cluster();
  const [id, ...rest] = args.words;
  if (id === undefined || rest.length === 0) throw new ScriptError('propose needs a node and values');
  const values = expandValues(rest);
  const outcomes = net.propose(id, values);
  const results = values.map((value, i) => ({ value, out: outcomes[i]! }));
  state.lastResult = outcomeText(results[results.length - 1]!.out);
  return summarize(id, results);
};

const proposeConfChange: Command = (state, args) => {
  const net = state.cluster();
  const id = args.word(0, 'node');
  const type = args.word(1, 'add-learner, promote or remove');
  const target = args.word(2, 'member');
  let cc: ConfChange;
  const out: string[] = [];
  if (type === 'add-learner') {
    if (!net.nodes.has(target)) {
      net.addNode(target);
      out.push(`${target} created with an empty store`);
    }
    cc = { type: 'add-learner', member: member(target) };
  } else if (type === 'promote' || type === 'remove') {
    cc = { type, id: target };
  } else {
    throw new ScriptError(`unknown conf change ${type}`);
  }
  const result = net.live(id).core.proposeConfChange(cc);
  net.process(id);
  state.lastResult = outcomeText(result);
  out.push(`${id}: ${type} ${target} → ${state.lastResult}`);
  return out;
};

const transferLeadership: Command = (state, args) => {
  const net = state.cluster();
  const id = args.word(0, 'leader');
  const to = args.word(1, 'target');
  const result = net.live(id).core.transferLeadership(to);
  net.process(id);
  state.lastResult = result.ok ? 'ok' : outcomeText(result);
  return [`${id}: transfer to ${to} → ${state.lastResult}`];
};

/** Starts a ReadIndex request; its answer shows up in `nX.reads` / `nX.failed-reads`. */
const readIndex: Command = (state, args) => {
  const net = state.cluster();
  const id = args.word(0, 'node');
  net.live(id).core.readIndex(args.word(1, 'read context'));
  net.process(id);
  return [];
};

const snapshot: Command = (state, args) => {
  args.only('trailing');
  const net = state.cluster();
  const id = args.word(0, 'node');
  const meta = net.takeSnapshot(id, args.int('trailing', 0));
  return [`${id}: snapshot ${meta.index}/${meta.term}, log now starts at ${net.status(id).firstIndex}`];
};

const status: Command = (state, args) => {
  const net = state.cluster();
  const ids = args.words.length > 0 ? nodeList(args.words) : net.ids();
  return ids.flatMap((id) => formatStatus(net.status(id), nodeState(net.node(id))));
};

/** The durable log of a node (long logs: their term runs and the last entries). */
const log: Command = (state: ScriptState, args) => {
  const net = state.cluster();
  const id = args.word(0, 'node');
  const store = net.node(id).store;
  const snap = store.snapshot === null ? [] : [`snapshot ${store.snapshot.index}/${store.snapshot.term}`];
  const entries = store.entries;
  if (entries.length <= 12) return [...snap, ...entries.map(formatEntry)];
  return [...snap, `terms ${formatTerms(entries.map((e) => e.term))} from index ${entries[0]!.index}`, '…', ...entries.slice(-4).map(formatEntry)];
};

export const NODE_COMMANDS: ReadonlyMap<string, Command> = new Map([
  ['tick', tick],
  ['tick-election', tickElection],
  ['campaign', campaign],
  ['elect', elect],
  ['run', run],
  ['crash', crash],
  ['restart', restart],
  ['freeze', freeze],
  ['unfreeze', unfreeze],
  ['disk', disk],
  ['propose', propose],
  ['propose-conf-change', proposeConfChange],
  ['transfer-leadership', transferLeadership],
  ['read-index', readIndex],
  ['snapshot', snapshot],
  ['compact', snapshot],
  ['status', status],
  ['log', log],
]);
