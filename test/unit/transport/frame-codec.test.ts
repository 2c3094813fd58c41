import { describe, test, expect } from '@jest/globals';
import { MAX_TERM } from '../../../src/consensus/transport/frame-layout.js';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import {
  DEFAULT_MAX_FRAME_BYTES,
  FrameDecoder,
  FrameError,
  decodeFrameBody,
  encodeFrame,
} from '../../../src/consensus/transport/frame-codec.js';
import type { WireFrame } from '../../../src/consensus/transport/frame-codec.js';
import type { Message } from '../../../src/consensus/core/types.js';
import { frameToWire } from '../../../src/consensus/transport/frame-layout.js';
import { MESSAGE_TYPES, helloArb, peerFrameArb, raftFrameArb, snapAckArb, snapChunkArb } from './arbitraries.js';

const rawPackr = new Packr({ useRecords: false });

function frameOf(value: unknown): Buffer {
  const body = rawPackr.pack(value);
  const out = Buffer.alloc(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

function decodeAll(chunks: readonly Buffer[], max?: number): WireFrame[] {
  const d = new FrameDecoder(max);
  const out: WireFrame[] = [];
  for (const c of chunks) d.push(c, (f) => out.push(f));
  return out;
}

/** Every Uint8Array in a decoded frame is a plain one with its own memory. */
function binaries(frame: WireFrame): Uint8Array[] {
  if (frame.kind === 'snap-chunk') return [frame.data];
  if (frame.kind === 'raft') return frame.message.entries.map((e) => e.data);
  return [];
}

const heartbeat: Message = {
  type: 'Heartbeat' as Message['type'],
  from: 'a',
  to: 'b',
  term: 3,
  index: 0,
  logTerm: 0,
  entries: [],
  commit: 7,
  reject: false,
  rejectHint: 0,
  context: 'ctx',
};

describe('frame codec round trip', () => {
  test.each([
    ['hello', helloArb],
    ['raft', raftFrameArb],
    ['snap-chunk', snapChunkArb],
    ['snap-ack', snapAckArb],
  ] as const)('%s frames decode to exactly what was encoded', (_kind, arb) => {
    fc.assert(
      fc.property(arb as fc.Arbitrary<WireFrame>, (frame) => {
        const bytes = encodeFrame(frame);
        expect(bytes.readUInt32BE(0)).toBe(bytes.length - 4);
        const decoded = decodeFrameBody(bytes.subarray(4));
        expect(decoded).toStrictEqual(frame);
        for (const b of binaries(decoded)) expect(Object.getPrototypeOf(b)).toBe(Uint8Array.prototype);
      }),
      { numRuns: 200 },
    );
  });

  test('every message type string survives', () => {
    for (const type of MESSAGE_TYPES) {
      const frame: WireFrame = { kind: 'raft', message: { ...heartbeat, type } };
      expect(decodeFrameBody(encodeFrame(frame).subarray(4))).toStrictEqual(frame);
    }
  });

  test('decoded binary fields do not alias the received bytes', () => {
    const frame: WireFrame = {
      kind: 'raft',
      message: { ...heartbeat, type: 'App' as Message['type'], entries: [{ index: 1, term: 1, type: 0, data: Uint8Array.of(1, 2, 3) }] },
    };
    const bytes = encodeFrame(frame);
    const decoded = decodeFrameBody(bytes.subarray(4));
    bytes.fill(0);
    expect(decoded).toStrictEqual(frame);
  });

  test('frames are compact: a heartbeat body stays under 40 bytes', () => {
    expect(encodeFrame({ kind: 'raft', message: heartbeat }).length).toBeLessThan(40);
  });
});

describe('frame decoder streaming', () => {
  test('frames split anywhere or coalesced come out whole and in order', () => {
    fc.assert(
      fc.property(fc.array(peerFrameArb, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (frames, cuts) => {
        const all = Buffer.concat(frames.map((f) => encodeFrame(f)));
        const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let prev = 0;
        for (const p of [...points, all.length]) {
          chunks.push(all.subarray(prev, p));
          prev = p;
        }
        expect(decodeAll(chunks)).toStrictEqual(frames);
      }),
      { numRuns: 150 },
    );
  });

  test('a 512 KiB frame fed one byte at a time decodes in linear time', () => {
    const data = new Uint8Array(512 * 1024).map((_, i) => i % 251);
    const frame: WireFrame = { kind: 'snap-chunk', from: 'a', term: 1, meta: { index: 1, term: 1, membership: { members: [] } }, size: data.length, offset: 0, data, done: true };
    const bytes = encodeFrame(frame);
    const d = new FrameDecoder();
    const out: WireFrame[] = [];
    const started = Date.now();
    for (let i = 0; i < bytes.length; i++) d.push(bytes.subarray(i, i + 1), (f) => out.push(f));
    // Quadratic re-copying would move ~7·10^10 bytes here; linear work takes well under a second.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(out).toStrictEqual([frame]);
    expect(d.bufferedBytes).toBe(0);
  });

  test('an oversized length is refused from the header alone, and the decoder stays closed', () => {
    const d = new FrameDecoder(1000);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1001, 0);
    expect(() => d.push(header, () => undefined)).toThrow(FrameError);
    const seen: WireFrame[] = [];
    d.push(encodeFrame({ kind: 'raft', message: heartbeat }), (f) => seen.push(f));
    expect(seen).toEqual([]);
    expect(d.bufferedBytes).toBe(0);
  });

  test('the default limit is 64 MiB', () => {
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(64 * 1024 * 1024);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(DEFAULT_MAX_FRAME_BYTES + 1, 0);
    expect(() => new FrameDecoder().push(header, () => undefined)).toThrow(/exceeds/);
    header.writeUInt32BE(DEFAULT_MAX_FRAME_BYTES, 0);
    expect(() => new FrameDecoder().push(header, () => undefined)).not.toThrow();
  });

  test('a zero-length frame is an error', () => {
    expect(() => decodeAll([Buffer.alloc(4)])).toThrow(FrameError);
  });

  test('frames before a bad one in the same chunk are still delivered', () => {
    const good = encodeFrame({ kind: 'raft', message: heartbeat });
    const bad = frameOf({ kind: 'raft', message: { ...heartbeat, term: -1 } });
    const d = new FrameDecoder();
    const out: WireFrame[] = [];
    expect(() => d.push(Buffer.concat([good, good, bad, good]), (f) => out.push(f))).toThrow(FrameError);
    expect(out).toHaveLength(2);
  });
});

describe('frame validation', () => {
  const meta = { index: 1, term: 1, membership: { members: [{ id: 'a', role: 'voter' as const, raftAddress: 'a:1', httpAddress: 'a:2', incarnation: 'i' }] } };
  const app: WireFrame = {
    kind: 'raft',
    message: { ...heartbeat, type: 'App' as Message['type'], entries: [{ index: 1, term: 1, type: 0, data: Uint8Array.of(1) }], snapshot: meta },
  };
  const chunk: WireFrame = { kind: 'snap-chunk', from: 'a', term: 1, meta, size: 1, offset: 0, data: Uint8Array.of(1), done: true };
  const ack: WireFrame = { kind: 'snap-ack', from: 'a', term: 1, snapshotIndex: 1, nextOffset: 0, installed: false, failed: false };
  const hello: WireFrame = { kind: 'hello', clusterId: 'c', from: 'a', incarnation: 'i', tokenDigest: '' };
  /** The wire tuple of `frame` with `edit` applied. */
  const edited = (frame: WireFrame, edit: (w: unknown[]) => void): unknown[] => {
    const w = structuredClone(frameToWire(frame));
    edit(w);
    return w;
  };
  const bad: Array<[string, unknown]> = [
    ['not an array', { kind: 'raft' }],
    ['a number', 42],
    ['an unknown tag', edited(hello, (w) => (w[0] = 9))],
    ['a string tag', edited(hello, (w) => (w[0] = 'raft'))],
    ['a tuple too short', edited(app, (w) => w.pop())],
    ['a tuple too long', edited(ack, (w) => w.push(0))],
    ['an unknown message type', edited(app, (w) => (w[1] = 'Gossip'))],
    ['a string term', edited(app, (w) => (w[4] = '3'))],
    ['a forged term beyond MAX_TERM', edited(app, (w) => (w[4] = MAX_TERM + 1))],
    ['a negative index', edited(app, (w) => (w[5] = -1))],
    ['a fractional commit', edited(app, (w) => (w[8] = 1.5))],
    ['a 64-bit integer', edited(app, (w) => (w[4] = 2n ** 60n))],
    ['a numeric reject', edited(app, (w) => (w[9] = 0))],
    ['entries not an array', edited(app, (w) => (w[7] = {}))],
    ['entries cut short', edited(app, (w) => (w[7] as unknown[]).pop())],
    ['entry data as a string', edited(app, (w) => ((w[7] as unknown[])[3] = 'x'))],
    ['an unknown entry type', edited(app, (w) => ((w[7] as unknown[])[2] = 7))],
    ['a snapshot member with an unknown role', edited(app, (w) => (((w[12] as unknown[])[2] as unknown[][])[0]![1] = 'boss'))],
    ['a snapshot without members', edited(app, (w) => ((w[12] as unknown[])[2] = null))],
    ['a hello without node id', edited(hello, (w) => (w[2] = ''))],
    ['a hello with a numeric digest', edited(hello, (w) => (w[4] = 0))],
    ['chunk data as an array', edited(chunk, (w) => (w[6] = [1]))],
    ['chunk data as a typed array of another kind', edited(chunk, (w) => (w[6] = Int16Array.of(1)))],
    ['a chunk without meta', edited(chunk, (w) => (w[3] = null))],
    ['an ack with installed missing', edited(ack, (w) => (w[5] = undefined))],
  ];

  test('the valid frames these cases start from do decode', () => {
    for (const f of [app, chunk, ack, hello]) expect(decodeFrameBody(frameOf(frameToWire(f)).subarray(4))).toStrictEqual(f);
  });

  test.each(bad)('%s is a FrameError', (_name, value) => {
    expect(() => decodeFrameBody(frameOf(value).subarray(4))).toThrow(FrameError);
  });

  test('garbage bytes never escape as anything but a FrameError or a valid frame', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), (bytes) => {
        let decoded: WireFrame;
        try {
          decoded = decodeFrameBody(Buffer.from(bytes));
        } catch (err) {
          expect(err).toBeInstanceOf(FrameError);
          return;
        }
        expect(decodeFrameBody(encodeFrame(decoded).subarray(4))).toStrictEqual(decoded);
      }),
      { numRuns: 2000 },
    );
  });
});
