// The fault schedule of the chaos test: seeded episodes, one fault at a time,
// each held for a while and then healed, with a calm gap in between so the
// cluster makes progress. Every step is logged with its time on the test's
// clock (the same clock as the client history).
import { seededRandom, type Random } from '../fault-random.js';
import { sleep, type HttpAnswer } from '../process-cluster.js';
import type { ChaosCluster } from './chaos-cluster.js';

export interface NemesisEvent {
  /** performance.now() of the test process. */
  readonly at: number;
  readonly action: string;
  readonly detail: string;
}

export type FaultKind =
  | 'partition-leader'
  | 'isolate-follower'
  | 'bridge'
  | 'one-way-loss'
  | 'lossy-link'
  | 'delay'
  | 'kill'
  | 'kill-leader'
  | 'pause'
  | 'no-quorum'
  | 'snapshot'
  | 'install-snapshot';

const WEIGHTED: readonly (readonly [FaultKind, number])[] = [
  ['partition-leader', 3],
  ['isolate-follower', 2],
  ['bridge', 1],
  ['one-way-loss', 2],
  ['lossy-link', 1],
  ['delay', 2],
  ['kill', 2],
  ['kill-leader', 2],
  ['pause', 1],
  ['no-quorum', 1],
  ['snapshot', 1],
  ['install-snapshot', 1],
];

export interface NemesisOptions {
  readonly seed: number;
  /** How long a fault is held: [min, max) ms. */
  readonly holdMs: readonly [number, number];
  /** Fault-free gap after each heal: [min, max) ms. */
  readonly calmMs: readonly [number, number];
  /** Entries install-snapshot writes through the leader while a follower is down (more than the trailing log). */
  readonly entriesBehind: number;
  /** Faults forced at the start of the schedule, in order, before the random ones. */
  readonly first?: readonly FaultKind[];
}

