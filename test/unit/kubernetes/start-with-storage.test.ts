import { describe, test, expect } from '@jest/globals';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadNodeConfig, type NodeConfig } from '../../../src/config/node-config.js';
import { bootRaftNode } from '../../../src/consensus/runtime/boot.js';
import type { RaftObserver } from '../../../src/consensus/runtime/raft-node.js';
import type { StateMachine } from '../../../src/consensus/runtime/state-machine.js';
import { moveAside } from '../../../src/persistence/data-dir.js';
import { startDiscoveryServer, stopDiscoveryServer } from '../../../src/kubernetes/discovery-server.js';
import { prepareKubernetesStart, type StartDeps } from '../../../src/kubernetes/kubernetes-start.js';
import { readLocalState } from '../../../src/kubernetes/local-state.js';
import type { PeerObservation, PeerStatus } from '../../../src/kubernetes/start-decision.js';

const silent = pino({ level: 'silent' });
const observer: RaftObserver = { walSync: () => undefined, snapshotTaken: () => undefined, leaderChanged: () => undefined, proposalsCommitted: () => undefined, proposalFailed: () => undefined };
const noopMachine = {
  apply: () => undefined,
  snapshot: () => new Uint8Array(),
  restore: () => undefined,
} as unknown as StateMachine<unknown>;

/** Real storage, real stand-in server, real moveAside; only the peers are scripted. */
function deps(peers: (name: string) => PeerStatus | null): StartDeps {
  let clock = 0;
  return {
    readLocal: readLocalState,
    moveAside: (dir) => moveAside(dir),
    serve: async (host, port, info) => {
      const s = await startDiscoveryServer(host, port, info);
      return () => stopDiscoveryServer(s);
    },
    probe: async (list): Promise<PeerObservation[]> => list.map((p) => ({ ...p, status: peers(p.name) })),
    sleep: async (ms) => {
      clock += ms;
    },
    now: () => clock,
  };
}

function config(dataDir: string, pod: string, extra: Record<string, string> = {}): NodeConfig {
  return loadNodeConfig([], {
    RAFT3D_K8S_HEADLESS_SERVICE: 'farm-headless',
    POD_NAME: pod,
    POD_NAMESPACE: 'ns',
    RAFT3D_K8S_MAX_REPLICAS: '3',
    RAFT3D_DATA: dataDir,
    RAFT3D_HTTP_LISTEN: '127.0.0.1:0',
    RAFT3D_RAFT_LISTEN: '127.0.0.1:0',
    RAFT3D_TICK_MS: '5',
    ...extra,
  });
}

async function boot(c: NodeConfig): Promise<Awaited<ReturnType<typeof bootRaftNode<unknown>>>> {
  return bootRaftNode<unknown>(
    { id: c.id, raftAddress: c.raft, raftListen: c.raftListen, httpAddress: c.http, dataDir: c.dataDir, bootstrap: c.bootstrap, raft: c.raftOptions },
    noopMachine,
    silent,
    observer,
    (e) => {
      throw e;
    },
  );
}

describe('Kubernetes start-up on a real data directory', () => {
  test('seed bootstraps; the same volume resumes; removed while away: moved aside (kept) and joins again', async () => {
    const root = await mkdtemp(join(tmpdir(), 'raft3d-k8s-'));
    const data = join(root, 'data');
    try {
      const seed = await prepareKubernetesStart(config(data, 'farm-0', { RAFT3D_CLUSTER_STATE: 'new' }), silent, deps(() => null));
      expect(seed.bootstrap).toBe(true);
      const first = await boot(seed);
      expect(first.mode).toBe('bootstrapped');
      await first.node.waitForLeader(5000);
      const clusterId = first.node.clusterId;
      await first.node.stop();

      expect(await readLocalState(data)).toMatchObject({ kind: 'member', clusterId });
      const again = await prepareKubernetesStart(config(data, 'farm-0', { RAFT3D_CLUSTER_STATE: 'existing', RAFT3D_CLUSTER_ID: clusterId }), silent, deps(() => null));
      expect(again.bootstrap).toBe(false);
      const second = await boot(again);
      expect(second.mode).toBe('resumed');
      expect(second.node.clusterId).toBe(clusterId);
      await second.node.stop();

      // farm-1 leads a configuration that no longer lists farm-0.
      const leader: PeerStatus = { clusterId, role: 'leader', term: 99, leaderHttpAddress: null, members: [{ id: 'farm-1' }, { id: 'farm-2' }] };
      const removed = await prepareKubernetesStart(config(data, 'farm-0', { RAFT3D_CLUSTER_STATE: 'existing', RAFT3D_CLUSTER_ID: clusterId }), silent, deps((n) => (n === 'farm-1' ? leader : null)));
      expect(removed.bootstrap).toBe(false);
      expect(removed.join).toEqual(['farm-1.farm-headless.ns.svc.cluster.local:8001']);
      const entries = await readdir(root);
      expect(entries).not.toContain('data');
      expect(entries.filter((e) => e.startsWith('data.removed-'))).toHaveLength(1);
      expect(await readLocalState(join(root, entries.find((e) => e.startsWith('data.removed-'))!))).toMatchObject({ kind: 'member', clusterId });
      const third = await boot(removed);
      expect(third.mode).toBe('joining');
      expect(third.node.incarnation).not.toBe(first.node.incarnation);
      await third.node.stop();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
