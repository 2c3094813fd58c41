// Pod networking of the box: a bridge in the root namespace and, per pod
// incarnation, a network namespace with a veth on that bridge and an address that
// is never handed out twice in a run (a restarted pod really gets a new IP).
// Every name carries the run's id and every run its own /16, so that two boxes
// (two test runs at once) never touch each other; what a dead run left behind
// (its owner process is gone) is removed by the next one.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PREFIX = 'r3d';
const NETNS_ETC = '/etc/netns';
/** Run id → owner PID, so that leftovers of dead runs can be told from live boxes. */
const REGISTRY = '/run/raft3d-box';

export interface Sandbox {
  readonly netns: string;
  readonly ip: string;
  readonly hostsFile: string;
}

async function ip(...args: string[]): Promise<string> {
  const { stdout } = await run('ip', args, { timeout: 10_000 });
  return stdout;
}

async function ipQuiet(...args: string[]): Promise<void> {
  try {
    await ip(...args);
  } catch {
    // Already gone.
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Ids of runs whose owner process is alive (never cleaned up by others). */
function liveRuns(): Set<string> {
  const out = new Set<string>();
  let files: string[] = [];
  try {
    files = readdirSync(REGISTRY);
  } catch {
    return out;
  }
  for (const f of files) {
    const pid = Number(readFileSync(join(REGISTRY, f), 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) out.add(f);
    else rmSync(join(REGISTRY, f), { force: true });
  }
  return out;
}

/** The run id inside one of our names: r3d-<id>-<n> (netns), r3d<id>br / r3d<id>v<n> (links). */
function runIdOf(name: string): string | null {
  const m = /^r3d-([0-9a-f]{4})-\d+$/.exec(name) ?? /^r3d([0-9a-f]{4})(?:br|v\d+)$/.exec(name);
  return m ? m[1]! : null;
}

export class BoxNetwork {
  private counter = 0;
  private readonly sandboxes = new Set<string>();
  readonly id: string;
  /** The bridge's address: where pods reach the API server and anything else on the host. */
  hostIp = '';
  private subnet = '';

  constructor() {
    this.id = (process.pid % 0x10000).toString(16).padStart(4, '0');
  }

  private get bridge(): string {
    return `${PREFIX}${this.id}br`;
  }

  /** Netns are usable here (root, iproute2, a kernel with network namespaces). */
  static async available(): Promise<boolean> {
    const probe = `${PREFIX}-probe-${process.pid}`;
    try {
      await ip('netns', 'add', probe);
      await ip('netns', 'del', probe);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Removes the namespaces, links and hosts directories of runs whose owner is gone, except
   * `self`. A run registers before it creates anything and the owners are read after the
   * listing, so a box starting meanwhile is never mistaken for a leftover.
   */
  static async cleanLeftovers(self: string | null = null): Promise<void> {
    const list = await ip('netns', 'list').catch(() => '');
    const links = await ip('-o', 'link', 'show').catch(() => '');
    let dirs: string[] = [];
    try {
      dirs = readdirSync(NETNS_ETC);
    } catch {
      dirs = [];
    }
    const keep = liveRuns();
    if (self !== null) keep.delete(self);
    for (const line of list.split('\n')) {
      const name = line.split(/\s+/)[0] ?? '';
      const id = runIdOf(name);
      if (id !== null && !keep.has(id)) await ipQuiet('netns', 'del', name);
    }
    for (const line of links.split('\n')) {
      const m = /^\d+:\s+([^:@\s]+)/.exec(line);
      const id = m ? runIdOf(m[1]!) : null;
      if (id !== null && !keep.has(id)) await ipQuiet('link', 'del', m![1]!);
    }
    for (const d of dirs) {
      const id = runIdOf(d);
      if (id !== null && !keep.has(id)) rmSync(join(NETNS_ETC, d), { recursive: true, force: true });
    }
  }

  /** A /16 in 10.200-10.249 that no other bridge of ours uses. */
  private async pickSubnet(): Promise<string> {
    const addrs = await ip('-o', '-4', 'addr', 'show').catch(() => '');
    const used = new Set([...addrs.matchAll(/inet 10\.(\d+)\.0\.1\/16/g)].map((m) => Number(m[1])));
    const start = 200 + (process.pid % 50);
    for (let k = 0; k < 50; k++) {
      const octet = 200 + ((start - 200 + k) % 50);
      if (!used.has(octet)) return `10.${octet}`;
    }
    throw new Error('no free 10.2xx.0.0/16 for the box network');
  }

  async start(): Promise<void> {
    mkdirSync(REGISTRY, { recursive: true });
    // Leftovers of an earlier run that had this id (a dead process with the same PID bits) go first.
    await BoxNetwork.cleanLeftovers(this.id);
    await BoxNetwork.cleanOwn(this.id);
    writeFileSync(join(REGISTRY, this.id), String(process.pid));
    this.subnet = await this.pickSubnet();
    this.hostIp = `${this.subnet}.0.1`;
    await ip('link', 'add', this.bridge, 'type', 'bridge');
    await ip('addr', 'add', `${this.hostIp}/16`, 'dev', this.bridge);
    await ip('link', 'set', this.bridge, 'up');
  }

  async stop(): Promise<void> {
    for (const ns of [...this.sandboxes]) await this.destroy(ns);
    await BoxNetwork.cleanOwn(this.id);
    rmSync(join(REGISTRY, this.id), { force: true });
  }

  /** Everything named with this run id. */
  private static async cleanOwn(id: string): Promise<void> {
    const list = await ip('netns', 'list').catch(() => '');
    for (const line of list.split('\n')) {
      const name = line.split(/\s+/)[0] ?? '';
      if (runIdOf(name) === id) await ipQuiet('netns', 'del', name);
    }
    const links = await ip('-o', 'link', 'show').catch(() => '');
    for (const line of links.split('\n')) {
      const m = /^\d+:\s+([^:@\s]+)/.exec(line);
      if (m && runIdOf(m[1]!) === id) await ipQuiet('link', 'del', m[1]!);
    }
    let dirs: string[] = [];
    try {
      dirs = readdirSync(NETNS_ETC);
    } catch {
      dirs = [];
    }
    for (const d of dirs) if (runIdOf(d) === id) rmSync(join(NETNS_ETC, d), { recursive: true, force: true });
  }

  /**
   * A new namespace with a fresh address; its hosts file starts with `hosts`. Its resolv.conf
   * names a resolver that answers at once that it cannot help (nothing listens on the pod's own
   * 127.0.0.1:53): names outside the hosts file fail fast, as CoreDNS answers NXDOMAIN fast. The
   * host's resolver would be unreachable from the pod and every such lookup would hang for the
   * resolver timeout, holding one of libuv's four threadpool threads each.
   */
  async create(hosts: string, searchDomains: readonly string[] = []): Promise<Sandbox> {
    const n = ++this.counter;
    const netns = `${PREFIX}-${this.id}-${n}`;
    const veth = `${PREFIX}${this.id}v${n}`;
    const address = `${this.subnet}.${1 + Math.floor(n / 250)}.${(n % 250) + 2}`;
    const dir = join(NETNS_ETC, netns);
    mkdirSync(dir, { recursive: true });
    const hostsFile = join(dir, 'hosts');
    writeFileSync(hostsFile, hosts);
    writeFileSync(join(dir, 'resolv.conf'), `${searchDomains.length > 0 ? `search ${searchDomains.join(' ')}\n` : ''}nameserver 127.0.0.1\noptions ndots:5 timeout:1 attempts:1\n`);
    this.sandboxes.add(netns);
    await ip('netns', 'add', netns);
    await ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
    await ip('link', 'set', veth, 'master', this.bridge, 'up');
    await ip('-n', netns, 'addr', 'add', `${address}/16`, 'dev', 'eth0');
    await ip('-n', netns, 'link', 'set', 'eth0', 'up');
    await ip('-n', netns, 'link', 'set', 'lo', 'up');
    await ip('-n', netns, 'route', 'add', 'default', 'via', this.hostIp);
    return { netns, ip: address, hostsFile };
  }

  async destroy(netns: string): Promise<void> {
    if (!this.sandboxes.delete(netns)) return;
    await ipQuiet('netns', 'del', netns);
    rmSync(join(NETNS_ETC, netns), { recursive: true, force: true });
  }

  /** Fault knob: cuts (or restores) a pod's link to everyone else. */
  async setLink(netns: string, up: boolean): Promise<void> {
    await ip('-n', netns, 'link', 'set', 'eth0', up ? 'up' : 'down');
    if (up) await ipQuiet('-n', netns, 'route', 'add', 'default', 'via', this.hostIp);
  }

  /** argv that runs `command` inside the namespace (ip netns exec also bind-mounts its hosts file). */
  static exec(netns: string, command: readonly string[]): string[] {
    return ['ip', 'netns', 'exec', netns, ...command];
  }
}
