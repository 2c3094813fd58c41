// Cluster DNS of the box, served through each pod's /etc/hosts (ip netns exec
// bind-mounts /etc/netns/<ns>/hosts over it, and glibc reads it on every lookup,
// so a rewrite is seen at once). Records come from the EndpointSlices of headless
// Services, as CoreDNS builds `<hostname>.<service>.<ns>.svc.<domain>`: a pod
// that is not published yet does not resolve. publishDelayMs holds new records
// back, like a cached negative answer.
import { writeFileSync } from 'node:fs';
import { arr, at, isObj, str } from '../api/json.js';
import type { Store } from '../api/store.js';

export interface DnsOptions {
  readonly domain: string;
  readonly publishDelayMs: number;
}

interface Registered {
  readonly hostsFile: string;
  /** This pod's own line (the kubelet-managed part of /etc/hosts). */
  readonly own: string;
}

export class ClusterDns {
  private readonly files = new Map<string, Registered>();
  private readonly firstSeen = new Map<string, number>();
  private published = '';
  private timer: NodeJS.Timeout | null = null;
  private pending = false;
  private unsubscribe: (() => void)[] = [];

  constructor(
    private readonly store: Store,
    private readonly opts: DnsOptions,
  ) {}

  start(): void {
    const slices = this.store.typeFor('discovery.k8s.io', 'v1', 'endpointslices')!;
    const services = this.store.typeFor('', 'v1', 'services')!;
    const rv = this.store.resourceVersion;
    const kick = (): void => {
      if (this.pending) return;
      this.pending = true;
      setImmediate(() => {
        this.pending = false;
        this.refresh();
      });
    };
    this.unsubscribe.push(this.store.watch(slices, null, rv, () => true, () => true, kick));
    this.unsubscribe.push(this.store.watch(services, null, rv, () => true, () => true, kick));
    this.refresh();
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  register(netns: string, hostsFile: string, own: string): string {
    this.files.set(netns, { hostsFile, own });
    return this.content(own, this.published);
  }

  unregister(netns: string): void {
    this.files.delete(netns);
  }

  /** name → addresses, as currently published. */
  records(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const line of this.published.split('\n')) {
      const [address, name] = line.split(/\s+/);
      if (address === undefined || name === undefined) continue;
      out.set(name, [...(out.get(name) ?? []), address]);
    }
    return out;
  }

  private desired(): { name: string; ip: string }[] {
    const services = this.store.typeFor('', 'v1', 'services')!;
    const slices = this.store.typeFor('discovery.k8s.io', 'v1', 'endpointslices')!;
    const out: { name: string; ip: string }[] = [];
    for (const slice of this.store.list(slices, null).items) {
      const ns = str(at(slice, 'metadata', 'namespace')) ?? '';
      const svcName = str(at(slice, 'metadata', 'labels', 'kubernetes.io/service-name'));
      if (svcName === undefined) continue;
      const svc = this.store.tryGet(services, ns, svcName);
      if (svc === null || at(svc, 'spec', 'clusterIP') !== 'None') continue;
      const notReadyToo = at(svc, 'spec', 'publishNotReadyAddresses') === true;
      for (const ep of arr(slice['endpoints']).filter(isObj)) {
        const hostname = str(ep['hostname']);
        const address = str(arr(ep['addresses'])[0]);
        if (hostname === undefined || address === undefined) continue;
        if (!notReadyToo && at(ep, 'conditions', 'ready') !== true) continue;
        out.push({ name: `${hostname}.${svcName}.${ns}.svc.${this.opts.domain}`, ip: address });
      }
    }
    return out;
  }

  private refresh(): void {
    const now = Date.now();
    const wanted = this.desired();
    const keys = new Set(wanted.map((r) => `${r.ip} ${r.name}`));
    for (const k of [...this.firstSeen.keys()]) if (!keys.has(k)) this.firstSeen.delete(k);
    let nextDue = Infinity;
    const lines: string[] = [];
    for (const k of [...keys].sort()) {
      const seen = this.firstSeen.get(k) ?? now;
      this.firstSeen.set(k, seen);
      const due = seen + this.opts.publishDelayMs;
      if (due <= now) lines.push(k);
      else nextDue = Math.min(nextDue, due);
    }
    if (nextDue !== Infinity) {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = null;
        this.refresh();
      }, nextDue - now + 5);
    }
    const published = lines.join('\n');
    if (published === this.published) return;
    this.published = published;
    for (const f of this.files.values()) {
      try {
        // In place (same inode): the bind mount inside the pod's namespace keeps pointing at it.
        writeFileSync(f.hostsFile, this.content(f.own, published));
      } catch {
        // The sandbox went away meanwhile.
      }
    }
  }

  private content(own: string, records: string): string {
    return `# managed by the cluster-in-a-box\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${own}\n${records}\n`;
  }
}

