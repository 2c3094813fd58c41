import { describe, test, expect } from '@jest/globals';
import { UNKNOWN } from '../../support/linearizability/model.js';
import { parseEdnMap, parseEtcdLog, parseKvEdn } from '../../support/linearizability/parsers.js';

const P = 'INFO  jepsen.util - ';

describe('Jepsen etcd log parser (raft.md §5.11)', () => {
  test('maps the ten line shapes, tab- or space-separated', () => {
    const log = [
      `${P}0\t:invoke\t:read\tnil`,
      `${P}1   :invoke :write  3`,
      `${P}2\t:invoke\t:cas\t[3 0]`,
      `${P}0\t:ok\t:read\tnil`,
      `${P}1   :ok     :write  3`,
      `${P}2\t:fail\t:cas\t[3 0]`,
      `${P}3\t:invoke\t:read\tnil`,
      `${P}4\t:invoke\t:write\t4`,
      `${P}5\t:invoke\t:cas\t[1 2]`,
      `${P}3\t:fail\t:read\t:timed-out`,
      `${P}4\t:info\t:write\t:timed-out`,
      `${P}5\t:info\t:cas\t:timed-out`,
      `${P}6\t:invoke\t:cas\t[4 1]`,
      `${P}7\t:invoke\t:read\tnil`,
      `${P}6\t:ok\t:cas\t[4 1]`,
      `${P}7\t:ok\t:read\t1`,
      '',
    ].join('\n');
    expect(parseEtcdLog(log)).toEqual([
      { client: 0, input: { kind: 'read' }, output: null, call: 0, ret: 3 },
      { client: 1, input: { kind: 'write', value: 3 }, output: null, call: 1, ret: 4 },
      { client: 2, input: { kind: 'cas', from: 3, to: 0 }, output: false, call: 2, ret: 5 },
      { client: 4, input: { kind: 'write', value: 4 }, output: UNKNOWN, call: 7, ret: Infinity },
      { client: 5, input: { kind: 'cas', from: 1, to: 2 }, output: UNKNOWN, call: 8, ret: Infinity },
      { client: 6, input: { kind: 'cas', from: 4, to: 1 }, output: true, call: 12, ret: 14 },
      { client: 7, input: { kind: 'read' }, output: 1, call: 13, ret: 15 },
    ]);
  });

  test('an invoke without completion is an unknown write, or a dropped read', () => {
    const ops = parseEtcdLog(`${P}0\t:invoke\t:write\t1\n${P}1\t:invoke\t:read\tnil\n`);
    expect(ops).toEqual([{ client: 0, input: { kind: 'write', value: 1 }, output: UNKNOWN, call: 0, ret: Infinity }]);
  });

  test('malformed lines are reported with their line number', () => {
    expect(() => parseEtcdLog(`${P}0\t:invoke\t:read\tnil\n${P}0\t:ok\t:write\t1`)).toThrow(/line 2/);
    expect(() => parseEtcdLog(`${P}0\t:ok\t:read\t1`)).toThrow(/without an invoke/);
    expect(() => parseEtcdLog('WARN something')).toThrow(/line 1/);
    expect(() => parseEtcdLog(`${P}0\t:invoke\t:cas\t[1]`)).toThrow(/\[from to\]/);
  });
});

describe('kv EDN parser (raft.md §5.11)', () => {
  test('parses invoke/ok pairs with line numbers as times', () => {
    const text = [
      '{:process 0, :type :invoke, :f :append, :key "9", :value "x 0 5 y"}',
      '{:process 1, :type :invoke, :f :get, :key "9", :value nil}',
      '{:process 0, :type :ok, :f :append, :key "9", :value "x 0 5 y"}',
      '{:process 1, :type :ok, :f :get, :key "9", :value ""}',
      '{:process 2, :type :invoke, :f :put, :key "3", :value "v"}',
      '{:process 2, :type :ok, :f :put, :key "3", :value "v"}',
    ].join('\n');
    expect(parseKvEdn(text)).toEqual([
      { client: 0, input: { kind: 'append', key: '9', value: 'x 0 5 y' }, output: null, call: 0, ret: 2 },
      { client: 1, input: { kind: 'get', key: '9' }, output: '', call: 1, ret: 3 },
      { client: 2, input: { kind: 'put', key: '3', value: 'v' }, output: null, call: 4, ret: 5 },
    ]);
  });

  test('EDN maps keep keywords and strings apart and unescape strings', () => {
    const m = parseEdnMap('{:a :ok, :b ":ok", :c nil, :d -12, :e "q\\"x\\\\"}');
    expect([...m]).toEqual([
      [':a', ':ok'],
      [':b', ':ok'],
      [':c', null],
      [':d', -12],
      [':e', 'q"x\\'],
    ]);
    expect(parseEdnMap('{:b ":ok"}').get(':b')).toBe(':ok');
    expect(() => parseEdnMap('{:a "open}')).toThrow(/unterminated/);
    expect(() => parseEdnMap('{:a}')).toThrow(/odd/);
    expect(() => parseKvEdn('{:process 0, :type :invoke, :f :cas, :key "1", :value "x"}')).toThrow(/unsupported/);
  });
});
