// Metadata records of the log store (hard state, identity, snapshot metadata):
// value = crc32 (over key + payload) | payload.
import { pack, unpack } from 'msgpackr';
import type { HardState, SnapshotMeta } from '../consensus/core/types.js';
import { crc32Of } from './crc.js';
import { errorMessage } from './fs-util.js';
import { describeKey, hex32 } from './entry-codec.js';
import { plainSnapshotMeta, toNodeIdentity, toSnapshotMeta } from './shape.js';
import { CorruptionError, type NodeIdentity } from './types.js';
import { readUint53, writeUint53 } from './uint53.js';

export const HARD_STATE_KEY = Buffer.from('mh');
export const IDENTITY_KEY = Buffer.from('mi');
export const SNAPSHOT_KEY = Buffer.from('ms');

export const EMPTY_HARD_STATE: HardState = { term: 0, vote: '', commit: 0 };

function seal(key: Buffer, payload: Uint8Array): Buffer {
  const value = Buffer.allocUnsafe(4 + payload.length);
  value.set(payload, 4);
  value.writeUInt32BE(crc32Of(key, payload), 0);
  return value;
}

function open(key: Buffer, value: Buffer, what: string): Buffer {
  const where = `${what} (key ${describeKey(key)})`;
  if (value.length < 4) throw new CorruptionError(`${where}: record is ${value.length} bytes, too short for its checksum`);
  const payload = value.subarray(4);
  const stored = value.readUInt32BE(0);
  const computed = crc32Of(key, payload);
  if (stored !== computed) {
    throw new CorruptionError(`${where}: checksum mismatch (stored ${hex32(stored)}, computed ${hex32(computed)})`);
  }
  return payload;
}

function unpackOrCorrupt(payload: Buffer, what: string): unknown {
  try {
    const decoded: unknown = unpack(payload);
    return decoded;
  } catch (err) {
    throw new CorruptionError(`${what}: undecodable payload (${errorMessage(err)})`);
  }
}

export function encodeHardState(hs: HardState): Buffer {
  const vote = Buffer.from(hs.vote, 'utf8');
  const payload = Buffer.allocUnsafe(16 + vote.length);
  writeUint53(payload, 0, hs.term);
  writeUint53(payload, 8, hs.commit);
  payload.set(vote, 16);
  return seal(HARD_STATE_KEY, payload);
}

export function decodeHardState(value: Buffer): HardState {
  const payload = open(HARD_STATE_KEY, value, 'hard state');
  if (payload.length < 16) throw new CorruptionError(`hard state: payload is ${payload.length} bytes, expected ≥ 16`);
  const term = readUint53(payload, 0);
  const commit = readUint53(payload, 8);
  if (term === null || commit === null) throw new CorruptionError('hard state: term or commit out of range');
  return { term, commit, vote: payload.subarray(16).toString('utf8') };
}

export function encodeIdentity(identity: NodeIdentity): Buffer {
  const plain = { clusterId: identity.clusterId, nodeId: identity.nodeId, incarnation: identity.incarnation };
  return seal(IDENTITY_KEY, pack(plain));
}

export function decodeIdentity(value: Buffer): NodeIdentity {
  const decoded = unpackOrCorrupt(open(IDENTITY_KEY, value, 'identity'), 'identity');
  const identity = toNodeIdentity(decoded);
  if (identity === null) throw new CorruptionError('identity: payload does not have the shape of a node identity');
  return identity;
}

export function encodeSnapshotMeta(meta: SnapshotMeta): Buffer {
  return seal(SNAPSHOT_KEY, pack(plainSnapshotMeta(meta)));
}

export function decodeSnapshotMeta(value: Buffer): SnapshotMeta {
  const decoded = unpackOrCorrupt(open(SNAPSHOT_KEY, value, 'snapshot metadata'), 'snapshot metadata');
  const meta = toSnapshotMeta(decoded);
  if (meta === null) throw new CorruptionError('snapshot metadata: payload does not have the shape of a snapshot meta');
  return meta;
}
