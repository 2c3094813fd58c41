// Wing–Gong backtracking with Lowe's memoisation over one partition (raft.md §5.6). The search
// keeps all its variables in this object so that the scheduler can run it in slices of steps.

import { EntryList, HEAD, NIL, isCallNode, opOfNode } from './entry-list.js';
import { MemoSet } from './memo-set.js';
import type { Model, Operation, Unknown } from './model.js';

export type SearchStatus = 'running' | 'ok' | 'illegal' | 'unknown';
export type BudgetReason = 'memo' | 'keys' | 'timeout';

/** The longest partial linearization and the operations that could not follow it. */
export interface Frontier {
  /** Operation indexes, in linearization order. */
  sequence: Int32Array;
  /** Operations whose CALL preceded the blocking RETURN, none of which could be placed next. */
  stuck: number[];
  /** The operation whose RETURN stopped the search: it had to be linearized by then. */
  blocking: number;
}

export class PartitionSearch<S, I, O> {
  status: SearchStatus;
  reason: BudgetReason | undefined;
  steps = 0;
  /** Characters of interned string keys: append-style states make these the bulk of memory. */
  keyChars = 0;
  /** Memo entries when the search stopped (the memo itself is freed then). */
  memoPeak = 0;
  frontier: Frontier | null = null;

  private readonly inputs: I[];
  private readonly outputs: (O | Unknown)[];
  private readonly list: EntryList;
  private readonly bits: Uint32Array;
  private readonly zobrist: Int32Array;
  private readonly stackNodes: Int32Array;
  private stackStates: S[] = [];
  private memo: MemoSet | null;
  private intern: Map<string | number, number> | null = new Map();
  private readonly longest: (Int32Array | null)[];
  private depth = 0;
  private bitsHash = 0;
  private cursor: number;
  private state: S;

  constructor(
    private readonly model: Model<S, I, O>,
    ops: readonly Operation<I, O>[],
  ) {
    const n = ops.length;
    this.inputs = ops.map((op) => op.input);
    this.outputs = ops.map((op) => op.output);
    this.list = new EntryList(
      ops.map((op) => op.call),
      ops.map((op) => op.ret),
    );
    const words = Math.ceil(n / 32);
    this.bits = new Uint32Array(words);
    this.zobrist = zobristTable(n);
    this.stackNodes = new Int32Array(n);
    this.memo = new MemoSet(words);
    this.longest = new Array<Int32Array | null>(n).fill(null);
    this.state = model.init();
    this.cursor = this.list.next[HEAD]!;
    this.status = n === 0 ? 'ok' : 'running';
  }

  get memoSize(): number {
    return this.memo === null ? 0 : this.memo.size;
  }

  /** The operations in a valid linearization order; only meaningful once the status is 'ok'. */
  linearization(): number[] {
    const order: number[] = [];
    for (let k = 0; k < this.depth; k++) order.push(opOfNode(this.stackNodes[k]!));
    return order;
  }

  /** The longest partial linearization that contained the operation, if it was ever placed. */
  longestFor(op: number): Int32Array | null {
    return this.longest[op];
  }

  /** Stops the search (budget exhausted elsewhere) and frees its memory. */
  abandon(reason: BudgetReason): void {
    if (this.status !== 'running') return;
    this.status = 'unknown';
    this.reason = reason;
    this.release();
  }

