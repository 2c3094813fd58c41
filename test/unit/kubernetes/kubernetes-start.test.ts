import { describe, test, expect } from '@jest/globals';
import { pino } from 'pino';
import { loadNodeConfig } from '../../../src/config/node-config.js';
import { prepareKubernetesStart, StartRefused, type StartDeps } from '../../../src/kubernetes/kubernetes-start.js';
import type { LocalState, PeerObservation, PeerStatus } from '../../../src/kubernetes/start-decision.js';

const env = (pod: string, extra: Record<string, string> = {}): Record<string, string> => ({
  RAFT3D_K8S_HEADLESS_SERVICE: 'farm-headless', POD_NAME: pod, POD_NAMESPACE: 'ns', RAFT3D_K8S_MAX_REPLICAS: '3', ...extra,
});
const silent = pino({ level: 'silent' });

function deps(local: LocalState, rounds: ((name: string) => PeerStatus | null)[]): StartDeps & { moved: string[]; served: string[]; stopped: number; probes: number } {
  let clock = 0;
  const d = {
    moved: [] as string[],
    served: [] as string[],
    stopped: 0,
    probes: 0,
    readLocal: async () => local,
    probe: async (peers: readonly { ordinal: number; name: string; httpAddress: string }[]): Promise<PeerObservation[]> => {
      const answer = rounds[Math.min(d.probes, rounds.length - 1)]!;
      d.probes++;
      return peers.map((p) => ({ ...p, status: answer(p.name) }));
    },
    moveAside: async (dir: string) => {
      d.moved.push(dir);
      return `${dir}.removed-x`;
    },
    sleep: async (ms: number) => {
      clock += ms;
    },
    now: () => clock,
    serve: async (host: string, port: number) => {
      d.served.push(`${host}:${port}`);
      return async () => {
        d.stopped++;
      };
    },
  };
  return d;
}
const st = (clusterId: string, role = 'follower', members: string[] = []): PeerStatus => ({ clusterId, role, term: 2, leaderHttpAddress: null, members: members.map((id) => ({ id })) });

describe('prepareKubernetesStart', () => {
  test('outside Kubernetes mode the configuration is returned untouched', async () => {
    const config = loadNodeConfig(['-id=n1', '-http=127.0.0.1:8001', '-raft=127.0.0.1:9001', '-bootstrap'], {});
    const d = deps({ kind: 'empty' }, [() => null]);
    expect(await prepareKubernetesStart(config, silent, d)).toBe(config);
    expect(d.served).toEqual([]);
  });

  test('pod 0 of a new cluster bootstraps; the stand-in server is stopped afterwards', async () => {
    const d = deps({ kind: 'empty' }, [() => null]);
    const out = await prepareKubernetesStart(loadNodeConfig([], env('farm-0', { RAFT3D_CLUSTER_STATE: 'new' })), silent, d);
    expect(out.bootstrap).toBe(true);
    expect(out.join).toEqual([]);
    expect(d.served).toEqual(['0.0.0.0:8001']);
    expect(d.stopped).toBe(1);
  });

  test('a fresh pod waits while nobody answers, then joins through the peers that report the cluster', async () => {
    const d = deps({ kind: 'empty' }, [() => null, () => null, (n) => (n === 'farm-0' ? st('c1', 'leader') : null)]);
    const out = await prepareKubernetesStart(loadNodeConfig(['-bootstrap'], env('farm-1', { RAFT3D_CLUSTER_STATE: 'existing' })), silent, d);
    expect(d.probes).toBe(3);
    expect(out.bootstrap).toBe(false);
    expect(out.join).toEqual(['farm-0.farm-headless.ns.svc.cluster.local:8001']);
  });

  test('a member removed while away moves its data aside and joins again', async () => {
    const d = deps({ kind: 'member', clusterId: 'c1', incarnation: 'i', term: 2 }, [(n) => (n === 'farm-0' ? st('c1', 'leader', ['farm-0', 'farm-1']) : null)]);
    const out = await prepareKubernetesStart(loadNodeConfig([], env('farm-2')), silent, d);
    expect(d.moved).toEqual(['/var/lib/raft3d/data']);
    expect(out.join).toEqual(['farm-0.farm-headless.ns.svc.cluster.local:8001']);
    expect(out.bootstrap).toBe(false);
  });

  test('a member with no leader in sight resumes after the patience window, without moving anything', async () => {
    const d = deps({ kind: 'member', clusterId: 'c1', incarnation: 'i', term: 2 }, [(n) => (n === 'farm-0' ? st('c1') : null)]);
    const out = await prepareKubernetesStart(loadNodeConfig([], env('farm-1')), silent, d);
    expect(d.moved).toEqual([]);
    expect(out.join).toEqual([]);
    expect(out.bootstrap).toBe(false);
    expect(d.probes).toBeGreaterThanOrEqual(5);
    expect(d.probes).toBeLessThanOrEqual(7);
  });

  test('peers of another cluster only: refuses to start', async () => {
    const d = deps({ kind: 'member', clusterId: 'c1', incarnation: 'i', term: 2 }, [() => st('c2', 'leader')]);
    await expect(prepareKubernetesStart(loadNodeConfig([], env('farm-1')), silent, d)).rejects.toThrow(StartRefused);
    expect(d.stopped).toBe(1);
  });
});
