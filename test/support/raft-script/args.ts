// Arguments of script commands: positional words, key=value options, and
// message selectors such as `n1->n2 App with=A count=1`.
import { MessageType, type Message, type NodeId } from '../../../src/consensus/core/types.js';

export class ScriptError extends Error {
  override readonly name = 'ScriptError';
}

export class Args {
  readonly words: string[] = [];
  readonly options = new Map<string, string>();

  constructor(tokens: readonly string[]) {
    for (const t of tokens) {
      const eq = t.indexOf('=');
      if (eq > 0) this.options.set(t.slice(0, eq), t.slice(eq + 1));
      else this.words.push(t);
    }
  }

  static of(line: string): Args {
    return new Args(line.trim().split(/\s+/).filter((t) => t !== ''));
  }

  word(i: number, what: string): string {
    const w = this.words[i];
    if (w === undefined) throw new ScriptError(`missing ${what}`);
    return w;
  }

  int(key: string, fallback: number): number {
    const v = this.options.get(key);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new ScriptError(`${key}=${v} is not an integer`);
    return n;
  }

  /** Options the command does not know are a typo in the script. */
  only(...keys: string[]): void {
    for (const k of this.options.keys()) if (!keys.includes(k)) throw new ScriptError(`unknown option ${k}=`);
  }
}

export function toInt(s: string, what: string): number {
  const n = Number(s);
  if (!Number.isInteger(n)) throw new ScriptError(`${what} "${s}" is not an integer`);
  return n;
}

/** "7/2" → [7, 2]. */
export function indexTerm(s: string, what: string): [number, number] {
  const m = /^(\d+)\/(\d+)$/.exec(s);
  if (m === null) throw new ScriptError(`${what} "${s}" must be index/term`);
  return [Number(m[1]), Number(m[2])];
}

const TYPES = new Map(Object.values(MessageType).map((t) => [t.toLowerCase(), t]));

export function messageType(s: string): MessageType {
  const t = TYPES.get(s.toLowerCase());
  if (t === undefined) throw new ScriptError(`unknown message type ${s}`);
  return t;
}

export interface Selector {
  readonly from: NodeId | '*';
  readonly to: NodeId | '*';
  readonly type?: MessageType;
  /** Only Apps carrying an entry with this value. */
  readonly with?: string;
  /** At most this many (the first ones). */
  readonly count?: number;
}

/** `a->b` (or a→b), either side may be `*`. */
export function parseLink(s: string): { from: string; to: string } {
  const m = /^([\w*]+)(?:->|→)([\w*]+)$/.exec(s);
  if (m === null) throw new ScriptError(`"${s}" is not a link like n1->n2`);
  return { from: m[1]!, to: m[2]! };
}

/** words[at] is the link, words[at+1] an optional type; options with= and count=. */
export function parseSelector(args: Args, at = 0): Selector {
  const link = parseLink(args.word(at, 'link (n1->n2)'));
  const typeWord = args.words[at + 1];
  const count = args.options.get('count');
  const withValue = args.options.get('with');
  return {
    ...link,
    ...(typeWord !== undefined ? { type: messageType(typeWord) } : {}),
    ...(withValue !== undefined ? { with: withValue } : {}),
    ...(count !== undefined ? { count: toInt(count, 'count') } : {}),
  };
}

export function matches(m: Message, s: Selector): boolean {
  if (s.from !== '*' && m.from !== s.from) return false;
  if (s.to !== '*' && m.to !== s.to) return false;
  if (s.type !== undefined && m.type !== s.type) return false;
  if (s.with !== undefined) {
    const dec = new TextDecoder();
    if (!m.entries.some((e) => dec.decode(e.data) === s.with)) return false;
  }
  return true;
}

export function select(msgs: readonly Message[], s: Selector): Message[] {
  const all = msgs.filter((m) => matches(m, s));
  return s.count === undefined ? all : all.slice(0, s.count);
}
