// The fault injector (raft.md §6.2, §6.4): partitions of every shape, crashes
// (some of them inside an fsync or between the steps of a snapshot), process
// pauses, and restarts by a supervisor. Which classes are on is decided per
// seed (SimParams); all of it stops when the quiesce window begins.
import type { NodeId } from '../../../src/consensus/core/types.js';
import type { Host } from './host.js';
import { TICK } from './params.js';
import type { SimRng } from './rng.js';
import type { Simulation } from './simulation.js';

const CRASH_RATE = 0.002;
const PAUSE_RATE = 0.0005;

export class Nemesis {
  private active = false;
  partitions = 0;

  constructor(
    private readonly sim: Simulation,
    private readonly rng: SimRng,
  ) {}

  start(): void {
    this.active = true;
    const p = this.sim.params;
    if (p.partitions) this.sim.queue.after(this.rng.between(50, 150) * TICK, () => this.partition());
    for (const host of this.sim.hosts.values()) {
      if (p.crashes) this.nextCrash(host);
      if (p.pauses) this.nextPause(host);
    }
  }

  stop(): void {
    this.active = false;
  }

  /** The supervisor restarts a dead process after a while (at once in the quiesce window). */
  scheduleRestart(host: Host, failStop: boolean): void {
    const delay = this.rng.between(5, 50) * TICK;
    const epoch = host.epoch;
    this.sim.queue.after(delay, () => {
      if (host.proc !== null || host.retired || host.epoch !== epoch) return;
      this.sim.note(`${host.id} restarted by the supervisor${failStop ? ' after a fail-stop' : ''}`);
      host.start();
    });
  }

  private waitTicks(rate: number): number {
    return Math.max(1, Math.ceil(-Math.log(1 - this.rng.float()) / rate));
  }

  private nextCrash(host: Host): void {
    this.sim.queue.after(this.waitTicks(CRASH_RATE) * TICK, () => {
      if (!this.active) return;
      if (host.proc !== null) {
        const r = this.rng.float();
        if (r < 0.07) host.crashInsideFsync = true;
        else if (r < 0.1) host.crashAfterSnapshotFile = true;
        else if (r < 0.15) host.crashAfterGrant = true;
        else host.crash('crash');
      }
      this.nextCrash(host);
    });
  }

  private nextPause(host: Host): void {
    this.sim.queue.after(this.waitTicks(PAUSE_RATE) * TICK, () => {
      if (!this.active) return;
      host.pause(this.rng.between(10, 40));
      this.nextPause(host);
    });
  }

  private partition(): void {
    if (!this.active) return;
    const net = this.sim.network;
    const ids = [...this.sim.hosts.keys()];
    const shuffled = this.shuffle(ids);
    const r = this.rng.float();
    let what: string;
    if (r < 0.4) {
      const cut = this.rng.between(1, Math.floor(shuffled.length / 2));
      net.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
      what = 'majority/minority';
    } else if (r < 0.7) {
      const leader = this.sim.currentLeader()?.id ?? shuffled[0]!;
      net.partition([[leader], ids.filter((id) => id !== leader)]);
      what = `isolate ${leader}`;
    } else if (r < 0.85) {
      this.bridge(shuffled);
      what = 'bridge';
    } else {
      const victim = shuffled[0]!;
      const outbound = this.rng.chance(0.5);
      for (const other of ids) if (other !== victim) (outbound ? net.cutOneWay(victim, other) : net.cutOneWay(other, victim));
      what = `one-way ${outbound ? 'from' : 'to'} ${victim}`;
    }
    this.partitions++;
    this.sim.note(`partition ${what}: ${net.describeCuts()}`);
    this.sim.queue.after(this.rng.between(20, 100) * TICK, () => {
      if (!this.active) return;
      net.heal();
      this.sim.note('heal');
      this.sim.queue.after(this.rng.between(50, 150) * TICK, () => this.partition());
    });
  }

  /** A partial partition: the first node reaches only the second, which reaches everyone (B12). */
  private bridge(ids: readonly NodeId[]): void {
    const [outer, bridge] = ids;
    if (outer === undefined || bridge === undefined) return;
    for (const other of ids) if (other !== outer && other !== bridge) this.sim.network.cutBoth(outer, other);
  }

  private shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}
