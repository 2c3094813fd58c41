// Wire format of a peer connection: a 4-byte big-endian body length, then the
// msgpack body (laid out as in frame-layout.ts). Records stay off so every
// frame decodes on its own, whatever the connection saw before.
import { Packr } from 'msgpackr';
import { FrameError } from './frame-error.js';
import { frameFromWire, frameToWire } from './frame-layout.js';
import type { WireFrame } from './frame-layout.js';

export { FrameError } from './frame-error.js';
export type { WireFrame } from './frame-layout.js';

export const FRAME_HEADER_BYTES = 4;
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

const packr = new Packr({ useRecords: false });

/** Header and body of one frame, in one buffer ready for the socket. */
export function encodeFrame(frame: WireFrame): Buffer {
  const body = packr.pack(frameToWire(frame));
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, FRAME_HEADER_BYTES);
  return out;
}

/** Decodes and validates one frame body (without its length header). */
export function decodeFrameBody(body: Uint8Array): WireFrame {
  let raw: unknown;
  try {
    raw = packr.unpack(body);
  } catch (err) {
    throw new FrameError(`undecodable frame: ${err instanceof Error ? err.message : String(err)}`);
  }
  return frameFromWire(raw);
}

/**
 * Reassembles frames from TCP chunks, which may split a frame anywhere or
 * carry many of them. Bytes are copied at most once (only when a frame spans
 * chunks), so the cost stays linear in the bytes received.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  /** Read position inside chunks[0]: consumed bytes are skipped, not sliced off. */
  private offset = 0;
  private buffered = 0;
  /** Body length of the frame being assembled, or -1 while its header is incomplete. */
  private bodyLength = -1;
  private closed = false;

  constructor(private maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {}

  /** Changes the largest accepted frame (an inbound link raises it once the peer said hello). */
  setMaxFrameBytes(bytes: number): void {
    this.maxFrameBytes = bytes;
  }

  /** Bytes received but not yet part of a delivered frame. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Feeds received bytes; calls `onFrame` for each frame they complete, in order.
   * Throws FrameError at the first bad frame (frames before it were delivered);
   * the decoder then stays closed.
   */
  push(chunk: Buffer, onFrame: (frame: WireFrame) => void): void {
    if (this.closed || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    try {
      while (!this.closed) {
        if (this.bodyLength < 0) {
          if (this.buffered < FRAME_HEADER_BYTES) return;
          const length = this.readHeader();
          if (length === 0) throw new FrameError('empty frame');
          if (length > this.maxFrameBytes) throw new FrameError(`frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`);
          this.bodyLength = length;
        }
        if (this.buffered < this.bodyLength) return;
        const body = this.take(this.bodyLength);
        this.bodyLength = -1;
        onFrame(decodeFrameBody(body));
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Drops buffered bytes; later pushes are ignored. */
  close(): void {
    this.closed = true;
    this.chunks = [];
    this.offset = 0;
    this.buffered = 0;
  }

  private readHeader(): number {
    const first = this.chunks[0] as Buffer;
    if (first.length - this.offset < FRAME_HEADER_BYTES) return this.take(FRAME_HEADER_BYTES).readUInt32BE(0);
    const length = first.readUInt32BE(this.offset);
    this.advance(first, FRAME_HEADER_BYTES);
    return length;
  }

  private advance(first: Buffer, n: number): void {
    this.buffered -= n;
    this.offset += n;
    if (this.offset === first.length) {
      this.chunks.shift();
      this.offset = 0;
    }
  }

  /** The next `n` buffered bytes: a view when they lie in one chunk, else one copy. */
  private take(n: number): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.length - this.offset >= n) {
      const view = first.subarray(this.offset, this.offset + n);
      this.advance(first, n);
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let used = 0;
    let from = this.offset;
    while (filled < n) {
      const c = this.chunks[used] as Buffer;
      const part = Math.min(c.length - from, n - filled);
      c.copy(out, filled, from, from + part);
      filled += part;
      if (from + part === c.length) {
        used++;
        from = 0;
      } else {
        from += part;
      }
    }
    this.chunks.splice(0, used);
    this.offset = from;
    this.buffered -= n;
    return out;
  }
}
