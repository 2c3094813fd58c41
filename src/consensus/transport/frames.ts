// What travels between Raft3D nodes on the -raft address.
import type { Message, NodeId, SnapshotMeta } from '../core/types.js';

/** First frame on every connection: who is calling, and proof it belongs to the cluster. */
export interface Hello {
  readonly kind: 'hello';
  readonly clusterId: string;
  readonly from: NodeId;
  readonly incarnation: string;
  /** SHA-256 of the cluster token, hex; '' when no token is configured. */
  readonly tokenDigest: string;
}

export interface RaftFrame {
  readonly kind: 'raft';
  readonly message: Message;
}

/** One chunk of a snapshot file streamed by the leader (InstallSnapshot). */
export interface SnapshotChunk {
  readonly kind: 'snap-chunk';
  readonly from: NodeId;
  readonly term: number;
  readonly meta: SnapshotMeta;
  /** Total file size in bytes. */
  readonly size: number;
  readonly offset: number;
  readonly data: Uint8Array;
  /** Set on the last chunk. */
  readonly done: boolean;
}

/** Follower → leader: the offset the follower expects next (0 restarts the transfer), or failure. */
export interface SnapshotAck {
  readonly kind: 'snap-ack';
  readonly from: NodeId;
  readonly term: number;
  readonly snapshotIndex: number;
  readonly nextOffset: number;
  /** The file was complete, verified and handed to the core. */
  readonly installed: boolean;
  readonly failed: boolean;
}

export type PeerFrame = RaftFrame | SnapshotChunk | SnapshotAck;
