// A FaultLink on every ordered pair of Raft3D nodes, for chaos tests with real
// node processes on loopback.
//
// Members learn one Raft address per peer from the membership, the same for
// everyone, so per-link faults cannot come from per-source addresses. Instead
// each destination b gets one listener (advertise it with -raft, keep the
// node's real address in -raft-listen) and each connection is attributed to its
// source a: by source IP when every node dials from its own loopback IP
// (-raft-bind-outbound / RAFT3D_RAFT_BIND_OUTBOUND=nodeLoopbackIp(i)), or else
// by the node id in the Hello that opens every Raft connection.
import { formatHostPort } from '../../src/consensus/transport/host-port.js';
import { FaultLink, type FaultProxyStats } from './fault-link.js';
import { deriveSeed, randomSeed } from './fault-random.js';
import { SourceDispatcher } from './source-dispatch.js';

export interface MeshNode {
  readonly id: string;
  /** Where the node really listens for peers (its -raft-listen). */
  readonly listen: string;
  /** The IP the node dials from (its -raft-bind-outbound), if it has its own. */
  readonly sourceIp?: string;
}

export interface ProxyMeshOptions {
  readonly nodes: readonly MeshNode[];
  /** Seed of every link's drop and jitter decisions (each link derives its own); random when absent. */
  readonly seed?: number;
  /** Host the per-destination listeners bind to (default 127.0.0.1). */
  readonly host?: string;
  /** Apply drops and delays to the (silent) reverse direction of each connection too. */
  readonly bidirectional?: boolean;
  /** Attribute connections from unknown source IPs by their Hello (default true). */
  readonly helloFallback?: boolean;
}

/** The loopback IP for the i-th node (1-based): 127.0.0.11, 127.0.0.12, … Linux routes all of 127/8 to lo. */
export function nodeLoopbackIp(index: number): string {
  if (!Number.isInteger(index) || index < 1 || index > 245) throw new RangeError(`node index must be 1..245, got ${index}`);
  return `127.0.0.${10 + index}`;
}

function linkKey(from: string, to: string): string {
  return `${from}->${to}`;
}

export class ProxyMesh {
  readonly seed: number;
  private readonly ids: readonly string[];
  private readonly links = new Map<string, FaultLink>();
  private readonly dispatchers = new Map<string, SourceDispatcher>();

  private constructor(opts: ProxyMeshOptions) {
    this.seed = (opts.seed ?? randomSeed()) >>> 0;
    this.ids = opts.nodes.map((n) => n.id);
    if (new Set(this.ids).size !== this.ids.length) throw new Error(`node ids must be unique: ${this.ids.join(', ')}`);
    const ips = opts.nodes.flatMap((n) => (n.sourceIp === undefined ? [] : [n.sourceIp]));
    if (new Set(ips).size !== ips.length) throw new Error(`source IPs must be unique: ${ips.join(', ')}`);
    opts.nodes.forEach((to, j) => {
      opts.nodes.forEach((from, i) => {
        if (i === j) return;
        const link = new FaultLink({ target: to.listen, seed: deriveSeed(this.seed, i, j), bidirectional: opts.bidirectional ?? false });
        this.links.set(linkKey(from.id, to.id), link);
      });
    });
  }

  /** Creates every link and resolves once each destination's listener is bound. */
  static async start(opts: ProxyMeshOptions): Promise<ProxyMesh> {
    const mesh = new ProxyMesh(opts);
    try {
      await mesh.listen(opts);
    } catch (err) {
      await mesh.close();
      throw err;
    }
    return mesh;
  }

  /** The Raft address to advertise for `id` (its -raft): the listener in front of it. */
  advertised(id: string): string {
    const d = this.dispatchers.get(id);
    if (d === undefined) throw new Error(`unknown node ${id}`);
    return d.address;
  }

  /** Where `from` must dial to reach `to`: the same for every source, since the listener tells sources apart. */
  addressFor(from: string, to: string): string {
    this.link(from, to);
    return this.advertised(to);
  }

  link(from: string, to: string): FaultLink {
    const link = this.links.get(linkKey(from, to));
    if (link === undefined) throw new Error(`no link ${linkKey(from, to)}`);
    return link;
  }

  /**
   * Cuts every link between different groups (both ways) and reconnects every
   * link inside a group; a node in no group is cut off from everyone.
   * Loss and delay settings stay as they are.
   */
  partition(groups: readonly (readonly string[])[]): void {
    const groupOf = new Map<string, number>();
    groups.forEach((group, g) => {
      for (const id of group) {
        if (!this.dispatchers.has(id)) throw new Error(`unknown node ${id}`);
        if (groupOf.has(id)) throw new Error(`node ${id} is in two groups`);
        groupOf.set(id, g);
      }
    });
    for (const from of this.ids) {
      for (const to of this.ids) {
        if (from === to) continue;
        const gFrom = groupOf.get(from);
        const together = gFrom !== undefined && gFrom === groupOf.get(to);
        const link = this.link(from, to);
        if (together) link.unblock();
        else link.block();
      }
    }
  }

  /** Cuts every link to and from `id`; other links keep their state. */
  isolate(id: string): void {
    for (const other of this.ids) {
      if (other === id) continue;
      this.link(id, other).block();
      this.link(other, id).block();
    }
  }

  /** Removes every fault: blocks, loss and delay. */
  heal(): void {
    for (const link of this.links.values()) link.clearFaults();
  }

  /** Loses frames from `from` to `to` with probability dropRate (default: all but the Hello); the other way is untouched. */
  oneWay(from: string, to: string, dropRate = 1): void {
    this.link(from, to).setDropRate(dropRate);
  }

  delay(from: string, to: string, ms: number, jitterMs = 0): void {
    this.link(from, to).setDelay(ms, jitterMs);
  }

  /** Per link, keyed "from->to". */
  stats(): Map<string, FaultProxyStats> {
    const out = new Map<string, FaultProxyStats>();
    for (const [key, link] of this.links) out.set(key, link.stats());
    return out;
  }

  /** Connections no link could be attributed to (reset on arrival): nonzero means a node dials from an unexpected IP. */
  get unattributedConnections(): number {
    let n = 0;
    for (const d of this.dispatchers.values()) n += d.unattributed;
    return n;
  }

  /** Closes every listener and connection; resolves once nothing is left open. */
  async close(): Promise<void> {
    // Together: a listener's close waits for the sockets it accepted, which the links own.
    await Promise.all([...[...this.dispatchers.values()].map((d) => d.close()), ...[...this.links.values()].map((l) => l.close())]);
  }

  private async listen(opts: ProxyMeshOptions): Promise<void> {
    const host = opts.host ?? '127.0.0.1';
    const helloFallback = opts.helloFallback ?? true;
    const idByIp = new Map<string, string>();
    for (const n of opts.nodes) if (n.sourceIp !== undefined) idByIp.set(n.sourceIp, n.id);
    for (const to of this.ids) {
      const linkFrom = (from: string | undefined): FaultLink | undefined =>
        from === undefined || from === to ? undefined : this.links.get(linkKey(from, to));
      const d = await SourceDispatcher.start({
        listen: formatHostPort(host, 0),
        bySourceIp: (ip) => linkFrom(idByIp.get(ip)),
        byHelloFrom: helloFallback ? (id) => linkFrom(id) : null,
      });
      this.dispatchers.set(to, d);
    }
  }
}
