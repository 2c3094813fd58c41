// fast-check generators for every frame kind, shared by the transport tests.
import fc from 'fast-check';
import { MAX_TERM } from '../../../src/consensus/transport/frame-layout.js';
import type { Entry, Member, Message, MessageType, SnapshotMeta } from '../../../src/consensus/core/types.js';
import type { Hello, PeerFrame, RaftFrame, SnapshotAck, SnapshotChunk } from '../../../src/consensus/transport/frames.js';

export const MESSAGE_TYPES = [
  'PreVote',
  'PreVoteResp',
  'Vote',
  'VoteResp',
  'App',
  'AppResp',
  'Heartbeat',
  'HeartbeatResp',
  'Snap',
  'TimeoutNow',
  'Prop',
  'ReadIndex',
  'ReadIndexResp',
] as unknown as readonly MessageType[];

const nat = fc.maxSafeNat();
/** Terms the codec accepts (it refuses forged terms beyond MAX_TERM). */
const termNat = fc.integer({ min: 0, max: MAX_TERM });
// Frames built by the runtime are ordinary objects.
const plain = { noNullPrototype: true } as const;
const id = fc.string({ maxLength: 12 });

export const entryArb: fc.Arbitrary<Entry> = fc.record({
  index: nat,
  term: termNat,
  type: fc.constantFrom(0, 1),
  data: fc.uint8Array({ maxLength: 64 }),
}, plain);

const memberArb: fc.Arbitrary<Member> = fc.record({
  id,
  role: fc.constantFrom('voter' as const, 'learner' as const),
  raftAddress: fc.string(),
  httpAddress: fc.string(),
  incarnation: fc.uuid(),
}, plain);

export const snapshotMetaArb: fc.Arbitrary<SnapshotMeta> = fc.record({
  index: nat,
  term: termNat,
  membership: fc.record({ members: fc.array(memberArb, { maxLength: 5 }) }, plain),
}, plain);

export const messageArb: fc.Arbitrary<Message> = fc.record(
  {
    type: fc.constantFrom(...MESSAGE_TYPES),
    from: id,
    to: id,
    term: termNat,
    index: nat,
    logTerm: termNat,
    entries: fc.array(entryArb, { maxLength: 5 }),
    commit: nat,
    reject: fc.boolean(),
    rejectHint: nat,
    snapshot: snapshotMetaArb,
    context: fc.string(),
  },
  { ...plain, requiredKeys: ['type', 'from', 'to', 'term', 'index', 'logTerm', 'entries', 'commit', 'reject', 'rejectHint', 'context'] },
);

export const helloArb: fc.Arbitrary<Hello> = fc.record({
  kind: fc.constant('hello' as const),
  clusterId: fc.string(),
  from: fc.string({ minLength: 1, maxLength: 12 }),
  incarnation: fc.uuid(),
  tokenDigest: fc.string(),
}, plain);

export const raftFrameArb: fc.Arbitrary<RaftFrame> = fc.record({ kind: fc.constant('raft' as const), message: messageArb }, plain);

export const snapChunkArb: fc.Arbitrary<SnapshotChunk> = fc.record({
  kind: fc.constant('snap-chunk' as const),
  from: id,
  term: nat,
  meta: snapshotMetaArb,
  size: nat,
  offset: nat,
  data: fc.uint8Array({ maxLength: 4096 }),
  done: fc.boolean(),
}, plain);

export const snapAckArb: fc.Arbitrary<SnapshotAck> = fc.record({
  kind: fc.constant('snap-ack' as const),
  from: id,
  term: nat,
  snapshotIndex: nat,
  nextOffset: nat,
  installed: fc.boolean(),
  failed: fc.boolean(),
}, plain);

export const peerFrameArb: fc.Arbitrary<PeerFrame> = fc.oneof(raftFrameArb, snapChunkArb, snapAckArb);
