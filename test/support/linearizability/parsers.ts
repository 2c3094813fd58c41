// Parsers for the validation histories (raft.md §5.11): Jepsen etcd register logs and porcupine's
// kv EDN histories. Times are line numbers; unknown outcomes get ret = Infinity.

import type { Operation } from './model.js';
import { UNKNOWN } from './model.js';
import type { RegisterInput, RegisterOutput } from './models/register.js';
import type { KvStringInput, KvStringOutput } from './models/kv-string.js';

interface Pending<I> {
  input: I;
  call: number;
}

const ETCD_PREFIX = 'INFO  jepsen.util - ';

/**
 * Jepsen mapping (§5.2): `:ok` → ok; `:fail :cas` → a refused compare (output false); `:fail :read`
 * → dropped; `:info` on a write or CAS → unknown. An invoke never completed is treated as `:info`.
 */
export function parseEtcdLog(text: string): Operation<RegisterInput, RegisterOutput>[] {
  const ops: Operation<RegisterInput, RegisterOutput>[] = [];
  const pending = new Map<number, Pending<RegisterInput>>();
  const lines = text.split('\n');
  lines.forEach((raw, lineIndex) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `etcd log line ${lineIndex + 1}`;
    if (!raw.startsWith(ETCD_PREFIX)) throw new SyntaxError(`${where}: expected "${ETCD_PREFIX}…"`);
    const fields = raw.slice(ETCD_PREFIX.length).trim().split(/\s+/);
    const [processText, type, f, ...valueParts] = fields;
    const value = valueParts.join(' ');
    const process = Number(processText);
    if (!Number.isInteger(process) || process < 0) throw new SyntaxError(`${where}: bad process "${processText}"`);
    const time = lineIndex;
    if (type === ':invoke') {
      if (pending.has(process)) throw new SyntaxError(`${where}: process ${process} already has an operation outstanding`);
      pending.set(process, { input: parseRegisterInput(f, value, where), call: time });
      return;
    }
    const started = pending.get(process);
    if (started === undefined) throw new SyntaxError(`${where}: completion without an invoke for process ${process}`);
    pending.delete(process);
    const input = started.input;
    if (`:${input.kind}` !== f) throw new SyntaxError(`${where}: completes ${f} but process ${process} invoked :${input.kind}`);
    switch (type) {
      case ':ok':
        ops.push({ client: process, input, output: registerOkOutput(input, value, where), call: started.call, ret: time });
        return;
      case ':fail':
        if (input.kind === 'cas') ops.push({ client: process, input, output: false, call: started.call, ret: time });
        return;
      case ':info':
        if (input.kind !== 'read') ops.push({ client: process, input, output: UNKNOWN, call: started.call, ret: Infinity });
        return;
      default:
        throw new SyntaxError(`${where}: unknown type "${type}"`);
    }
  });
  for (const [process, started] of pending) {
    if (started.input.kind !== 'read') {
      ops.push({ client: process, input: started.input, output: UNKNOWN, call: started.call, ret: Infinity });
    }
  }
  return ops;
}

function parseRegisterInput(f: string | undefined, value: string, where: string): RegisterInput {
  switch (f) {
    case ':read':
      return { kind: 'read' };
    case ':write':
      return { kind: 'write', value: parseInteger(value, where) };
    case ':cas': {
      const [from, to] = parsePair(value, where);
      return { kind: 'cas', from, to };
    }
    default:
      throw new SyntaxError(`${where}: unknown function "${f}"`);
  }
}

function registerOkOutput(input: RegisterInput, value: string, where: string): RegisterOutput {
  switch (input.kind) {
    case 'read':
      return value === 'nil' ? null : parseInteger(value, where);
    case 'write':
      if (parseInteger(value, where) !== input.value) throw new SyntaxError(`${where}: :ok write of a different value`);
      return null;
    case 'cas':
      return true;
  }
}

function parseInteger(text: string, where: string): number {
  if (!/^-?\d+$/.test(text)) throw new SyntaxError(`${where}: expected an integer, got "${text}"`);
  return Number(text);
}

function parsePair(text: string, where: string): [number, number] {
  const m = /^\[(-?\d+)\s+(-?\d+)\]$/.exec(text);
  if (m === null) throw new SyntaxError(`${where}: expected [from to], got "${text}"`);
  return [Number(m[1]), Number(m[2])];
}

