// A small deterministic world for the reconciler tests, on top of FakeKube:
// a StatefulSet controller (Parallel pods, PVCs from the claim template, rolling
// updates highest ordinal first), a kubelet (Pending → Running, readiness), and
// Raft nodes that start with the real decideStart, join as learners, get
// promoted by the leader, and answer the operator's admin calls (NodeClient).
// Membership changes commit one step after they are made, so the operator sees
// uncommitted configurations too.
import type { V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { decideStart, type LocalState, type PeerObservation } from '../../../src/kubernetes/start-decision.js';
import { NodeApiError, type NodeClient, type NodeStatus } from '../../../src/operator/node-client.js';
import { TEMPLATE_HASH_ANNOTATION } from '../../../src/operator/names.js';
import type { FakeKube } from './fake-kube.js';

interface Volume {
  clusterId: string;
  incarnation: string;
}

interface Node {
  state: 'discovering' | 'member' | 'refused';
  incarnation: string;
  /** The bootstrap ConfigMap as the container saw it at start. */
  env: { state: string; id: string };
}

interface Member {
  role: 'voter' | 'learner';
  incarnation: string;
  caughtUpSteps: number;
}

export class SimWorld implements NodeClient {
  now = Date.parse('2030-01-01T00:00:00Z');
  readonly volumes = new Map<string, Volume | null>();
  readonly nodes = new Map<string, Node>();
  /** Pods whose process is hung (not answering, not Ready). */
  readonly down = new Set<string>();
  config = new Map<string, Member>();
  clusterIds: string[] = [];
  leader: string | null = null;
  term = 0;
  lastLog = 0;
  commit = 0;
  configIndex = 0;
  /** Whether /cluster/status carries config_index (off: the operator's fallback). */
  reportConfigIndex = true;
  readonly removals: string[] = [];
  readonly transfers: string[] = [];
  readonly quorumViolations: string[] = [];
  private seq = 0;

  constructor(
    readonly kube: FakeKube,
    readonly ns = 'prints',
    readonly name = 'farm',
  ) {
    kube.now = () => this.now;
  }

  voters(): string[] {
    return [...this.config.entries()].filter(([, m]) => m.role === 'voter').map(([id]) => id).sort();
  }
  learners(): string[] {
    return [...this.config.entries()].filter(([, m]) => m.role === 'learner').map(([id]) => id).sort();
  }
  alive(id: string): boolean {
    const pod = this.kube.get('pods', this.ns, id) as V1Pod | null;
    return pod !== null && pod.status?.phase === 'Running' && this.nodes.get(id)?.state === 'member' && !this.down.has(id);
  }
  sts(): V1StatefulSet | null {
    return this.kube.get('statefulsets', this.ns, this.name) as V1StatefulSet | null;
  }

  /** One tick: commit, controllers, node start-up, elections, promotions. */
  step(): void {
    this.now += 5000;
    if (this.leader !== null) this.commit = this.lastLog;
    this.statefulSetController();
    this.startNodes();
    this.elect();
    this.promote();
    this.kubelet();
  }

  // ---- NodeClient ----
  async status(address: string): Promise<NodeStatus> {
    const node = this.nodes.get(address);
    const pod = this.kube.get('pods', this.ns, address) as V1Pod | null;
    if (node === undefined || pod === null || pod.status?.phase !== 'Running' || this.down.has(address) || node.state === 'refused') {
      throw new NodeApiError(`${address} unreachable`, null, null);
    }
    const vol = this.volumes.get(`data-${address}`) ?? null;
    if (node.state === 'discovering') {
      return { id: address, clusterId: vol?.clusterId ?? '', role: 'discovering', term: 0, leaderId: null, commitIndex: 0, lastLogIndex: 0, configIndex: null, transferringTo: null, members: [] };
    }
    const isLeader = this.leader === address;
    return {
      id: address,
      clusterId: vol?.clusterId ?? '',
      role: isLeader ? 'leader' : 'follower',
      term: this.term,
      leaderId: this.leader,
      commitIndex: this.commit,
      lastLogIndex: this.lastLog,
      configIndex: this.reportConfigIndex ? this.configIndex : null,
      transferringTo: null,
      members: [...this.config.entries()].map(([id, m]) => ({
        id,
        role: m.role,
        matchIndex: isLeader ? (this.alive(id) ? this.lastLog : Math.max(0, this.lastLog - 5)) : null,
        recentActive: isLeader ? this.alive(id) : null,
      })),
    };
  }

  async transferLeadership(address: string, to: string): Promise<void> {
    this.requireLeader(address);
    if (!this.alive(to) || this.config.get(to)?.role !== 'voter') throw new NodeApiError(`${to} cannot lead`, 409, 'NO_TRANSFEREE');
    this.transfers.push(`${this.leader}->${to}`);
    this.kube.writes.push({ op: 'transfer', kind: 'raft', name: `${this.leader}->${to}` });
    this.leader = to;
    this.term++;
  }

  async removeMember(address: string, id: string): Promise<void> {
    this.requireLeader(address);
    if (!this.config.has(id)) return;
    if (this.configIndex > this.commit) throw new NodeApiError('another membership change is in progress', 409, 'CHANGE_IN_PROGRESS');
    const before = this.healthyMajority();
    this.config.delete(id);
    this.bumpConfig();
    this.removals.push(id);
    this.kube.writes.push({ op: 'remove', kind: 'raft', name: id });
    if (before && !this.healthyMajority()) this.quorumViolations.push(`removing ${id} left ${this.voters().filter((v) => this.alive(v)).length} of ${this.voters().length} voters alive`);
  }

  private requireLeader(address: string): void {
    if (this.leader === null) throw new NodeApiError('no leader', 503, 'NO_LEADER');
    // Real nodes forward to the leader; the fake only insists that someone leads.
    if (!this.nodes.has(address)) throw new NodeApiError(`${address} unreachable`, null, null);
  }

  private healthyMajority(): boolean {
    const voters = this.voters();
    return voters.filter((v) => this.alive(v)).length >= Math.floor(voters.length / 2) + 1;
  }

  private bumpConfig(): void {
    this.lastLog++;
    this.configIndex = this.lastLog;
  }

  // ---- controllers ----
  private statefulSetController(): void {
    const sts = this.sts();
    if (sts === null) return;
    const R = sts.spec?.replicas ?? 1;
    const revision = sts.metadata?.annotations?.[TEMPLATE_HASH_ANNOTATION] ?? 'r0';
    const pods = this.kube.all('pods') as V1Pod[];
    for (const p of pods) {
      const name = p.metadata!.name!;
      if (p.metadata?.deletionTimestamp) {
        this.kube.remove('pods', this.ns, name);
        this.nodes.delete(name);
        this.down.delete(name);
      } else if (ordinal(name) >= R) {
        this.kube.put('pods', { ...p, metadata: { ...p.metadata, deletionTimestamp: new Date(this.now).toISOString() as unknown as Date } } as never);
      }
    }
    const live = (this.kube.all('pods') as V1Pod[]).filter((p) => !p.metadata?.deletionTimestamp);
    const allReady = live.length === R && live.every((p) => isReady(p));
    const outdated = live.filter((p) => p.metadata?.labels?.['controller-revision-hash'] !== revision).sort((a, b) => ordinal(b.metadata!.name!) - ordinal(a.metadata!.name!));
    if (allReady && outdated.length > 0) {
      const p = outdated[0]!;
      this.kube.put('pods', { ...p, metadata: { ...p.metadata, deletionTimestamp: new Date(this.now).toISOString() as unknown as Date } } as never);
    }
    for (let o = 0; o < R; o++) {
      const name = `${this.name}-${o}`;
      if (this.kube.get('pods', this.ns, name) !== null) continue;
      const pvc = `data-${name}`;
      if (!this.volumes.has(pvc)) this.volumes.set(pvc, null);
      if (this.kube.get('pvcs', this.ns, pvc) === null) this.kube.put('pvcs', { metadata: { name: pvc, namespace: this.ns } } as never);
      this.kube.put('pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: this.ns, labels: { ...sts.spec!.template.metadata!.labels, 'controller-revision-hash': revision } },
        status: { phase: 'Pending', conditions: [] },
      } as never);
    }
    const now = (this.kube.all('pods') as V1Pod[]).filter((p) => !p.metadata?.deletionTimestamp);
    const updated = now.filter((p) => p.metadata?.labels?.['controller-revision-hash'] === revision).length;
    this.kube.put('statefulsets', {
      ...sts,
      status: {
        replicas: now.length,
        readyReplicas: now.filter(isReady).length,
        updatedReplicas: updated,
        updateRevision: revision,
        currentRevision: updated === now.length ? revision : sts.status?.currentRevision ?? revision,
      },
    } as never);
  }

  private startNodes(): void {
    for (const p of this.kube.all('pods') as V1Pod[]) {
      const name = p.metadata!.name!;
      if (p.status?.phase === 'Pending') {
        const cm = this.kube.get('configmaps', this.ns, `${this.name}-bootstrap`);
        if (cm === null) continue;
        const data = (cm['data'] ?? {}) as Record<string, string>;
        this.kube.put('pods', { ...p, status: { ...p.status, phase: 'Running' } } as never);
        this.nodes.set(name, { state: 'discovering', incarnation: '', env: { state: data['RAFT3D_CLUSTER_STATE'] ?? '', id: data['RAFT3D_CLUSTER_ID'] ?? '' } });
      }
    }
    for (const [name, node] of this.nodes) {
      if (node.state !== 'discovering' || this.down.has(name)) continue;
      this.decide(name, node);
    }
  }

  private decide(name: string, node: Node): void {
    const pvc = `data-${name}`;
    const vol = this.volumes.get(pvc) ?? null;
    const local: LocalState = vol === null ? { kind: 'empty' } : { kind: 'member', clusterId: vol.clusterId, incarnation: vol.incarnation, term: 0 };
    const peers: PeerObservation[] = [];
    for (let o = 0; o < 9; o++) {
      const peer = `${this.name}-${o}`;
      if (peer === name) continue;
      const pn = this.nodes.get(peer);
      const answers = pn !== undefined && !this.down.has(peer) && pn.state !== 'refused';
      const pv = this.volumes.get(`data-${peer}`) ?? null;
      const isLeader = this.leader === peer;
      peers.push({
        ordinal: o,
        name: peer,
        httpAddress: peer,
        status: answers
          ? {
              clusterId: pv?.clusterId ?? '',
              role: pn.state === 'member' ? (isLeader ? 'leader' : 'follower') : 'discovering',
              term: pn.state === 'member' ? this.term : 0,
              leaderHttpAddress: null,
              members: isLeader ? [...this.config.entries()].map(([id, m]) => ({ id, incarnation: m.incarnation })) : [],
            }
          : null,
      });
    }
    const d = decideStart({
      self: { name, ordinal: ordinal(name) },
      expectedReplicas: 1,
      clusterState: node.env.state === 'new' || node.env.state === 'existing' ? node.env.state : undefined,
      expectedClusterId: node.env.id === '' ? undefined : node.env.id,
      local,
      peers,
    });
    switch (d.kind) {
      case 'bootstrap': {
        const id = `cluster-${this.clusterIds.length + 1}`;
        this.clusterIds.push(id);
        node.incarnation = `inc-${++this.seq}`;
        this.volumes.set(pvc, { clusterId: id, incarnation: node.incarnation });
        this.config = new Map([[name, { role: 'voter', incarnation: node.incarnation, caughtUpSteps: 0 }]]);
        this.leader = name;
        this.term = 1;
        this.bumpConfig();
        this.commit = this.lastLog;
        node.state = 'member';
        return;
      }
      case 'rejoin':
        this.volumes.set(pvc, null);
        this.join(name, node, d.clusterId);
        return;
      case 'join':
        this.join(name, node, d.clusterId);
        return;
      case 'resume':
        node.incarnation = vol!.incarnation;
        node.state = 'member';
        return;
      case 'refuse':
        node.state = 'refused';
        return;
      case 'wait':
        return;
    }
  }

  private join(name: string, node: Node, clusterId: string): void {
    if (this.leader === null || this.configIndex > this.commit) return;
    const pvc = `data-${name}`;
    const incarnation = this.volumes.get(pvc)?.incarnation ?? `inc-${++this.seq}`;
    this.volumes.set(pvc, { clusterId, incarnation });
    const existing = this.config.get(name);
    if (existing !== undefined && existing.incarnation !== incarnation) {
      this.config.delete(name);
      this.bumpConfig();
      return;
    }
    if (existing === undefined) {
      this.config.set(name, { role: 'learner', incarnation, caughtUpSteps: 0 });
      this.bumpConfig();
    }
    node.incarnation = incarnation;
    node.state = 'member';
  }

  private elect(): void {
    const voters = this.voters();
    const alive = voters.filter((v) => this.alive(v));
    const quorum = alive.length >= Math.floor(voters.length / 2) + 1;
    if (!quorum) {
      this.leader = null;
      return;
    }
    if (this.leader !== null && alive.includes(this.leader)) return;
    this.leader = alive.sort((a, b) => ordinal(a) - ordinal(b))[0] ?? null;
    this.term++;
  }

  private promote(): void {
    if (this.leader === null) return;
    for (const [id, m] of this.config) {
      if (m.role !== 'learner') continue;
      m.caughtUpSteps = this.alive(id) ? m.caughtUpSteps + 1 : 0;
    }
    if (this.configIndex > this.commit) return;
    const ready = [...this.config.entries()].find(([, m]) => m.role === 'learner' && m.caughtUpSteps >= 2);
    if (ready !== undefined) {
      ready[1].role = 'voter';
      this.bumpConfig();
    }
  }

  private kubelet(): void {
    for (const p of this.kube.all('pods') as V1Pod[]) {
      const name = p.metadata!.name!;
      const ready = this.alive(name) && this.config.has(name) && this.leader !== null;
      const was = isReady(p);
      if (ready === was && (p.status?.conditions?.length ?? 0) > 0) continue;
      this.kube.put('pods', {
        ...p,
        status: { ...p.status, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date(this.now).toISOString() }] },
      } as never);
    }
  }
}

export function ordinal(name: string): number {
  return Number(name.slice(name.lastIndexOf('-') + 1));
}

function isReady(p: V1Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}