export class Nemesis {
  readonly events: NemesisEvent[] = [];
  /** The faults injected, in order. */
  readonly episodes: FaultKind[] = [];
  private readonly random: Random;
  private stopping = false;
  private fillers = 0;

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly opts: NemesisOptions,
  ) {
    this.random = seededRandom(opts.seed);
  }

  /** Runs episodes until `untilMs` (performance.now()); the last one is healed before returning. */
  async run(untilMs: number): Promise<void> {
    const forced = [...(this.opts.first ?? [])];
    while (!this.stopping && performance.now() < untilMs) {
      const kind = forced.shift() ?? this.pick();
      this.episodes.push(kind);
      await this.episode(kind);
      await this.healAll();
      await sleep(this.between(this.opts.calmMs));
    }
  }

  stop(): void {
    this.stopping = true;
  }

  /** Removes every network fault, resumes paused nodes and restarts every node that is down. */
  async healAll(): Promise<void> {
    this.cluster.mesh.heal();
    this.log('heal', 'all links');
    for (const id of this.cluster.resumeAll()) this.log('resume', id);
    for (const id of this.cluster.ids) {
      if (!this.cluster.running().includes(id)) {
        this.cluster.start(id);
        this.log('restart', id);
      }
    }
  }

  private async episode(kind: FaultKind): Promise<void> {
    const mesh = this.cluster.mesh;
    const ids = this.cluster.ids;
    const hold = this.between(this.opts.holdMs);
    switch (kind) {
      case 'partition-leader': {
        const leader = (await this.cluster.leader()) ?? this.any(ids);
        mesh.partition([[leader], ids.filter((id) => id !== leader)]);
        this.log(kind, `${leader} | ${ids.filter((id) => id !== leader).join(',')}`);
        await sleep(hold);
        return;
      }
      case 'isolate-follower': {
        const leader = await this.cluster.leader();
        const victim = this.any(ids.filter((id) => id !== leader));
        mesh.isolate(victim);
        this.log(kind, victim);
        await sleep(hold);
        return;
      }
      case 'bridge': {
        // a and c cannot talk, b talks to both: a leader at a or c keeps half its followers.
        const [a, b, c] = this.shuffled(ids);
        mesh.link(a!, c!).block();
        mesh.link(c!, a!).block();
        this.log(kind, `${a} x ${c}, bridge ${b}`);
        await sleep(hold);
        return;
      }
      case 'one-way-loss': {
        const leader = (await this.cluster.leader()) ?? this.any(ids);
        const other = this.any(ids.filter((id) => id !== leader));
        const [from, to] = this.random() < 0.5 ? [leader, other] : [other, leader];
        mesh.oneWay(from, to, 1);
        this.log(kind, `${from}->${to} drops everything`);
        await sleep(hold);
        return;
      }
      case 'lossy-link': {
        const [from, to] = this.shuffled(ids);
        const rate = 0.2 + 0.1 * Math.floor(this.random() * 4);
        mesh.oneWay(from!, to!, rate);
        this.log(kind, `${from}->${to} drops ${rate.toFixed(1)}`);
        await sleep(hold);
        return;
      }
      case 'delay': {
        const ms = 20 + Math.floor(this.random() * 80);
        for (const from of ids) for (const to of ids) if (from !== to) mesh.delay(from, to, ms, ms / 2);
        this.log(kind, `every link ${ms} ± ${ms / 2} ms`);
        await sleep(hold);
        return;
      }
      case 'kill':
      case 'kill-leader': {
        const leader = await this.cluster.leader();
        const victim = kind === 'kill-leader' && leader !== undefined ? leader : this.any(ids);
        await this.cluster.kill(victim);
        this.log(kind, `kill -9 ${victim}`);
        await sleep(hold);
        return;
      }
      case 'no-quorum': {
        // One node down and another cut off: nothing can commit until the heal.
        const [dead, cut] = this.shuffled(ids);
        await this.cluster.kill(dead!);
        mesh.isolate(cut!);
        this.log(kind, `kill -9 ${dead}, isolate ${cut}`);
        await sleep(hold);
        return;
      }
      case 'pause': {
        const leader = await this.cluster.leader();
        const victim = leader !== undefined && this.random() < 0.5 ? leader : this.any(this.cluster.running());
        this.cluster.pause(victim);
        this.log(kind, `SIGSTOP ${victim}`);
        await sleep(hold);
        return;
      }
      case 'snapshot': {
        const target = this.any(this.cluster.running());
        const answer = await this.cluster.processes.request(target, 'POST', '/debug/snapshot', undefined, {}, 5000).catch((e: unknown) => String(e));
        this.log(kind, `${target}: ${describe(answer)}`);
        return;
      }
      case 'install-snapshot':
        await this.forceInstallSnapshot();
        return;
    }
  }

  /**
   * Kills a follower, writes more than the trailing log through the leader
   * (printers, which the checked model never reads), takes a snapshot there
   * (compacting what the follower misses) and lets the heal restart the
   * follower: it can only catch up through InstallSnapshot.
   */
  private async forceInstallSnapshot(): Promise<void> {
    const leader = await this.cluster.leader();
    if (leader === undefined) {
      this.log('install-snapshot', 'skipped: no leader');
      return;
    }
    const victim = this.any(this.cluster.ids.filter((id) => id !== leader));
    await this.cluster.kill(victim);
    this.log('install-snapshot', `kill -9 ${victim}; filling the log through ${leader}`);
    let written = 0;
    for (let batch = 0; batch < Math.ceil(this.opts.entriesBehind / 10); batch++) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => {
          const id = `filler-${++this.fillers}`;
          return this.cluster.processes
            .request(leader, 'POST', '/api/v1/printers', { id, company: 'filler', model: 'x' }, {}, 5000)
            .then((r) => r.status, () => 0);
        }),
      );
      written += answers.filter((s) => s === 201).length;
    }
    const answer = await this.cluster.processes.request(leader, 'POST', '/debug/snapshot', undefined, {}, 5000).catch((e: unknown) => String(e));
    this.log('snapshot', `${written} printers written through ${leader}; snapshot there: ${describe(answer)}`);
  }

  private pick(): FaultKind {
    const total = WEIGHTED.reduce((s, [, w]) => s + w, 0);
    let r = this.random() * total;
    for (const [kind, w] of WEIGHTED) {
      if (r < w) return kind;
      r -= w;
    }
    return 'partition-leader';
  }

  private between([min, max]: readonly [number, number]): number {
    return min + Math.floor(this.random() * (max - min));
  }

  private any<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('nothing to pick from');
    return items[Math.floor(this.random() * items.length)]!;
  }

  private shuffled<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  private log(action: string, detail: string): void {
    this.events.push({ at: performance.now(), action, detail });
  }
}

function describe(answer: HttpAnswer | string): string {
  return typeof answer === 'string' ? answer : `${answer.status} ${JSON.stringify(answer.body)}`;
}
