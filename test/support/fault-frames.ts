// Splits a stream of length-prefixed frames (4-byte big-endian body length,
// then the body) into the byte ranges to pass on, dropping whole frames.
// Dropping arbitrary bytes would desynchronise the receiver's decoder; whole
// frames vanish the way lost messages do. The keep/drop decision is taken as
// soon as a header is complete, so large frames stream through unbuffered.

export interface DirectionStats {
  bytesForwarded: number;
  bytesDropped: number;
  framesForwarded: number;
  framesDropped: number;
}

export function emptyDirectionStats(): DirectionStats {
  return { bytesForwarded: 0, bytesDropped: 0, framesForwarded: 0, framesDropped: 0 };
}

const HEADER_BYTES = 4;

export class FrameSplitter {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerHave = 0;
  private inBody = false;
  private bodyLeft = 0;
  private keep = true;
  private frames = 0;

  /** `keepFrame(i)` decides the fate of the i-th frame (0-based) of the stream. */
  constructor(
    private readonly keepFrame: (index: number) => boolean,
    private readonly counters: DirectionStats,
  ) {}

  /** The parts of `chunk` to forward, in order (slices of it where possible). */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let runStart = -1;
    const endRun = (at: number): void => {
      if (runStart >= 0 && at > runStart) out.push(chunk.subarray(runStart, at));
      runStart = -1;
    };
    let pos = 0;
    while (pos < chunk.length) {
      if (this.inBody) {
        const n = Math.min(this.bodyLeft, chunk.length - pos);
        if (this.keep) {
          if (runStart < 0) runStart = pos;
          this.counters.bytesForwarded += n;
        } else {
          endRun(pos);
          this.counters.bytesDropped += n;
        }
        pos += n;
        this.bodyLeft -= n;
        if (this.bodyLeft === 0) this.endFrame();
        continue;
      }
      const headerStart = pos;
      // Header bytes from an earlier chunk were held back: their fate was unknown.
      const continued = this.headerHave > 0;
      const n = Math.min(HEADER_BYTES - this.headerHave, chunk.length - pos);
      chunk.copy(this.header, this.headerHave, pos, pos + n);
      this.headerHave += n;
      pos += n;
      if (this.headerHave < HEADER_BYTES) {
        endRun(headerStart);
        break;
      }
      this.headerHave = 0;
      this.keep = this.keepFrame(this.frames);
      this.bodyLeft = this.header.readUInt32BE(0);
      this.inBody = true;
      if (this.keep) {
        this.counters.bytesForwarded += HEADER_BYTES;
        if (continued) {
          endRun(headerStart);
          out.push(Buffer.from(this.header));
          runStart = pos;
        } else if (runStart < 0) {
          runStart = headerStart;
        }
      } else {
        this.counters.bytesDropped += HEADER_BYTES;
        endRun(headerStart);
      }
      if (this.bodyLeft === 0) this.endFrame();
    }
    endRun(chunk.length);
    return out;
  }

  private endFrame(): void {
    this.inBody = false;
    this.frames++;
    if (this.keep) this.counters.framesForwarded++;
    else this.counters.framesDropped++;
  }
}
