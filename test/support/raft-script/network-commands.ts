// Commands that move, lose, reorder or forge messages, and cut links.
import { makeMessage, type MessageFields } from '../../../src/consensus/core/messages.js';
import { EntryType, type Entry, type Message } from '../../../src/consensus/core/types.js';
import { ScriptError, indexTerm, messageType, parseLink, parseSelector, select } from './args.js';
import type { ScriptCluster } from './cluster.js';
import { formatMessage } from './format.js';
import { nodeList, type Command } from './state.js';

function lines(prefix: string, msgs: readonly Message[]): string[] {
  return msgs.map((m) => `${prefix}${formatMessage(m)}`);
}

function deliverReport(net: ScriptCluster, batch: readonly Message[]): string[] {
  if (batch.length === 0) return ['no message matches'];
  const delivered = new Set(net.deliverAll(batch));
  return batch.map((m) => (delivered.has(m) ? formatMessage(m) : `${formatMessage(m)} (stays on the wire: ${m.to} is frozen)`));
}

const deliver: Command = (state, args) => {
  args.only('with', 'count');
  const net = state.cluster();
  return deliverReport(net, select(net.wire, parseSelector(args)));
};

const drop: Command = (state, args) => {
  args.only('with', 'count');
  const net = state.cluster();
  const batch = select(net.wire, parseSelector(args));
  net.drop(batch);
  return batch.length === 0 ? ['no message matches'] : lines('dropped: ', batch);
};

/** Takes messages off the wire to deliver them later (reordering). */
const hold: Command = (state, args) => {
  args.only('with', 'count');
  const net = state.cluster();
  const batch = select(net.wire, parseSelector(args));
  const set = new Set(batch);
  net.wire = net.wire.filter((m) => !set.has(m));
  net.held.push(...batch);
  return batch.length === 0 ? ['no message matches'] : lines('held: ', batch);
};

const release: Command = (state, args) => {
  args.only('with', 'count');
  const net = state.cluster();
  const batch = select(net.held, parseSelector(args));
  const set = new Set(batch);
  net.held = net.held.filter((m) => !set.has(m));
  net.wire.push(...batch);
  return deliverReport(net, batch);
};

/** Delivers one more copy of the latest matching message the sender's current incarnation sent. */
const dup: Command = (state, args) => {
  args.only('with');
  const net = state.cluster();
  const sel = parseSelector(args);
  if (sel.from === '*') throw new ScriptError('dup needs a concrete sender');
  const sent = select(net.node(sel.from).sent, sel);
  const m = sent[sent.length - 1];
  if (m === undefined) throw new ScriptError(`${sel.from} sent no message matching ${args.words.join(' ')}`);
  const copy: Message = { ...m };
  const stays = !net.deliver(copy);
  if (stays) net.wire.push(copy);
  return [`copy of ${formatMessage(m)}${stays ? ` (stays on the wire: ${m.to} is frozen)` : ''}`];
};

/** "3/2:A,4/2:noop" → entries. */
function parseEntries(spec: string): Entry[] {
  if (spec === '') return [];
  return spec.split(',').map((part) => {
    const m = /^(\d+)\/(\d+):(.*)$/.exec(part);
    if (m === null) throw new ScriptError(`entry "${part}" must be index/term:value`);
    const value = m[3]!;
    return { index: Number(m[1]), term: Number(m[2]), type: EntryType.Normal, data: new TextEncoder().encode(value === 'noop' ? '' : value) };
  });
}

/**
 * A crafted message, delivered at once: `inject n2->n1 App term=2 prev=9/1 commit=11`.
 * Fields: term= prev=I/T last=I/T commit= hint=I/T entries=I/T:v,… snap=I/T ctx= and the word `reject`.
 */
