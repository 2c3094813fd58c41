import { describe, test, expect } from '@jest/globals';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import {
  CommandDecodeError,
  decodeCommand,
  encodeCommand,
  isValidTimestamp,
  type Command,
} from '../../../src/domain/commands.js';

const packr = new Packr({ useRecords: false });
const AT = '2026-03-04T05:06:07.089Z';

const samples: Command[] = [
  { kind: 'createPrinter', at: AT, id: 'p1', company: 'Prusa', model: 'MK4 ✓' },
  {
    kind: 'createFilament',
    at: AT,
    idempotency: { key: 'retry me', fingerprint: 'abc' },
    id: 'f-1',
    type: 'PETG',
    color: 'galaxy black',
    totalWeight: 1_000_000,
    remainingWeight: 0,
  },
  { kind: 'createJob', at: AT, id: '42', printerId: 'p1', filamentId: 'f-1', filepath: 'a/b c.gcode', weight: 9 },
  { kind: 'setJobStatus', at: AT, idempotency: { key: 'k', fingerprint: 'f' }, jobId: '42', status: 'Canceled' },
];

describe('command encoding', () => {
  test.each(samples.map((c) => [c.kind, c] as const))('%s round-trips', (_kind, command) => {
    expect(decodeCommand(encodeCommand(command))).toEqual(command);
  });

  test('is a pure function of the command', () => {
    for (const command of samples) {
      expect(Buffer.from(encodeCommand(command)).equals(Buffer.from(encodeCommand({ ...command })))).toBe(true);
    }
  });

  test('timestamps must be exactly what toISOString writes', () => {
    expect(isValidTimestamp('2026-03-04T05:06:07.089Z')).toBe(true);
    for (const bad of ['2026-03-04T05:06:07Z', '2026-03-04T05:06:07.089+00:00', '2026-02-30T00:00:00.000Z', 'yesterday', '']) {
      expect([bad, isValidTimestamp(bad)]).toEqual([bad, false]);
    }
  });

  const invalid: Array<[string, unknown[]]> = [
    ['unknown version', [2, 1, AT, null, null, 'p', 'c', 'm']],
    ['unknown kind', [1, 9, AT, null, null]],
    ['bad time', [1, 1, 'now', null, null, 'p', 'c', 'm']],
    ['missing field', [1, 1, AT, null, null, 'p', 'c']],
    ['extra field', [1, 1, AT, null, null, 'p', 'c', 'm', 'x']],
    ['bad id', [1, 1, AT, null, null, 'p/1', 'c', 'm']],
    ['untrimmed text', [1, 1, AT, null, null, 'p', ' c', 'm']],
    ['empty text', [1, 1, AT, null, null, 'p', '', 'm']],
    ['key without fingerprint', [1, 1, AT, 'k', null, 'p', 'c', 'm']],
    ['non-ASCII key', [1, 1, AT, 'é', 'f', 'p', 'c', 'm']],
    ['bad filament type', [1, 2, AT, null, null, 'f', 'pla', 'red', 10, 10]],
    ['remaining above total', [1, 2, AT, null, null, 'f', 'PLA', 'red', 10, 11]],
    ['total above bound', [1, 2, AT, null, null, 'f', 'PLA', 'red', 1_000_001, 1]],
    ['fractional weight', [1, 3, AT, null, null, 'j', 'p', 'f', 'x.gcode', 1.5]],
    ['zero weight', [1, 3, AT, null, null, 'j', 'p', 'f', 'x.gcode', 0]],
    ['weight as string', [1, 3, AT, null, null, 'j', 'p', 'f', 'x.gcode', '5']],
    ['bad status', [1, 4, AT, null, null, 'j', 'running']],
  ];
  test.each(invalid)('refuses %s with CommandDecodeError', (_name, tuple) => {
    expect(() => decodeCommand(packr.pack(tuple))).toThrow(CommandDecodeError);
  });

  test('arbitrary bytes never throw anything but CommandDecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeCommand(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(CommandDecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('truncated or bit-flipped commands never throw anything but CommandDecodeError', () => {
    const bytes = encodeCommand(samples[2]!);
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), fc.boolean(), (i, mask, truncate) => {
        const damaged = truncate ? bytes.slice(0, i) : Uint8Array.from(bytes, (b, j) => (j === i ? b ^ mask : b));
        try {
          decodeCommand(damaged);
        } catch (err) {
          expect(err).toBeInstanceOf(CommandDecodeError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
