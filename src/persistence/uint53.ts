// Raft indexes and terms are JavaScript numbers; on disk they take 8 big-endian
// bytes so that keys sort by index and values stay fixed-width.
const TWO_32 = 0x1_0000_0000;
/** Largest high word of a safe integer (2^53 − 1 >> 32). */
const MAX_HIGH = 0x1f_ffff;

export function writeUint53(buf: Buffer, offset: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`not a non-negative safe integer: ${value}`);
  }
  buf.writeUInt32BE(Math.floor(value / TWO_32), offset);
  buf.writeUInt32BE(value >>> 0, offset + 4);
}

/** null when the 8 bytes do not hold a safe integer (only possible on damaged data). */
export function readUint53(buf: Buffer, offset: number): number | null {
  const high = buf.readUInt32BE(offset);
  if (high > MAX_HIGH) return null;
  return high * TWO_32 + buf.readUInt32BE(offset + 4);
}