const inject: Command = (state, args) => {
  args.only('term', 'prev', 'last', 'commit', 'hint', 'entries', 'snap', 'ctx');
  const net = state.cluster();
  const { from, to } = parseLink(args.word(0, 'link'));
  const type = messageType(args.word(1, 'message type'));
  const sender = net.nodes.get(from);
  const term = args.int('term', sender?.core.status().term ?? 0);
  const fields: { -readonly [K in keyof MessageFields]: MessageFields[K] } = {};
  const at = args.options.get('prev') ?? args.options.get('last');
  if (at !== undefined) [fields.index, fields.logTerm] = indexTerm(at, 'prev/last');
  if (args.options.has('commit')) fields.commit = args.int('commit', 0);
  const hint = args.options.get('hint');
  if (hint !== undefined) [fields.rejectHint, fields.logTerm] = indexTerm(hint, 'hint');
  const entries = args.options.get('entries');
  if (entries !== undefined) fields.entries = parseEntries(entries);
  const snap = args.options.get('snap');
  if (snap !== undefined) {
    const [index, snapTerm] = indexTerm(snap, 'snap');
    fields.snapshot = net.snapshotMeta(index, snapTerm);
    fields.index = index;
    fields.logTerm = snapTerm;
  }
  const ctx = args.options.get('ctx');
  if (ctx !== undefined) fields.context = ctx;
  if (args.words.slice(2).includes('reject')) fields.reject = true;
  const m = makeMessage(type, from, to, term, fields);
  const stays = !net.deliver(m);
  if (stays) net.wire.push(m);
  return [`injected ${formatMessage(m)}${stays ? ` (stays on the wire: ${to} is frozen)` : ''}`];
};

const wire: Command = (state) => {
  const net = state.cluster();
  const out = [...lines('', net.wire), ...lines('held: ', net.held)];
  return out.length === 0 ? ['(empty)'] : out;
};

const stabilize: Command = (state, args) => {
  args.only();
  const net = state.cluster();
  const n = net.stabilize();
  const waiting = net.wire.length;
  return [`delivered ${n} messages${waiting > 0 ? `; ${waiting} wait for frozen nodes` : ''}`];
};

function cutReport(lost: readonly Message[]): string[] {
  return lines('lost in flight: ', lost);
}

/** `partition {n1 n2}|{n3 n4 n5}`: every link between two groups is cut. */
const partition: Command = (state, args) => {
  const net = state.cluster();
  const spec = args.words.join(' ');
  const groups = [...spec.matchAll(/\{([^}]*)\}/g)].map((g) => nodeList([g[1]!]));
  if (groups.length < 2) throw new ScriptError(`partition needs groups like {n1}|{n2 n3}, got "${spec}"`);
  const lost: Message[] = [];
  for (let i = 0; i < groups.length; i++) {
    for (let j = i + 1; j < groups.length; j++) for (const a of groups[i]!) for (const b of groups[j]!) lost.push(...net.cutLink(a, b));
  }
  return cutReport(lost);
};

const isolate: Command = (state, args) => {
  const net = state.cluster();
  const id = args.word(0, 'node');
  net.node(id);
  const lost: Message[] = [];
  for (const other of net.ids()) if (other !== id) lost.push(...net.cutLink(id, other));
  return cutReport(lost);
};

/** `cut n1 n4 n5`: cuts n1↔n4 and n1↔n5. */
const cut: Command = (state, args) => {
  const net = state.cluster();
  const [a, ...others] = nodeList(args.words);
  if (a === undefined || others.length === 0) throw new ScriptError('cut needs a node and the peers to cut it from');
  return cutReport(others.flatMap((b) => net.cutLink(a, b)));
};

const heal: Command = (state) => {
  state.cluster().heal();
  return [];
};

export const NETWORK_COMMANDS: ReadonlyMap<string, Command> = new Map([
  ['deliver', deliver],
  ['drop', drop],
  ['hold', hold],
  ['release', release],
  ['dup', dup],
  ['inject', inject],
  ['wire', wire],
  ['stabilize', stabilize],
  ['partition', partition],
  ['isolate', isolate],
  ['cut', cut],
  ['heal', heal],
]);

