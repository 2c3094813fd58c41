import { describe, test, expect } from '@jest/globals';
import { createHash } from 'node:crypto';
import { backoffDelay } from '../../../src/consensus/transport/backoff.js';
import { BULK_FRAME_BYTES, channelFor } from '../../../src/consensus/transport/channel.js';
import { HelloAuth, tokenDigest } from '../../../src/consensus/transport/hello-auth.js';
import { formatHostPort, parseHostPort } from '../../../src/consensus/transport/host-port.js';
import type { Hello, PeerFrame } from '../../../src/consensus/transport/frames.js';
import type { Message } from '../../../src/consensus/core/types.js';
import { app, heartbeat, message } from './helpers.js';

describe('channelFor', () => {
  const raft = (type: string, entries = 0): PeerFrame => ({
    kind: 'raft',
    message: message({ type: type as Message['type'], entries: Array.from({ length: entries }, (_, i) => ({ index: i + 1, term: 1, type: 0, data: new Uint8Array(1) })) }),
  });

  test.each(['Heartbeat', 'HeartbeatResp', 'PreVote', 'PreVoteResp', 'Vote', 'VoteResp', 'AppResp', 'ReadIndex', 'ReadIndexResp', 'TimeoutNow', 'Prop'])(
    '%s goes on control',
    (type) => expect(channelFor(raft(type), 100)).toBe('control'),
  );

  test('App with entries, Snap and snapshot chunks go on bulk; an empty App probe and acks on control', () => {
    expect(channelFor(app('a', 'b', 1), 100)).toBe('bulk');
    expect(channelFor(raft('Snap'), 100)).toBe('bulk');
    expect(channelFor({ kind: 'snap-chunk', from: 'a', term: 1, meta: { index: 1, term: 1, membership: { members: [] } }, size: 1, offset: 0, data: new Uint8Array(1), done: true }, 100)).toBe('bulk');
    expect(channelFor(raft('App'), 100)).toBe('control');
    expect(channelFor({ kind: 'snap-ack', from: 'a', term: 1, snapshotIndex: 1, nextOffset: 0, installed: false, failed: false }, 100)).toBe('control');
  });

  test('any frame of 64 KiB or more goes on bulk', () => {
    expect(channelFor(heartbeat('a', 'b'), BULK_FRAME_BYTES - 1)).toBe('control');
    expect(channelFor(heartbeat('a', 'b'), BULK_FRAME_BYTES)).toBe('bulk');
  });
});

describe('backoffDelay', () => {
  test('doubles from the minimum and stops at the maximum (no jitter at random = 0.5)', () => {
    const mid = (): number => 0.5;
    expect([0, 1, 2, 3, 4, 5, 50].map((a) => backoffDelay(a, 100, 1000, mid))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  test('jitter stays within ±25 % and never exceeds the maximum', () => {
    expect(backoffDelay(0, 100, 1000, () => 0)).toBe(75);
    expect(backoffDelay(0, 100, 1000, () => 0.999999)).toBe(125);
    expect(backoffDelay(3, 100, 1000, () => 0.999999)).toBe(1000);
    expect(backoffDelay(9, 100, 1000, () => 0)).toBe(750);
  });
});

describe('host:port', () => {
  test('parses names, IPv4 and bracketed IPv6', () => {
    expect(parseHostPort('raft3d-0.raft3d.ns.svc:7000')).toEqual({ host: 'raft3d-0.raft3d.ns.svc', port: 7000 });
    expect(parseHostPort('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseHostPort('[::1]:9')).toEqual({ host: '::1', port: 9 });
    expect(parseHostPort(':7000')).toEqual({ host: '', port: 7000 });
  });

  test.each(['nohost', 'h:', 'h:x', 'h:70000', '::1:80', 'h:-1', 'h:1.5'])('rejects %s', (a) => {
    expect(() => parseHostPort(a)).toThrow();
  });

  test('formats IPv6 with brackets', () => {
    expect(formatHostPort('::1', 5)).toBe('[::1]:5');
    expect(formatHostPort('10.0.0.1', 5)).toBe('10.0.0.1:5');
  });
});

describe('HelloAuth', () => {
  const hello = (clusterId: string, digest: string): Hello => ({ kind: 'hello', clusterId, from: 'x', incarnation: 'i', tokenDigest: digest });

  test('the token digest is the hex SHA-256 of the token, or empty without one', () => {
    expect(tokenDigest('abc')).toBe(createHash('sha256').update('abc').digest('hex'));
    expect(tokenDigest(undefined)).toBe('');
    expect(tokenDigest('')).toBe('');
  });

  test('cluster ids must match only when both are known', () => {
    const auth = new HelloAuth(() => 'c1', undefined);
    expect(auth.refusal(hello('c1', ''))).toBeNull();
    expect(auth.refusal(hello('', ''))).toBeNull();
    expect(auth.refusal(hello('c2', ''))).toBe('cluster id mismatch: ours c1, theirs c2');
    expect(new HelloAuth(() => '', undefined).refusal(hello('c2', ''))).toBeNull();
  });

  test('with a token, only its digest passes', () => {
    const auth = new HelloAuth(() => 'c1', 'tok');
    expect(auth.refusal(hello('c1', tokenDigest('tok')))).toBeNull();
    expect(auth.refusal(hello('c1', tokenDigest('tok2')))).toBe('bad cluster token');
    expect(auth.refusal(hello('c1', ''))).toBe('bad cluster token');
    expect(auth.refusal(hello('c1', tokenDigest('tok').slice(1)))).toBe('bad cluster token');
    // Without a token configured here, any digest is accepted.
    expect(new HelloAuth(() => 'c1', undefined).refusal(hello('c1', tokenDigest('tok')))).toBeNull();
  });
});
