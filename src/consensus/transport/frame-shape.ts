// Checks that a decoded msgpack value really is a frame before anything else
// sees it: a peer (or anything that can reach the port) controls these bytes.
// Each check builds a fresh object so unknown fields are dropped and binary
// fields become plain Uint8Arrays that do not alias the socket's buffers.
import { EntryType, MessageType } from '../core/types.js';
import type { Entry, Member, MemberRole, Membership, Message, SnapshotMeta } from '../core/types.js';
import { FrameError } from './frame-error.js';
import type { Hello, PeerFrame, RaftFrame, SnapshotAck, SnapshotChunk } from './frames.js';

export type WireFrame = Hello | PeerFrame;

type Fields = Record<string, unknown>;

// A Record over the enum makes the compiler insist on every member.
const MESSAGE_TYPES: Readonly<Record<MessageType, true>> = {
  [MessageType.PreVote]: true,
  [MessageType.PreVoteResp]: true,
  [MessageType.Vote]: true,
  [MessageType.VoteResp]: true,
  [MessageType.App]: true,
  [MessageType.AppResp]: true,
  [MessageType.Heartbeat]: true,
  [MessageType.HeartbeatResp]: true,
  [MessageType.Snap]: true,
  [MessageType.TimeoutNow]: true,
  [MessageType.Prop]: true,
  [MessageType.ReadIndex]: true,
  [MessageType.ReadIndexResp]: true,
};

const ROLES: Readonly<Record<MemberRole, true>> = { voter: true, learner: true };

function fail(what: string): never {
  throw new FrameError(`invalid frame: ${what}`);
}

function record(v: unknown, what: string): Fields {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) fail(`${what} is not a map`);
  return v as Fields;
}

function str(o: Fields, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') fail(`${key} is not a string`);
  return v;
}

function uint(o: Fields, key: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`${key} is not a non-negative integer`);
  return v;
}

function bool(o: Fields, key: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') fail(`${key} is not a boolean`);
  return v;
}

function bytes(o: Fields, key: string): Uint8Array {
  const v = o[key];
  if (!(v instanceof Uint8Array)) fail(`${key} is not binary`);
  // Copy: the decoder hands out views of the receive buffer, which must not be pinned by stored entries.
  return new Uint8Array(v);
}

function array(o: Fields, key: string): readonly unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) fail(`${key} is not an array`);
  return v;
}

function entry(v: unknown): Entry {
  const o = record(v, 'entry');
  const type = o['type'];
  if (type !== EntryType.Normal && type !== EntryType.Config) fail('entry type is unknown');
  return { index: uint(o, 'index'), term: uint(o, 'term'), type, data: bytes(o, 'data') };
}

function member(v: unknown): Member {
  const o = record(v, 'member');
  const role = o['role'];
  if (typeof role !== 'string' || !Object.hasOwn(ROLES, role)) fail('member role is unknown');
  return {
    id: str(o, 'id'),
    role: role as MemberRole,
    raftAddress: str(o, 'raftAddress'),
    httpAddress: str(o, 'httpAddress'),
    incarnation: str(o, 'incarnation'),
  };
}

function membership(v: unknown): Membership {
  const o = record(v, 'membership');
  return { members: array(o, 'members').map(member) };
}

function snapshotMeta(v: unknown): SnapshotMeta {
  const o = record(v, 'snapshot meta');
  return { index: uint(o, 'index'), term: uint(o, 'term'), membership: membership(o['membership']) };
}

function message(v: unknown): Message {
  const o = record(v, 'message');
  const type = o['type'];
  if (typeof type !== 'string' || !Object.hasOwn(MESSAGE_TYPES, type)) fail('message type is unknown');
  const m: Message = {
    type: type as MessageType,
    from: str(o, 'from'),
    to: str(o, 'to'),
    term: uint(o, 'term'),
    index: uint(o, 'index'),
    logTerm: uint(o, 'logTerm'),
    entries: array(o, 'entries').map(entry),
    commit: uint(o, 'commit'),
    reject: bool(o, 'reject'),
    rejectHint: uint(o, 'rejectHint'),
    context: str(o, 'context'),
  };
  const snap = o['snapshot'];
  return snap === undefined || snap === null ? m : { ...m, snapshot: snapshotMeta(snap) };
}

function hello(o: Fields): Hello {
  const from = str(o, 'from');
  if (from === '') fail('hello without a node id');
  return {
    kind: 'hello',
    clusterId: str(o, 'clusterId'),
    from,
    incarnation: str(o, 'incarnation'),
    tokenDigest: str(o, 'tokenDigest'),
  };
}

function raft(o: Fields): RaftFrame {
  return { kind: 'raft', message: message(o['message']) };
}

function snapChunk(o: Fields): SnapshotChunk {
  return {
    kind: 'snap-chunk',
    from: str(o, 'from'),
    term: uint(o, 'term'),
    meta: snapshotMeta(o['meta']),
    size: uint(o, 'size'),
    offset: uint(o, 'offset'),
    data: bytes(o, 'data'),
    done: bool(o, 'done'),
  };
}

function snapAck(o: Fields): SnapshotAck {
  return {
    kind: 'snap-ack',
    from: str(o, 'from'),
    term: uint(o, 'term'),
    snapshotIndex: uint(o, 'snapshotIndex'),
    nextOffset: uint(o, 'nextOffset'),
    installed: bool(o, 'installed'),
    failed: bool(o, 'failed'),
  };
}

/** The frame `raw` describes; throws FrameError when it is not exactly one. */
export function parseWireFrame(raw: unknown): WireFrame {
  const o = record(raw, 'frame');
  switch (o['kind']) {
    case 'raft':
      return raft(o);
    case 'hello':
      return hello(o);
    case 'snap-chunk':
      return snapChunk(o);
    case 'snap-ack':
      return snapAck(o);
    default:
      return fail('unknown kind');
  }
}

/** The node id a peer frame claims to come from. */
export function frameSender(frame: PeerFrame): string {
  return frame.kind === 'raft' ? frame.message.from : frame.from;
}
