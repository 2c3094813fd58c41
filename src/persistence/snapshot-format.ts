// Snapshot file layout:
//   "R3DSNAP1" | header length u32 | header (msgpack SnapshotMeta) | payload length (8) | payload | crc32
// The CRC covers every byte before it. A streamed copy is verified the same way.
import { pack, unpack } from 'msgpackr';
import type { SnapshotMeta } from '../consensus/core/types.js';
import { crc32Of } from './crc.js';
import { errorMessage } from './fs-util.js';
import { hex32 } from './entry-codec.js';
import { plainSnapshotMeta, toSnapshotMeta } from './shape.js';
import { CorruptionError } from './types.js';
import { readUint53, writeUint53 } from './uint53.js';

export const SNAPSHOT_MAGIC = Buffer.from('R3DSNAP1', 'latin1');
/** Magic + header length: what must be read before the header length is known. */
export const PREAMBLE_LENGTH = SNAPSHOT_MAGIC.length + 4;
/** Bytes of a file besides header and payload: magic, both lengths, CRC. */
export const FRAME_OVERHEAD = PREAMBLE_LENGTH + 8 + 4;

export interface SnapshotLayout {
  readonly meta: SnapshotMeta;
  /** Offset of the payload in the file. */
  readonly payloadOffset: number;
  readonly payloadLength: number;
}

/** Everything in front of the payload. */
export function encodeSnapshotHead(meta: SnapshotMeta, payloadLength: number): Buffer {
  const header = pack(plainSnapshotMeta(meta));
  const head = Buffer.allocUnsafe(PREAMBLE_LENGTH + header.length + 8);
  SNAPSHOT_MAGIC.copy(head, 0);
  head.writeUInt32BE(header.length, SNAPSHOT_MAGIC.length);
  head.set(header, PREAMBLE_LENGTH);
  writeUint53(head, PREAMBLE_LENGTH + header.length, payloadLength);
  return head;
}

export function encodeCrc(head: Uint8Array, payload: Uint8Array): Buffer {
  const trailer = Buffer.allocUnsafe(4);
  trailer.writeUInt32BE(crc32Of(head, payload), 0);
  return trailer;
}

/**
 * Checks magic and lengths against the file size, then decodes the header.
 * `prefix` must cover the header and the payload length (see headPrefixLength);
 * `beforeHeader` runs once the frame is known to be sound (the CRC check of a whole file).
 */
export function parseSnapshotHead(prefix: Buffer, fileSize: number, name: string, beforeHeader?: () => void): SnapshotLayout {
  if (fileSize < FRAME_OVERHEAD) {
    throw new CorruptionError(`snapshot ${name}: truncated, ${fileSize} bytes is smaller than the ${FRAME_OVERHEAD}-byte frame`);
  }
  const magic = prefix.subarray(0, SNAPSHOT_MAGIC.length);
  if (!magic.equals(SNAPSHOT_MAGIC)) {
    throw new CorruptionError(
      `snapshot ${name}: wrong magic (expected ${SNAPSHOT_MAGIC.toString('hex')}, found ${magic.toString('hex')})`,
    );
  }
  const headerLength = prefix.readUInt32BE(SNAPSHOT_MAGIC.length);
  if (headerLength > fileSize - FRAME_OVERHEAD) {
    throw new CorruptionError(
      `snapshot ${name}: truncated or damaged, header length ${headerLength} exceeds the ${fileSize}-byte file`,
    );
  }
  if (prefix.length < PREAMBLE_LENGTH + headerLength + 8) {
    throw new RangeError(`snapshot ${name}: prefix of ${prefix.length} bytes does not cover the header`);
  }
  const payloadLength = readUint53(prefix, PREAMBLE_LENGTH + headerLength);
  const expected = payloadLength === null ? null : FRAME_OVERHEAD + headerLength + payloadLength;
  if (expected !== fileSize) {
    throw new CorruptionError(
      `snapshot ${name}: truncated or damaged, lengths say ${expected ?? 'an impossible size'} bytes but the file has ${fileSize}`,
    );
  }
  beforeHeader?.();
  let decoded: unknown;
  try {
    decoded = unpack(prefix.subarray(PREAMBLE_LENGTH, PREAMBLE_LENGTH + headerLength));
  } catch (err) {
    throw new CorruptionError(`snapshot ${name}: undecodable header (${errorMessage(err)})`);
  }
  const meta = toSnapshotMeta(decoded);
  if (meta === null) throw new CorruptionError(`snapshot ${name}: header is not a snapshot meta`);
  return { meta, payloadOffset: PREAMBLE_LENGTH + headerLength + 8, payloadLength: fileSize - FRAME_OVERHEAD - headerLength };
}

/** Bytes of the file that parseSnapshotHead needs, given at least the preamble. */
export function headPrefixLength(preamble: Buffer): number {
  return PREAMBLE_LENGTH + preamble.readUInt32BE(SNAPSHOT_MAGIC.length) + 8;
}

/** Full verification of a whole file held in memory; returns the meta and a view of the payload. */
export function parseSnapshotFile(bytes: Buffer, name: string): { meta: SnapshotMeta; data: Uint8Array } {
  const layout = parseSnapshotHead(bytes, bytes.length, name, () => verifyCrc(bytes, name));
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset + layout.payloadOffset, layout.payloadLength);
  return { meta: layout.meta, data };
}

function verifyCrc(bytes: Buffer, name: string): void {
  const end = bytes.length - 4;
  const stored = bytes.readUInt32BE(end);
  const computed = crc32Of(bytes.subarray(0, end));
  if (stored !== computed) {
    throw new CorruptionError(`snapshot ${name}: checksum mismatch (stored ${hex32(stored)}, computed ${hex32(computed)})`);
  }
}
