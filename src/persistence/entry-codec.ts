// On-disk form of a log entry. Key: 'e' + 8-byte big-endian index, so LevelDB
// iterates entries in index order. Value: crc32 | term (8) | type (1) | data.
// The CRC covers the key too, so an entry copied under another index is caught.
import { EntryType, type Entry } from '../consensus/core/types.js';
import { crc32Of } from './crc.js';
import { CorruptionError } from './types.js';
import { readUint53, writeUint53 } from './uint53.js';

export const ENTRY_PREFIX = 0x65; // 'e'
const KEY_LENGTH = 9;
const HEADER_LENGTH = 13;

/** Bounds of an iterator over every entry key. */
export const ENTRY_RANGE = { gte: Buffer.from([ENTRY_PREFIX]), lt: Buffer.from([ENTRY_PREFIX + 1]) } as const;

export function entryKey(index: number): Buffer {
  const key = Buffer.allocUnsafe(KEY_LENGTH);
  key[0] = ENTRY_PREFIX;
  writeUint53(key, 1, index);
  return key;
}

export function describeKey(key: Uint8Array): string {
  return Buffer.from(key).toString('hex');
}

/** Index stored in an entry key; CorruptionError when the key is malformed. */
export function entryKeyIndex(key: Buffer): number {
  const index = key.length === KEY_LENGTH ? readUint53(key, 1) : null;
  if (index === null || index === 0) {
    throw new CorruptionError(`malformed entry key ${describeKey(key)}`);
  }
  return index;
}

export function encodeEntryValue(key: Buffer, entry: Entry): Buffer {
  const value = Buffer.allocUnsafe(HEADER_LENGTH + entry.data.length);
  writeUint53(value, 4, entry.term);
  value[12] = entry.type;
  value.set(entry.data, HEADER_LENGTH);
  value.writeUInt32BE(crc32Of(key, value.subarray(4)), 0);
  return value;
}

export function decodeEntryValue(key: Buffer, value: Buffer): Entry {
  const index = entryKeyIndex(key);
  const where = `entry ${index} (key ${describeKey(key)})`;
  if (value.length < HEADER_LENGTH) {
    throw new CorruptionError(`${where}: record is ${value.length} bytes, shorter than its ${HEADER_LENGTH}-byte header`);
  }
  const stored = value.readUInt32BE(0);
  const computed = crc32Of(key, value.subarray(4));
  if (stored !== computed) {
    throw new CorruptionError(`${where}: checksum mismatch (stored ${hex32(stored)}, computed ${hex32(computed)})`);
  }
  const term = readUint53(value, 4);
  if (term === null) throw new CorruptionError(`${where}: term out of range`);
  const rawType = value[12];
  if (rawType !== EntryType.Normal && rawType !== EntryType.Config) {
    throw new CorruptionError(`${where}: unknown entry type ${rawType}`);
  }
  const type = rawType === EntryType.Config ? EntryType.Config : EntryType.Normal;
  const data = new Uint8Array(value.buffer, value.byteOffset + HEADER_LENGTH, value.length - HEADER_LENGTH);
  return { index, term, type, data };
}

export function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
