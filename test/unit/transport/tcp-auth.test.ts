import { afterEach, describe, test, expect } from '@jest/globals';
import { heartbeat, sleep, startNode, stopAll, waitFor } from './helpers.js';

afterEach(stopAll);

describe('TcpTransport Hello checks', () => {
  test('a different cluster id is refused and nothing is delivered', async () => {
    const a = await startNode('a', { clusterId: () => 'cluster-A' });
    const b = await startNode('b', { clusterId: () => 'cluster-B' });
    a.t.send('b', b.address(), heartbeat('a', 'b'));
    await waitFor(() => b.refused.length > 0, 'a refusal');
    expect(b.refused[0]).toEqual({ peer: 'a', reason: 'cluster id mismatch: ours cluster-B, theirs cluster-A' });
    await sleep(100);
    expect(b.received).toEqual([]);
    // A refused connection was never accepted, so it is not a peer going down.
    expect(b.downs).toEqual([]);
  });

  test('an unknown cluster id on either side (a joining node) is accepted', async () => {
    const joining = await startNode('j', { clusterId: () => '' });
    const member = await startNode('m', { clusterId: () => 'cluster-1' });
    joining.t.send('m', member.address(), heartbeat('j', 'm'));
    member.t.send('j', joining.address(), heartbeat('m', 'j'));
    await waitFor(() => joining.received.length === 1 && member.received.length === 1, 'both directions');
    expect(member.received[0]?.from.clusterId).toBe('');
    expect(joining.received[0]?.from.clusterId).toBe('cluster-1');
    expect(member.refused).toEqual([]);
    expect(joining.refused).toEqual([]);
  });

  test('the cluster id is read at every Hello, so a node that learns it starts refusing strangers', async () => {
    let clusterId = '';
    const b = await startNode('b', { clusterId: () => clusterId });
    const stranger = await startNode('s', { clusterId: () => 'other' });
    stranger.t.send('b', b.address(), heartbeat('s', 'b'));
    await waitFor(() => b.received.length === 1, 'accepted while b knows no cluster id');
    clusterId = 'cluster-1';
    const late = await startNode('s2', { clusterId: () => 'other' });
    late.t.send('b', b.address(), heartbeat('s2', 'b'));
    await waitFor(() => b.refused.some((r) => r.peer === 's2'), 'refused once b knows its cluster id');
  });

  test('with a token configured, a missing or wrong token is refused', async () => {
    const b = await startNode('b', { token: 's3cret' });
    const none = await startNode('n');
    const wrong = await startNode('w', { token: 'guess' });
    none.t.send('b', b.address(), heartbeat('n', 'b'));
    wrong.t.send('b', b.address(), heartbeat('w', 'b'));
    await waitFor(() => b.refused.some((r) => r.peer === 'n') && b.refused.some((r) => r.peer === 'w'), 'both refused');
    expect(new Set(b.refused.map((r) => r.reason))).toEqual(new Set(['bad cluster token']));
    await sleep(100);
    expect(b.received).toEqual([]);
  });

  test('the right token is accepted', async () => {
    const b = await startNode('b', { token: 's3cret' });
    const a = await startNode('a', { token: 's3cret' });
    a.t.send('b', b.address(), heartbeat('a', 'b', 4));
    await waitFor(() => b.received.length === 1, 'delivery');
    expect(b.refused).toEqual([]);
  });

  test('a refused sender keeps retrying with backoff, not in a tight loop', async () => {
    const b = await startNode('b', { token: 's3cret' });
    const a = await startNode('a', { backoffMinMs: 50, backoffMaxMs: 200 });
    a.t.send('b', b.address(), heartbeat('a', 'b'));
    await sleep(600);
    // Two refusals (control and bulk) per attempt, attempts at most ~6 in 600 ms with
    // delays of 37-63, 75-125, then 150-200 ms; a loop without backoff would make hundreds.
    expect(b.refused.length).toBeGreaterThanOrEqual(2);
    expect(b.refused.length).toBeLessThanOrEqual(20);
  });
});
