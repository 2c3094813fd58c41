// Pod networking of the box: a bridge in the root namespace and, per pod
// incarnation, a network namespace with a veth on that bridge and an address that
// is never handed out twice in a run (a restarted pod really gets a new IP). All
// names start with PREFIX so that leftovers of a crashed run are found and removed.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PREFIX = 'r3dbox';
const BRIDGE = `${PREFIX}0`;
const NETNS_ETC = '/etc/netns';

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

export class BoxNetwork {
  private counter = 0;
  private readonly sandboxes = new Set<string>();
  /** The bridge's address: where pods reach the API server and anything else on the host. */
  readonly hostIp = '10.244.0.1';

  /** Netns are usable here (root, iproute2, a kernel with network namespaces). */
  static async available(): Promise<boolean> {
    try {
      await ip('netns', 'add', `${PREFIX}-probe`);
      await ip('netns', 'del', `${PREFIX}-probe`);
      return true;
    } catch {
      return false;
    }
  }

  /** Removes every namespace, link and hosts directory with our prefix (a crashed run's too). */
  static async cleanLeftovers(): Promise<void> {
    const list = await ip('netns', 'list').catch(() => '');
    for (const line of list.split('\n')) {
      const name = line.split(/\s+/)[0] ?? '';
      if (name.startsWith(`${PREFIX}-`)) await ipQuiet('netns', 'del', name);
    }
    const links = await ip('-o', 'link', 'show').catch(() => '');
    for (const line of links.split('\n')) {
      const m = /^\d+:\s+([^:@\s]+)/.exec(line);
      if (m && m[1]!.startsWith(PREFIX)) await ipQuiet('link', 'del', m[1]!);
    }
    let dirs: string[] = [];
    try {
      dirs = readdirSync(NETNS_ETC);
    } catch {
      dirs = [];
    }
    for (const d of dirs) if (d.startsWith(`${PREFIX}-`)) rmSync(join(NETNS_ETC, d), { recursive: true, force: true });
  }

  async start(): Promise<void> {
    await BoxNetwork.cleanLeftovers();
    await ip('link', 'add', BRIDGE, 'type', 'bridge');
    await ip('addr', 'add', `${this.hostIp}/16`, 'dev', BRIDGE);
    await ip('link', 'set', BRIDGE, 'up');
  }

  async stop(): Promise<void> {
    for (const ns of [...this.sandboxes]) await this.destroy(ns);
    await BoxNetwork.cleanLeftovers();
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
    const netns = `${PREFIX}-${n}`;
    const veth = `${PREFIX}v${n}`;
    const address = `10.244.${1 + Math.floor(n / 250)}.${(n % 250) + 2}`;
    const dir = join(NETNS_ETC, netns);
    mkdirSync(dir, { recursive: true });
    const hostsFile = join(dir, 'hosts');
    writeFileSync(hostsFile, hosts);
    writeFileSync(join(dir, 'resolv.conf'), `${searchDomains.length > 0 ? `search ${searchDomains.join(' ')}\n` : ''}nameserver 127.0.0.1\noptions ndots:5 timeout:1 attempts:1\n`);
    this.sandboxes.add(netns);
    await ip('netns', 'add', netns);
    await ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
    await ip('link', 'set', veth, 'master', BRIDGE, 'up');
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
