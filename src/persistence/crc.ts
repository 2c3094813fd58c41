import { crc32 } from 'node:zlib';

/** CRC32 over the concatenation of `parts`, without copying them into one buffer. */
export function crc32Of(...parts: readonly Uint8Array[]): number {
  let value = 0;
  for (const part of parts) value = crc32(part, value);
  return value >>> 0;
}
