// What a running script carries from one command to the next.
import type { NodeId, UnsafeTestBug } from '../../../src/consensus/core/types.js';
import { DEFAULT_OPTIONS, type CoreOptions } from '../core-network.js';
import { Args, ScriptError } from './args.js';
import { ScriptCluster, type ScriptNode } from './cluster.js';
import { nodeView, type NodeView } from './format.js';

// A record, so that the compiler notices a canary added to UnsafeTestBug.
const CANARIES: Readonly<Record<UnsafeTestBug, true>> = {
  'vote-before-durable': true,
  'commit-previous-term-by-counting': true,
  'read-without-read-index': true,
  'ack-before-fsync': true,
  'truncate-on-stale-append': true,
  'forget-vote-on-leader': true,
};

/** The canaries of CoreConfig.unsafeTestBugs (types.ts). */
export const TEST_BUGS = Object.keys(CANARIES) as UnsafeTestBug[];

export class ScriptState {
  options: CoreOptions = { ...DEFAULT_OPTIONS };
  seed = 1;
  /** Outcome of the last propose / conf change / transfer, for `EXPECT result`. */
  lastResult = '';
  /** Figures of the last `run`, for `EXPECT run.<name>`. */
  readonly lastRun = new Map<string, number>();
  /** Counter behind the values `run` writes (w1, w2, …). */
  writes = 0;
  private net: ScriptCluster | null = null;

  /** Re-introduces one of the core's test-only canary bugs (CoreConfig.unsafeTestBugs). */
  addTestBug(name: string): void {
    const bug = TEST_BUGS.find((b) => b === name);
    if (bug === undefined) throw new ScriptError(`unknown canary bug ${name} (known: ${TEST_BUGS.join(', ')})`);
    this.options = { ...this.options, unsafeTestBugs: new Set([...(this.options.unsafeTestBugs ?? []), bug]) };
  }

  cluster(): ScriptCluster {
    if (this.net === null) throw new ScriptError('no nodes yet: start with `nodes`');
    return this.net;
  }

  hasCluster(): boolean {
    return this.net !== null;
  }

  createCluster(): ScriptCluster {
    if (this.net !== null) throw new ScriptError('`nodes` may appear only once');
    this.net = new ScriptCluster(this.options, this.seed);
    return this.net;
  }

  views(): Map<NodeId, NodeView> {
    const out = new Map<NodeId, NodeView>();
    if (this.net === null) return out;
    for (const n of this.net.nodes.values()) out.set(n.id, nodeView(n.core.status(), nodeState(n)));
    return out;
  }
}

export function nodeState(n: ScriptNode): string {
  if (n.down) return 'down';
  const parts: string[] = [];
  if (n.frozen) parts.push('frozen');
  if (n.stalled) parts.push(n.inflight === null ? 'disk-stalled' : 'disk-stalled(write in flight)');
  return parts.length === 0 ? 'up' : parts.join('+');
}

/** A command: its output lines (node changes are appended by the interpreter). */
export type Command = (state: ScriptState, args: Args, input: readonly string[]) => string[];

/** Node ids of `words`, with `[` `]` tolerated around lists: `elect n5 [n3 n4]`. */
export function nodeList(words: readonly string[]): NodeId[] {
  return words
    .join(' ')
    .replace(/[[\]]/g, ' ')
    .split(/\s+/)
    .filter((w) => w !== '');
}
