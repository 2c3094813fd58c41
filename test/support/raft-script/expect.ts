// EXPECT: assertions inside a script. `EXPECT n1.commit < 7`, or `EXPECT`
// followed by one assertion per input line. A failed assertion fails the
// scenario even when the transcript is being rewritten.
import { EntryType, MessageType, type NodeId } from '../../../src/consensus/core/types.js';
import { ScriptError, matches, parseLink, messageType } from './args.js';
import type { ScriptCluster } from './cluster.js';
import { formatEntry, formatMembers, formatTerms } from './format.js';
import { nodeState, type Command, type ScriptState } from './state.js';

export class ExpectationFailed extends Error {
  override readonly name = 'ExpectationFailed';
}

const OPERATORS = ['==', '!=', '<=', '>=', '<', '>', 'contains', '!contains', 'in'] as const;
type Operator = (typeof OPERATORS)[number];

const NONE = 'none';

function list(values: readonly (string | number)[]): string {
  return values.length === 0 ? NONE : values.join(' ');
}

function nodeField(net: ScriptCluster, id: NodeId, path: readonly string[]): string {
  const n = net.node(id);
  const st = n.core.status();
  const [field, ...rest] = path;
  switch (field) {
    case 'role':
      return st.role;
    case 'term':
      return String(st.term);
    case 'vote':
      return st.vote === '' ? NONE : st.vote;
    case 'leader':
      return st.leader === '' ? NONE : st.leader;
    case 'commit':
      return String(st.commit);
    case 'applied':
      return String(st.applied);
    case 'first':
      return String(st.firstIndex);
    case 'last':
      return String(st.lastIndex);
    case 'snapshot':
      return st.snapshot === null ? NONE : `${st.snapshot.index}/${st.snapshot.term}`;
    case 'members':
      return formatMembers(st.membership) || NONE;
    case 'transferee':
      return st.transferee === '' ? NONE : st.transferee;
    case 'state':
      return nodeState(n);
    case 'durable-term':
      return String(n.store.hardState.term);
    case 'durable-vote':
      return n.store.hardState.vote === '' ? NONE : n.store.hardState.vote;
    case 'durable-commit':
      return String(n.store.hardState.commit);
    case 'terms':
      return formatTerms(n.store.entries.map((e) => e.term)) || NONE;
    case 'values':
      return list(net.values(id));
    case 'reads':
      return list(n.readStates.map((r) => `${r.context}@${r.index}`));
    case 'failed-reads':
      return list(n.failedReads);
    case 'entry': {
      const index = Number(rest[0]);
      if (!Number.isInteger(index)) throw new ScriptError(`${id}.entry needs an index: ${id}.entry.5`);
      if (index <= (n.store.snapshot?.index ?? 0)) return 'compacted';
      const e = n.store.entries.find((x) => x.index === index);
      return e === undefined ? NONE : formatEntry(e);
    }
    case 'progress': {
      const [peer, what] = rest;
      const p = st.progress.find((x) => x.id === peer);
      if (p === undefined) return NONE;
      switch (what) {
        case 'match':
          return String(p.match);
        case 'next':
          return String(p.next);
        case 'state':
          return p.state;
        case 'inflight':
          return String(p.inflight);
        case 'active':
          return p.recentActive ? 'yes' : 'no';
        default:
          throw new ScriptError(`unknown progress field ${what ?? ''}`);
      }
    }
    default:
      throw new ScriptError(`unknown node field ${path.join('.')}`);
  }
}

/** `sent(n1->n2,App)` and `wire(n1->*)` count messages; `acks(n2->n1)` / `rejects(n2->n1)` list the AppResp indexes. */
function call(net: ScriptCluster, name: string, argText: string): string {
  const [linkText, typeText] = argText.split(',').map((s) => s.trim());
  const link = parseLink(linkText ?? '');
  const sel = { ...link, ...(typeText !== undefined ? { type: messageType(typeText) } : {}) };
  switch (name) {
    case 'sent':
      if (link.from === '*') throw new ScriptError('sent() needs a concrete sender');
      return String(net.node(link.from).sent.filter((m) => matches(m, sel)).length);
    case 'wire':
      return String(net.wire.filter((m) => matches(m, sel)).length);
    case 'acks':
    case 'rejects': {
      if (link.from === '*') throw new ScriptError(`${name}() needs a concrete sender`);
      const reject = name === 'rejects';
      const resps = net.node(link.from).sent.filter((m) => matches(m, { ...link, type: MessageType.AppResp }) && m.reject === reject);
      return list(resps.map((m) => m.index));
    }
    default:
      throw new ScriptError(`unknown function ${name}()`);
  }
}

export function evaluate(state: ScriptState, subject: string): string {
  const fn = /^(\w+)\((.*)\)$/.exec(subject);
  const net = (): ScriptCluster => state.cluster();
  if (fn !== null) return call(net(), fn[1]!, fn[2]!);
  const [head, ...path] = subject.split('.');
  switch (head) {
    case 'leader':
      return net().leaderId() || NONE;
    case 'acked':
      return list(net().acked);
    case 'result':
      return state.lastResult || NONE;
    case 'leaders':
      return list([...net().invariants.leaders].sort((a, b) => a[0] - b[0]).map(([t, id]) => `t${t}:${id}`));
    case 'committed-noops': {
      const id = path[0] ?? '';
      return String(net().node(id).applied.filter((e) => e.type === EntryType.Normal && e.data.length === 0).length);
    }
    case 'run': {
      const v = state.lastRun.get(path.join('.'));
      if (v === undefined) throw new ScriptError(`no run figure ${path.join('.')} (run first)`);
      return String(v);
    }
    default:
      if (head !== undefined && net().nodes.has(head)) return nodeField(net(), head, path);
      throw new ScriptError(`unknown subject ${subject}`);
  }
}

function compare(actual: string, op: Operator, expected: string): boolean {
  const num = (s: string): number => {
    const n = Number(s);
    if (!Number.isFinite(n)) throw new ScriptError(`"${s}" is not a number`);
    return n;
  };
  const tokens = actual.split(' ');
  const wanted = expected.split(' ');
  switch (op) {
    case '==':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '<':
      return num(actual) < num(expected);
    case '<=':
      return num(actual) <= num(expected);
    case '>':
      return num(actual) > num(expected);
    case '>=':
      return num(actual) >= num(expected);
    case 'contains':
      return wanted.every((w) => tokens.includes(w));
    case '!contains':
      return !wanted.some((w) => tokens.includes(w));
    case 'in':
      return wanted.includes(actual);
  }
}

export function check(state: ScriptState, assertion: string): void {
  const words = assertion.trim().split(/\s+/);
  const at = words.findIndex((w) => (OPERATORS as readonly string[]).includes(w));
  if (at < 1 || at === words.length - 1) throw new ScriptError(`cannot read assertion "${assertion}": subject operator value`);
  const subject = words.slice(0, at).join('');
  const op = words[at] as Operator;
  const expected = words.slice(at + 1).join(' ');
  const actual = evaluate(state, subject);
  if (!compare(actual, op, expected)) throw new ExpectationFailed(`EXPECT ${assertion.trim()}: actual ${subject} is "${actual}"`);
}

/** The interpreter hands over the rest of the EXPECT line as the first input line (operators are not key=value options). */
export const expectCommand: Command = (state, _args, input) => {
  const assertions = input.filter((l) => l.trim() !== '');
  if (assertions.length === 0) throw new ScriptError('EXPECT without an assertion');
  for (const a of assertions) check(state, a);
  return [];
};
