// Opens a node's data directory and decides how it starts: bootstrap a new
// cluster, wait to join one, or resume from its durable state. A leftover
// `-bootstrap` on a node that already has state never creates a second cluster.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { EntryType, type CoreStartState, type Entry, type Member, type SnapshotMeta } from '../core/types.js';
import { RaftCore } from '../core/raft-core.js';
import { encodeMembership } from '../core/membership.js';
import type { LogStore, NodeIdentity, SnapshotStore, StoredLog } from '../../persistence/types.js';
import { openDataDir } from '../../persistence/data-dir.js';
import { TcpTransport } from '../transport/tcp-transport.js';
import type { StateMachine } from './state-machine.js';
import type { RaftNodeOptions } from './node-options.js';
import { RaftNode, type RaftObserver } from './raft-node.js';

export interface BootOptions {
  readonly id: string;
  readonly raftAddress: string;
  readonly httpAddress: string;
  /** Address to listen on for peers (defaults to raftAddress; differs in containers: 0.0.0.0:9001). */
  readonly raftListen?: string;
  /** Source IP for dialled peer connections (chaos tests give each node its own loopback IP). */
  readonly raftBindOutbound?: string;
  readonly dataDir: string;
  readonly bootstrap: boolean;
  readonly clusterToken?: string;
  readonly raft: RaftNodeOptions;
}

export type StartMode = 'bootstrapped' | 'resumed' | 'joining';

export interface BootedNode<R> {
  readonly node: RaftNode<R>;
  readonly mode: StartMode;
}

export async function bootRaftNode<R>(
  opts: BootOptions,
  stateMachine: StateMachine<R>,
  logger: Logger,
  observer: RaftObserver,
  fatal: (error: unknown) => void,
): Promise<BootedNode<R>> {
  const { logStore, snapshotStore } = await openDataDir(opts.dataDir);
  const stored = await logStore.open();
  let identity = stored.identity;
  let mode: StartMode;
  let log = stored;

  if (identity === null) {
    if ((await snapshotStore.latest()) !== null) {
      // Snapshots without a log store: the store was deleted or rolled back. Starting
      // fresh would rejoin under an identity whose votes and acks were already given.
      throw new Error(`${opts.dataDir} holds snapshots but no Raft log store: refusing to start (restore the store, or move the data directory aside to rejoin as a new member)`);
    }
    const incarnation = randomUUID();
    if (opts.bootstrap) {
      identity = { clusterId: randomUUID(), nodeId: opts.id, incarnation };
      log = await writeBootstrap(logStore, identity, { ...selfMember(opts, incarnation), role: 'voter' });
      mode = 'bootstrapped';
      logger.info({ clusterId: identity.clusterId }, 'bootstrapped a new cluster');
    } else {
      identity = { clusterId: '', nodeId: opts.id, incarnation };
      await logStore.saveIdentity(identity);
      mode = 'joining';
    }
  } else {
    if (identity.nodeId !== opts.id) {
      throw new Error(`data directory ${opts.dataDir} belongs to node "${identity.nodeId}", not "${opts.id}"`);
    }
    if (opts.bootstrap) logger.info('ignoring -bootstrap: this node already has state (it never creates a second cluster)');
    mode = identity.clusterId === '' ? 'joining' : 'resumed';
  }

  const { start, snapshot, snapshotData } = await reconcile(log, snapshotStore, logger);
  if (snapshotData) stateMachine.restore(snapshotData);

  const core = new RaftCore(
    {
      id: opts.id,
      electionTicks: opts.raft.timing.electionTicks,
      heartbeatTicks: opts.raft.timing.heartbeatTicks,
      preVote: opts.raft.preVote,
      checkQuorum: opts.raft.checkQuorum,
      maxMsgBytes: opts.raft.maxMsgBytes,
      maxInflight: opts.raft.maxInflight,
      maxUncommittedBytes: opts.raft.maxUncommittedBytes,
      learnerCatchUpEntries: opts.raft.learnerCatchUpEntries,
      rng: { int: (n: number) => Math.floor(Math.random() * n) },
    },
    start,
  );
  let node: RaftNode<R> | null = null;
  const transport = new TcpTransport({
    listen: opts.raftListen ?? opts.raftAddress,
    ...(opts.raftBindOutbound !== undefined ? { localAddress: opts.raftBindOutbound } : {}),
    self: { id: opts.id, incarnation: identity.incarnation },
    clusterId: () => node?.clusterId ?? '',
    ...(opts.clusterToken ? { token: opts.clusterToken } : {}),
    logger,
  });
  await transport.start();
  node = new RaftNode<R>({
    identity,
    core,
    logStore,
    snapshotStore,
    transport,
    stateMachine,
    options: opts.raft,
    logger,
    observer,
    startSnapshot: snapshot,
    fatal,
  });
  node.start();
  if (mode === 'resumed') {
    logger.info({ clusterId: identity.clusterId, snapshot: snapshot?.index ?? 0, entries: start.entries.length, commit: start.hardState.commit }, 'resumed from the data directory');
  }
  return { node, mode };
}

export function selfMember(opts: Pick<BootOptions, 'id' | 'raftAddress' | 'httpAddress'>, incarnation: string): Omit<Member, 'role'> {
  return { id: opts.id, raftAddress: opts.raftAddress, httpAddress: opts.httpAddress, incarnation };
}

/** Entry 1 (term 1) holds the first membership; the identity, written last, marks the directory initialised. */
async function writeBootstrap(logStore: LogStore, identity: NodeIdentity, self: Member): Promise<StoredLog> {
  const first: Entry = { index: 1, term: 1, type: EntryType.Config, data: encodeMembership({ members: [self] }) };
  const hardState = { term: 1, vote: '', commit: 1 };
  await logStore.save(hardState, [first]);
  await logStore.saveIdentity(identity);
  return { identity, hardState, snapshot: null, entries: [first] };
}

/**
 * The newest snapshot file may be newer than the snapshot recorded in the log
 * store: a crash between writing a received snapshot and recording it. The file
 * is complete and verified, so start from it, keeping the log after it only if
 * the log agrees with it at its index.
 */
async function reconcile(
  log: StoredLog,
  snapshots: SnapshotStore,
  logger: Logger,
): Promise<{ start: CoreStartState; snapshot: SnapshotMeta | null; snapshotData: Uint8Array | null }> {
  const file = await snapshots.load();
  const recorded = log.snapshot;
  if (recorded && (!file || file.meta.index < recorded.index)) {
    throw new Error(`the log starts after snapshot ${recorded.index}, but no snapshot file at or after it exists`);
  }
  if (!file) return { start: { hardState: log.hardState, snapshot: null, entries: log.entries }, snapshot: null, snapshotData: null };
  let entries = log.entries.filter((e) => e.index > file.meta.index);
  const atSnapshot = log.entries.find((e) => e.index === file.meta.index);
  if (recorded?.index !== file.meta.index && atSnapshot !== undefined && atSnapshot.term !== file.meta.term) {
    logger.info({ index: file.meta.index }, 'log disagrees with the newest snapshot: starting from the snapshot alone');
    entries = [];
  }
  if (entries.length > 0 && entries[0]!.index !== file.meta.index + 1) entries = [];
  const lastIndex = entries.length > 0 ? entries[entries.length - 1]!.index : file.meta.index;
  const hardState = { ...log.hardState, commit: Math.min(Math.max(log.hardState.commit, file.meta.index), lastIndex) };
  return { start: { hardState, snapshot: file.meta, entries }, snapshot: file.meta, snapshotData: file.data };
}
