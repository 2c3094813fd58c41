// The helm/kubectl locator and the ZIP reader it uses.
import { describe, test, expect } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { findOnPath } from '../../scripts/k8s-tools.mjs';
import { readZipEntry } from '../../scripts/zip.mjs';
import { helmBinary, kubectlBinary } from '../support/helm.js';

/** A ZIP with one stored and one deflated entry, written by hand. */
function makeZip(entries: { name: string; data: Buffer; deflate: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const packed = e.deflate ? deflateRawSync(e.data) : e.data;
    const name = Buffer.from(e.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(e.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc32(e.data), 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(e.deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc32(e.data), 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

function withTempDir<T>(run: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'raft3d-tools-'));
  try {
    return run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('readZipEntry', () => {
  const text = Buffer.from('raft3d '.repeat(500));
  const zip = makeZip([
    { name: 'a/stored.txt', data: Buffer.from('stored bytes'), deflate: false },
    { name: 'b/deflated.txt', data: text, deflate: true },
  ]);

  test('reads stored and deflated entries', () => {
    withTempDir((dir) => {
      writeFileSync(join(dir, 'x.zip'), zip);
      expect(readZipEntry(join(dir, 'x.zip'), 'a/stored.txt').toString()).toBe('stored bytes');
      expect(readZipEntry(join(dir, 'x.zip'), 'b/deflated.txt').equals(text)).toBe(true);
    });
  });

  test('rejects a missing entry, a damaged entry and a file that is no ZIP', () => {
    withTempDir((dir) => {
      writeFileSync(join(dir, 'x.zip'), zip);
      expect(() => readZipEntry(join(dir, 'x.zip'), 'c.txt')).toThrow(/no entry c.txt/);
      const damaged = Buffer.from(zip);
      damaged[30 + 'a/stored.txt'.length] ^= 0xff;
      writeFileSync(join(dir, 'bad.zip'), damaged);
      expect(() => readZipEntry(join(dir, 'bad.zip'), 'a/stored.txt')).toThrow(/CRC/);
      writeFileSync(join(dir, 'no.zip'), 'hello');
      expect(() => readZipEntry(join(dir, 'no.zip'), 'a')).toThrow(/not a ZIP/);
    });
  });
});

describe('tool lookup', () => {
  test('findOnPath finds only executables', () => {
    withTempDir((dir) => {
      writeFileSync(join(dir, 'tool'), '#!/bin/sh\n');
      expect(findOnPath('tool', dir)).toBeNull();
      chmodSync(join(dir, 'tool'), 0o755);
      expect(findOnPath('tool', `/nonexistent:${dir}`)).toBe(join(dir, 'tool'));
    });
  });

  test('helm and kubectl run', () => {
    expect(execFileSync(helmBinary(), ['version', '--short'], { encoding: 'utf8' })).toMatch(/^v[34]\.\d+\.\d+/);
    expect(execFileSync(kubectlBinary(), ['version', '--client'], { encoding: 'utf8' })).toMatch(/Client Version: v1\.\d+/);
  });
});
