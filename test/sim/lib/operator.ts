// The cluster operator of the simulation: grows the cluster through learners
// (the leader promotes them once caught up), shrinks it again (sometimes by
// removing the leader, B17), and hands leadership over, all while faults go
// on. Learners are promoted by the leader once caught up (production never
// promotes explicitly). A removed member's process is stopped and its data wiped once the
// removal is committed; it may later join again under a new incarnation (B33).
// Amnesia: a member's data directory is lost and the node comes back empty
// under a new incarnation; its peers must refuse it until the operator has
// replaced the old member (removed it, then added the new one as a learner).
import type { Membership, NodeId } from '../../../src/consensus/core/types.js';
import type { Host } from './host.js';
import type { SimNode } from './node.js';
import { TICK } from './params.js';
import type { SimRng } from './rng.js';
import type { Simulation } from './simulation.js';

const RETRY = 5 * TICK;
const GIVE_UP = 150 * TICK;

type Task =
  | { readonly kind: 'add'; readonly host: Host; readonly since: number }
  | { readonly kind: 'remove'; readonly id: NodeId; readonly since: number }
  | { readonly kind: 'replace'; readonly host: Host; readonly since: number; removed: boolean };

export class Operator {
  private active = false;
  private task: Task | null = null;
  actions: string[] = [];

  constructor(
    private readonly sim: Simulation,
    private readonly rng: SimRng,
  ) {}

  start(): void {
    const p = this.sim.params;
    if (!p.membershipChanges && !p.leadershipTransfers) return;
    this.active = true;
    this.sim.queue.after(this.rng.between(80, 200) * TICK, () => this.act());
  }

  /** No new actions; a removal in progress is still finished (its node stopped once it is committed). */
  stop(): void {
    this.active = false;
  }

  private act(): void {
    if (!this.active) return;
    const p = this.sim.params;
    const leader = this.sim.currentLeader();
    if (leader !== null && this.task === null) {
      const membership = leader.core.status().membership;
      const wantsTransfer = p.leadershipTransfers && (!p.membershipChanges || this.rng.chance(0.3));
      if (wantsTransfer) this.transfer(leader.id, membership);
      else if (p.membershipChanges) this.change(membership);
    }
    this.sim.queue.after(this.rng.between(80, 200) * TICK, () => this.act());
  }

  private transfer(leaderId: NodeId, membership: Membership): void {
    const voters = membership.members.filter((m) => m.role === 'voter' && m.id !== leaderId);
    if (voters.length === 0) return;
    const to = this.rng.pick(voters).id;
    const out = this.sim.currentLeader()?.transferLeadership(to);
    this.log(`transfer ${leaderId} -> ${to}: ${out?.ok === true ? 'accepted' : out?.ok === false ? out.reason : 'no leader'}`);
  }

  private change(membership: Membership): void {
    const memberIds = new Set(membership.members.map((m) => m.id));
    const voters = membership.members.filter((m) => m.role === 'voter');
    const leaderId = this.sim.currentLeader()?.id;
    const r = this.rng.float();
    const others = voters.filter((m) => m.id !== leaderId && this.sim.hosts.get(m.id)?.proc !== null);
    // Losing the data of one of two voters loses the quorum for good: no Raft recovers from that.
    if (voters.length >= 3 && others.length > 0 && r < 0.3) {
      const host = this.sim.hosts.get(this.rng.pick(others).id)!;
      host.crash('amnesia');
      host.wipe();
      host.start();
      this.task = { kind: 'replace', host, since: this.sim.queue.now, removed: false };
      this.log(`amnesia: ${host.id} lost its data and came back as ${host.identity.incarnation}`);
      this.step();
      return;
    }
    const spares = [...this.sim.hosts.values()].filter((h) => !memberIds.has(h.id));
    if (memberIds.size < this.sim.hosts.size && spares.length > 0 && (voters.length <= 3 || this.rng.chance(0.5))) {
      const host = this.rng.pick(spares);
      if (host.proc === null) {
        host.retired = false;
        host.wipe();
        host.start();
      }
      for (const m of membership.members) host.proc!.learnAddress(m.id);
      this.task = { kind: 'add', host, since: this.sim.queue.now };
      this.log(`add learner ${host.id} (${host.identity.incarnation})`);
      this.step();
    } else if (voters.length > 3) {
      const leader = this.sim.currentLeader();
      const victim = leader !== null && this.rng.chance(0.3) ? leader.id : this.rng.pick(voters).id;
      this.task = { kind: 'remove', id: victim, since: this.sim.queue.now };
      this.log(`remove ${victim}`);
      this.step();
    }
  }

