// In-memory stand-ins for a RaftNode's disk and network, so that the runtime's
// reactions to faults (fail-stop, wiped peers) can be driven one frame at a time.
import { pino } from 'pino';
import { RaftCore } from '../../src/consensus/core/raft-core.js';
import type { Entry, HardState, Message, NodeId, SnapshotMeta } from '../../src/consensus/core/types.js';
import { DEFAULT_RAFT_OPTIONS } from '../../src/consensus/runtime/node-options.js';
import { RaftNode, type PeerTransport } from '../../src/consensus/runtime/raft-node.js';
import type { StateMachine } from '../../src/consensus/runtime/state-machine.js';
import type { PeerFrame } from '../../src/consensus/transport/frames.js';
import type { LogStore, NodeIdentity, SnapshotStore, StoredLog } from '../../src/persistence/types.js';
import { DEFAULT_OPTIONS, logFrom, membershipOf, seededRng } from '../support/core-network.js';

export interface Peer {
  readonly id: NodeId;
  readonly incarnation: string;
  readonly clusterId: string;
}

export class FakeTransport implements PeerTransport {
  readonly sent: { to: NodeId; frame: PeerFrame }[] = [];
  private handler: ((from: Peer, frame: PeerFrame) => void) | null = null;

  send(to: NodeId, _address: string, frame: PeerFrame): boolean {
    this.sent.push({ to, frame });
    return true;
  }

  onFrame(handler: (from: Peer, frame: PeerFrame) => void): void {
    this.handler = handler;
  }

  onPeerDown(): void {}

  onPeerRefused(): void {}

  dropPeer(): void {}

  async stop(): Promise<void> {}

  /** A Raft message arriving from `from`. */
  receive(from: Peer, message: Message): void {
    if (this.handler === null) throw new Error('the node is not started');
    this.handler(from, { kind: 'raft', message });
  }

  raftMessages(): Message[] {
    return this.sent.flatMap((s) => (s.frame.kind === 'raft' ? [s.frame.message] : []));
  }
}

/** A log store whose writes succeed, or fail once `failure` is set (an fsync error). */
export class FakeLogStore implements LogStore {
  failure: Error | null = null;
  readonly saved: { hardState: HardState | undefined; entries: readonly Entry[] }[] = [];

  async open(): Promise<StoredLog> {
    throw new Error('not used: the node is built from a start state');
  }

  async saveIdentity(): Promise<void> {}

  async save(hardState: HardState | undefined, entries: readonly Entry[]): Promise<void> {
    if (this.failure !== null) throw this.failure;
    this.saved.push({ hardState, entries });
  }

  async saveSnapshot(_meta: SnapshotMeta, _compactTo: number, _discardLog: boolean): Promise<void> {
    if (this.failure !== null) throw this.failure;
  }

  async close(): Promise<void> {}
}

const noSnapshots: SnapshotStore = {
  save: () => Promise.reject(new Error('no snapshots in this test')),
  load: () => Promise.resolve(null),
  latest: () => Promise.resolve(null),
  beginReceive: () => Promise.reject(new Error('no snapshots in this test')),
};

const counter: StateMachine<number> = {
  apply: (index) => index,
  snapshot: () => new Uint8Array(0),
  restore: () => undefined,
};

export const CLUSTER_ID = 'cluster-1';

/** How the other members present themselves; `member()` of core-network gives member X incarnation `inc-X`. */
export function peer(id: NodeId, incarnation = `inc-${id}`): Peer {
  return { id, incarnation, clusterId: CLUSTER_ID };
}

export interface TestNode {
  readonly node: RaftNode<number>;
  readonly core: RaftCore;
  readonly transport: FakeTransport;
  readonly logStore: FakeLogStore;
  readonly fatal: unknown[];
}

/**
 * Node `id` of {n1 n2 n3}, started from a log of the given terms (entry 1 holds
 * the membership). Its timer is too slow to ever tick: the test drives it with frames.
 */
export function startNode(id: NodeId, terms: readonly number[], hardState: HardState): TestNode {
  const core = new RaftCore(
    { ...DEFAULT_OPTIONS, id, rng: seededRng(1) },
    { hardState, snapshot: null, entries: logFrom(terms, membershipOf(['n1', 'n2', 'n3'])) },
  );
  const transport = new FakeTransport();
  const logStore = new FakeLogStore();
  const fatal: unknown[] = [];
  const identity: NodeIdentity = { clusterId: CLUSTER_ID, nodeId: id, incarnation: `inc-${id}` };
  const node = new RaftNode<number>({
    identity,
    core,
    logStore,
    snapshotStore: noSnapshots,
    transport,
    stateMachine: counter,
    options: { ...DEFAULT_RAFT_OPTIONS, timing: { ...DEFAULT_RAFT_OPTIONS.timing, tickMs: 3_600_000 } },
    logger: pino({ level: 'silent' }),
    observer: { walSync() {}, snapshotTaken() {}, leaderChanged() {}, proposalsCommitted() {}, proposalFailed() {} },
    startSnapshot: null,
    fatal: (error) => fatal.push(error),
  });
  node.start();
  return { node, core, transport, logStore, fatal };
}

/** Lets the node's event-loop work (setImmediate passes, promise chains) run; bounded. */
export async function settle(until: () => boolean = () => false, turns = 50): Promise<void> {
  for (let i = 0; i < turns && !until(); i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
