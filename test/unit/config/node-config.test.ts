import { describe, expect, test } from '@jest/globals';
import { ConfigError, loadNodeConfig, parseFlags, wantsHelp, helpText } from '../../../src/config/node-config.js';

const base = ['-id=node1', '-http=127.0.0.1:8001', '-raft=127.0.0.1:9001'];

describe('command line compatible with the original Raft3D', () => {
  test('the original bootstrap line', () => {
    const c = loadNodeConfig([...base, '-data=./data/node1', '-bootstrap'], {});
    expect(c).toMatchObject({ id: 'node1', http: '127.0.0.1:8001', raft: '127.0.0.1:9001', dataDir: './data/node1', bootstrap: true, join: [] });
    expect(c.httpListen).toBe('127.0.0.1:8001');
    expect(c.raftListen).toBe('127.0.0.1:9001');
  });

  test('the original join line, with a comma-separated list', () => {
    const c = loadNodeConfig(['-id=node2', '-http=127.0.0.1:8002', '-raft=127.0.0.1:9002', '-data=./data/node2', '-join=127.0.0.1:8001, 127.0.0.1:8003'], {});
    expect(c.join).toEqual(['127.0.0.1:8001', '127.0.0.1:8003']);
    expect(c.bootstrap).toBe(false);
  });

  test('space-separated values and double dashes', () => {
    expect(parseFlags(['--id', 'n', '-http', 'h:1', '--bootstrap'])).toEqual(new Map([['id', 'n'], ['http', 'h:1'], ['bootstrap', 'true']]));
  });

  test('environment variables stand in for flags, and flags win', () => {
    const env = { RAFT3D_ID: 'env-node', RAFT3D_HTTP: '0.0.0.0:8080', RAFT3D_RAFT: 'pod-0.svc:9001', RAFT3D_BOOTSTRAP: 'true', RAFT3D_TICK_MS: '50', RAFT3D_CLUSTER_TOKEN: 's3cret' };
    const c = loadNodeConfig(['-id=flag-node'], env);
    expect(c.id).toBe('flag-node');
    expect(c.raft).toBe('pod-0.svc:9001');
    expect(c.bootstrap).toBe(true);
    expect(c.clusterToken).toBe('s3cret');
    expect(c.raftOptions.timing.tickMs).toBe(50);
    expect(c.dataDir).toBe('./data/flag-node');
  });

  test('defaults follow the reference timing: 100 ms heartbeat, 1-2 s election timeout', () => {
    const c = loadNodeConfig(base, {});
    expect(c.raftOptions.timing).toEqual({ tickMs: 100, heartbeatTicks: 1, electionTicks: 10 });
    expect(c.requestTimeoutMs).toBe(5000);
    expect(c.bodyLimitBytes).toBe(1024 * 1024);
  });

  test.each([
    [['-http=127.0.0.1:8001', '-raft=127.0.0.1:9001'], /missing -id/],
    [[...base, '-bootstrap', '-join=127.0.0.1:8002'], /exclude each other/],
    [[...base, '-nope=1'], /unknown flag -nope/],
    [['-id=bad id', '-http=127.0.0.1:8001', '-raft=127.0.0.1:9001'], /-id must be/],
    [['-id=n', '-http=localhost', '-raft=127.0.0.1:9001'], /-http must be host:port/],
    [[...base, '-tick-ms=fast'], /-tick-ms must be an integer/],
    [[...base, '-election-ticks=1', '-heartbeat-ticks=1'], /-election-ticks must be/],
    [[...base, 'stray'], /unexpected argument/],
  ])('%j is refused with a clear message', (argv, message) => {
    expect(() => loadNodeConfig(argv, {})).toThrow(ConfigError);
    expect(() => loadNodeConfig(argv, {})).toThrow(message);
  });

  test('--help is recognised and lists every flag with its variable', () => {
    expect(wantsHelp(['--help'])).toBe(true);
    expect(wantsHelp(base)).toBe(false);
    const text = helpText();
    for (const name of ['-id', '-http', '-raft', '-data', '-bootstrap', '-join', 'RAFT3D_CLUSTER_TOKEN']) expect(text).toContain(name);
  });
});