  private step(): void {
    const task = this.task;
    if (task === null) return;
    const leader = this.sim.currentLeader();
    const elapsed = this.sim.queue.now - task.since;
    if (task.kind === 'replace') {
      this.replace(task, leader);
      if (this.task === null) return;
    } else if (task.kind === 'add') {
      const members = leader?.core.status().membership.members ?? [];
      if (members.some((m) => m.id === task.host.id && m.incarnation === task.host.identity.incarnation)) {
        this.log(`${task.host.id} is a member`);
        this.task = null;
        return;
      }
      if (!this.active || elapsed > GIVE_UP) {
        this.log(`gave up adding ${task.host.id}`);
        this.task = null;
        return;
      }
      if (leader !== null && task.host.proc !== null) leader.changeMembership({ type: 'add-learner', member: task.host.member('learner') });
    } else {
      if (leader !== null && this.removalCommitted(leader, task.id)) {
        const host = this.sim.hosts.get(task.id)!;
        this.log(`${task.id} removed: stopping it and wiping its data`);
        host.stop();
        host.wipe();
        this.task = null;
        return;
      }
      const appended = leader !== null && !leader.core.status().membership.members.some((m) => m.id === task.id);
      // In the quiesce window a removal already appended is still seen through (its node stopped).
      if (elapsed > GIVE_UP || (!this.active && !appended)) {
        this.log(`gave up removing ${task.id}`);
        this.task = null;
        return;
      }
      if (leader !== null && !appended) leader.changeMembership({ type: 'remove', id: task.id });
    }
    this.sim.queue.after(RETRY, () => this.step());
  }

  /** Removes the member the wiped node used to be, then adds it again as a learner under its new incarnation. */
  private replace(task: Extract<Task, { kind: 'replace' }>, leader: SimNode | null): void {
    const id = task.host.id;
    if (!task.removed) {
      if (leader !== null && this.removalCommitted(leader, id)) {
        task.removed = true;
        this.log(`${id}'s old incarnation is removed`);
      } else if (leader !== null && leader.core.status().membership.members.some((m) => m.id === id)) {
        leader.changeMembership({ type: 'remove', id });
      }
    }
    if (task.removed && leader !== null && task.host.proc !== null) {
      const members = leader.core.status().membership.members;
      if (members.some((m) => m.id === id && m.incarnation === task.host.identity.incarnation)) {
        this.log(`${id} is a member again as ${task.host.identity.incarnation}`);
        this.task = null;
        return;
      }
      for (const m of members) task.host.proc.learnAddress(m.id);
      leader.changeMembership({ type: 'add-learner', member: task.host.member('learner') });
    }
    // No giving up: until it is replaced, the configuration names a member that no longer exists.
  }

  /** The leader applied (so committed) its latest configuration, and it lacks `id`. */
  private removalCommitted(leader: SimNode, id: NodeId): boolean {
    const active = leader.core.status().membership.members;
    return (
      leader.applied >= this.sim.invariants.latestConfigIndex(leader.id) &&
      !active.some((m) => m.id === id) &&
      !leader.appliedMembership.members.some((m) => m.id === id)
    );
  }

  private log(text: string): void {
    this.actions.push(`${Math.floor(this.sim.queue.now / TICK)}: ${text}`);
    this.sim.note(`operator: ${text}`);
  }
}
