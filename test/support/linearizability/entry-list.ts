// The time-ordered list of CALL and RETURN entries with dancing-links removal (raft.md §5.5).
// Node 0 is the head sentinel; operation i owns CALL node 2i+1 and RETURN node 2i+2, so the
// node kind, its operation and a CALL's matching RETURN are arithmetic, not stored.

export const HEAD = 0;
export const NIL = -1;

export function isCallNode(node: number): boolean {
  return (node & 1) === 1;
}

export function opOfNode(node: number): number {
  return (node - 1) >> 1;
}

export class EntryList {
  readonly next: Int32Array;
  readonly prev: Int32Array;

  /** `calls[i] <= rets[i]` must hold; a return time of Infinity sorts after every finite time. */
  constructor(calls: ArrayLike<number>, rets: ArrayLike<number>) {
    const n = calls.length;
    const nodes: number[] = [];
    const time = new Float64Array(2 * n + 1);
    for (let i = 0; i < n; i++) {
      time[2 * i + 1] = calls[i]!;
      time[2 * i + 2] = rets[i]!;
      nodes.push(2 * i + 1, 2 * i + 2);
    }
    // Equal times: CALL first, so touching intervals are concurrent and zero-length operations
    // fit; then by node number, so the order (and thus the search) is deterministic.
    nodes.sort((a, b) => {
      const ta = time[a]!;
      const tb = time[b]!;
      if (ta !== tb) return ta < tb ? -1 : 1;
      const ka = isCallNode(a) ? 0 : 1;
      const kb = isCallNode(b) ? 0 : 1;
      if (ka !== kb) return ka - kb;
      return a - b;
    });
    this.next = new Int32Array(2 * n + 1).fill(NIL);
    this.prev = new Int32Array(2 * n + 1).fill(NIL);
    let last = HEAD;
    for (const node of nodes) {
      this.next[last] = node;
      this.prev[node] = last;
      last = node;
    }
  }

  get empty(): boolean {
    return this.next[HEAD] === NIL;
  }

  /** Unlinks a CALL and its RETURN; the unlinked nodes keep their neighbours for unlift. */
  lift(call: number): void {
    const next = this.next;
    const prev = this.prev;
    const callNext = next[call]!;
    const callPrev = prev[call]!;
    next[callPrev] = callNext;
    prev[callNext] = callPrev;
    const ret = call + 1;
    const retNext = next[ret]!;
    const retPrev = prev[ret]!;
    next[retPrev] = retNext;
    if (retNext !== NIL) prev[retNext] = retPrev;
  }

  /** Exact reverse of lift; valid only in last-in-first-out order. */
  unlift(call: number): void {
    const next = this.next;
    const prev = this.prev;
    const ret = call + 1;
    const retNext = next[ret]!;
    next[prev[ret]!] = ret;
    if (retNext !== NIL) prev[retNext] = ret;
    next[prev[call]!] = call;
    prev[next[call]!] = call;
  }
}
