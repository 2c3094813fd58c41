// The event trace of one run: a running 64-bit FNV-1a hash over every line
// (same seed, same hash: the determinism self-check), and the lines themselves
// for the NDJSON artifact of a failed run.

const imul = Math.imul;

export interface TraceLine {
  readonly t: number;
  readonly e: string;
}

export class Trace {
  private h1 = 0x811c9dc5;
  private h2 = 0x050c5d1f;
  private readonly lines: TraceLine[] = [];
  count = 0;

  constructor(private readonly keepLines: boolean) {}

  add(time: number, text: string): void {
    this.count++;
    let h1 = imul(this.h1 ^ time, 0x01000193);
    let h2 = imul(this.h2 ^ time, 0x01000193);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = imul(h1 ^ c, 0x01000193);
      h2 = imul(h2 ^ c, 0x0100019d);
    }
    this.h1 = h1;
    this.h2 = h2;
    if (this.keepLines) this.lines.push({ t: time, e: text });
  }

  hash(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, '0') + (this.h2 >>> 0).toString(16).padStart(8, '0');
  }

  all(): readonly TraceLine[] {
    return this.lines;
  }
}