  /**
   * Runs at most `maxSteps` iterations. Returns 'unknown' once the memo holds `memoLimit`
   * entries or interned keys hold `keyCharsLimit` characters.
   */
  run(maxSteps: number, memoLimit: number, keyCharsLimit: number): SearchStatus {
    if (this.status !== 'running') return this.status;
    const model = this.model;
    const inputs = this.inputs;
    const outputs = this.outputs;
    const list = this.list;
    const next = list.next;
    const bits = this.bits;
    const zobrist = this.zobrist;
    const stackNodes = this.stackNodes;
    const stackStates = this.stackStates;
    const memo = this.memo!;
    let cursor = this.cursor;
    let state = this.state;
    let depth = this.depth;
    let hash = this.bitsHash;
    let steps = 0;
    let status: SearchStatus = 'running';

    while (next[HEAD] !== NIL) {
      if (steps === maxSteps) break;
      steps++;
      if (isCallNode(cursor)) {
        const op = opOfNode(cursor);
        const result = model.step(state, inputs[op]!, outputs[op]!);
        if (result.ok) {
          const stateId = this.internKey(model.key(result.next));
          const word = op >>> 5;
          const bit = 1 << (op & 31);
          bits[word] = bits[word]! | bit;
          const nextHash = hash ^ zobrist[op]!;
          if (memo.add(bits, stateId, nextHash ^ mixStateId(stateId))) {
            stackNodes[depth] = cursor;
            stackStates[depth] = state;
            depth++;
            state = result.next;
            hash = nextHash;
            list.lift(cursor);
            cursor = next[HEAD]!;
            if (memo.size >= memoLimit || this.keyChars >= keyCharsLimit) {
              this.reason = memo.size >= memoLimit ? 'memo' : 'keys';
              status = 'unknown';
              break;
            }
            continue;
          }
          bits[word] = bits[word]! & ~bit;
        }
        cursor = next[cursor]!;
      } else {
        // No candidate before this RETURN fits: its operation cannot be linearized in time.
        this.recordFrontier(cursor, depth);
        if (depth === 0) {
          status = 'illegal';
          break;
        }
        depth--;
        const node = stackNodes[depth]!;
        state = stackStates[depth]!;
        const op = opOfNode(node);
        bits[op >>> 5] = bits[op >>> 5]! & ~(1 << (op & 31));
        hash ^= zobrist[op]!;
        list.unlift(node);
        cursor = next[node]!;
      }
    }
    if (status === 'running' && next[HEAD] === NIL) status = 'ok';
    this.steps += steps;
    this.cursor = cursor;
    this.state = state;
    this.depth = depth;
    this.bitsHash = hash;
    this.status = status;
    if (status !== 'running') this.release();
    return status;
  }

  private internKey(key: string | number): number {
    const intern = this.intern!;
    let id = intern.get(key);
    // typeof, not `=== undefined`: see the note on `imul` below.
    if (typeof id !== 'number') {
      id = intern.size;
      intern.set(key, id);
      if (typeof key === 'string') this.keyChars += key.length;
    }
    return id;
  }

  // Porcupine's bookkeeping for diagnostics: one shared copy of the stack, made lazily, for
  // every stacked operation whose longest known partial linearization is shorter.
  private recordFrontier(blockingReturn: number, depth: number): void {
    let copy: Int32Array | null = null;
    for (let k = 0; k < depth; k++) {
      const op = opOfNode(this.stackNodes[k]!);
      const known = this.longest[op];
      if (known === null || known.length < depth) {
        copy ??= this.stackNodes.slice(0, depth).map(opOfNode);
        this.longest[op] = copy;
      }
    }
    if (this.frontier !== null && this.frontier.sequence.length >= depth) return;
    const stuck: number[] = [];
    for (let node = this.list.next[HEAD]!; node !== blockingReturn; node = this.list.next[node]!) {
      stuck.push(opOfNode(node));
    }
    this.frontier = {
      sequence: copy ?? this.stackNodes.slice(0, depth).map(opOfNode),
      stuck,
      blocking: opOfNode(blockingReturn),
    };
  }

  private release(): void {
    this.memoPeak = this.memoSize;
    this.memo = null;
    this.intern = null;
    this.stackStates = [];
  }
}

// Per-operation random words: the bitset hash is their XOR over the linearized operations, so
// it updates in O(1) per step instead of rehashing ⌈n/32⌉ words. Drawn through a non-linear
// mix: outputs of a linear generator (xorshift) satisfy XOR relations that collide sets.
function zobristTable(n: number): Int32Array {
  const table = new Int32Array(n);
  for (let i = 0; i < n; i++) table[i] = fmix32(imul(i + 1, 0x85ebca77) ^ 0x5bd1e995);
  return table;
}

// Module bindings, not globals: under jest's vm context every global lookup (Math, even
// `undefined`) goes through an interceptor and cannot be optimised; it made this hot function
// ten times slower than the rest of a search step.
const imul = Math.imul;

// Consecutive state ids must differ in the low bits the memo table indexes by.
function mixStateId(id: number): number {
  return fmix32(imul(id + 1, 0x9e3779b1));
}

// murmur3's finalizer.
function fmix32(h: number): number {
  let x = imul(h ^ (h >>> 16), 0x85ebca6b);
  x = imul(x ^ (x >>> 13), 0xc2b2ae35);
  return x ^ (x >>> 16);
}