/** porcupine's kv histories: one EDN map per line with :process, :type, :f, :key and :value. */
export function parseKvEdn(text: string): Operation<KvStringInput, KvStringOutput>[] {
  const ops: Operation<KvStringInput, KvStringOutput>[] = [];
  const pending = new Map<number, Pending<KvStringInput>>();
  const lines = text.split('\n');
  lines.forEach((raw, lineIndex) => {
    if (raw.trim() === '') return;
    const where = `kv history line ${lineIndex + 1}`;
    const map = parseEdnMap(raw, where);
    const process = map.get(':process');
    const type = map.get(':type');
    const f = map.get(':f');
    const key = map.get(':key');
    const value = map.get(':value');
    if (typeof process !== 'number' || typeof key !== 'string') throw new SyntaxError(`${where}: missing :process or :key`);
    if (type === ':invoke') {
      if (pending.has(process)) throw new SyntaxError(`${where}: process ${process} already has an operation outstanding`);
      pending.set(process, { input: kvInput(f, key, value, where), call: lineIndex });
      return;
    }
    const started = pending.get(process);
    if (started === undefined) throw new SyntaxError(`${where}: completion without an invoke for process ${process}`);
    pending.delete(process);
    if (type !== ':ok') throw new SyntaxError(`${where}: unsupported type ${String(type)}`);
    if (`:${started.input.kind}` !== f || started.input.key !== key) {
      throw new SyntaxError(`${where}: completion does not match the invoke of process ${process}`);
    }
    let output: KvStringOutput = null;
    if (started.input.kind === 'get') {
      if (typeof value !== 'string') throw new SyntaxError(`${where}: :get completed without a string value`);
      output = value;
    }
    ops.push({ client: process, input: started.input, output, call: started.call, ret: lineIndex });
  });
  // porcupine's kv histories complete every invoke; an open one could have taken effect.
  for (const [process, started] of pending) {
    if (started.input.kind !== 'get') {
      ops.push({ client: process, input: started.input, output: UNKNOWN, call: started.call, ret: Infinity });
    }
  }
  return ops;
}

function kvInput(f: unknown, key: string, value: unknown, where: string): KvStringInput {
  if (f === ':get') return { kind: 'get', key };
  if ((f === ':put' || f === ':append') && typeof value === 'string') {
    return { kind: f === ':put' ? 'put' : 'append', key, value };
  }
  throw new SyntaxError(`${where}: unsupported invoke ${String(f)} with value ${String(value)}`);
}

type EdnScalar = string | number | null;

/**
 * A flat EDN map of keywords to scalars: keywords (kept with their colon, e.g. ":ok"),
 * integers, strings (with backslash escapes) and nil. Commas are whitespace in EDN.
 */
export function parseEdnMap(text: string, where = 'edn'): Map<string, EdnScalar> {
  const tokens = tokenizeEdn(text.trim(), where);
  if (tokens[0] !== '{' || tokens[tokens.length - 1] !== '}') throw new SyntaxError(`${where}: expected a map`);
  const body = tokens.slice(1, -1);
  if (body.length % 2 !== 0) throw new SyntaxError(`${where}: odd number of forms in map`);
  const map = new Map<string, EdnScalar>();
  for (let i = 0; i < body.length; i += 2) {
    const k = body[i]!;
    if (typeof k !== 'string' || !k.startsWith(':')) throw new SyntaxError(`${where}: map key is not a keyword`);
    map.set(k, scalarOf(body[i + 1]!, where));
  }
  return map;
}

// Strings arrive as { text } so that the string ":ok" and the keyword :ok stay distinct.
type EdnToken = string | { text: string };

function scalarOf(token: EdnToken, where: string): EdnScalar {
  if (typeof token !== 'string') return token.text;
  if (token === 'nil') return null;
  if (/^-?\d+$/.test(token)) return Number(token);
  if (token.startsWith(':')) return token;
  throw new SyntaxError(`${where}: unsupported form "${token}"`);
}

function tokenizeEdn(text: string, where: string): EdnToken[] {
  const tokens: EdnToken[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ',' || /\s/.test(c)) {
      i++;
    } else if (c === '{' || c === '}') {
      tokens.push(c);
      i++;
    } else if (c === '"') {
      let s = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') {
          const e = text[i + 1];
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : (e ?? '');
          i += 2;
        } else {
          s += text[i];
          i++;
        }
      }
      if (i >= text.length) throw new SyntaxError(`${where}: unterminated string`);
      tokens.push({ text: s });
      i++;
    } else {
      let j = i;
      while (j < text.length && !/[\s,{}"]/.test(text[j]!)) j++;
      tokens.push(text.slice(i, j));
      i = j;
    }
  }
  return tokens;
}
