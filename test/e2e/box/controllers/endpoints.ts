// EndpointSlices (and the legacy Endpoints) of every Service with a selector:
// one endpoint per pod with an IP; `ready` follows the pod's readiness, except
// that a Service with publishNotReadyAddresses publishes every pod as ready (the
// headless Service peers find each other through). Terminating pods are marked
// terminating and not ready.
import { arr, at, deepEqual, isObj, str, type Obj } from '../api/json.js';
import type { Store } from '../api/store.js';
import { controllerRef, isPodReady, isTerminating } from './owners.js';
import { SyncLoop } from './sync-loop.js';
import { matchesSelectorObject } from '../api/selectors.js';
import { resolvePort } from '../kubelet/probe.js';

export class EndpointsController {
  readonly loop: SyncLoop;

  constructor(private readonly store: Store) {
    const t = (g: string, v: string, r: string) => store.typeFor(g, v, r)!;
    this.loop = new SyncLoop(store, [t('', 'v1', 'services'), t('', 'v1', 'pods')], () => this.syncAll());
  }

  private get types() {
    const s = this.store;
    return { svc: s.typeFor('', 'v1', 'services')!, pods: s.typeFor('', 'v1', 'pods')!, slices: s.typeFor('discovery.k8s.io', 'v1', 'endpointslices')!, eps: s.typeFor('', 'v1', 'endpoints')! };
  }

  private syncAll(): void {
    const { svc, slices, eps } = this.types;
    const services = this.store.list(svc, null).items;
    for (const s of services) this.sync(s);
    // Slices and Endpoints of deleted Services.
    for (const [type, label] of [[slices, true], [eps, false]] as const) {
      for (const o of this.store.list(type, null).items) {
        const ns = str(at(o, 'metadata', 'namespace')) ?? '';
        const svcName = label ? str(at(o, 'metadata', 'labels', 'kubernetes.io/service-name')) : str(at(o, 'metadata', 'name'));
        if (at(o, 'metadata', 'labels', 'endpointslice.kubernetes.io/managed-by') !== 'box' && label) continue;
        if (!label && at(o, 'metadata', 'labels', 'box/managed') !== 'true') continue;
        if (!services.some((s) => at(s, 'metadata', 'namespace') === ns && at(s, 'metadata', 'name') === svcName)) {
          try {
            this.store.delete(type, ns, str(at(o, 'metadata', 'name')) ?? '');
          } catch {
            // Gone already.
          }
        }
      }
    }
  }

  private sync(svc: Obj): void {
    const selector = at(svc, 'spec', 'selector');
    if (!isObj(selector) || Object.keys(selector).length === 0) return;
    const { pods: podType, slices, eps } = this.types;
    const ns = str(at(svc, 'metadata', 'namespace')) ?? '';
    const name = str(at(svc, 'metadata', 'name')) ?? '';
    const publishNotReady = at(svc, 'spec', 'publishNotReadyAddresses') === true;
    const pods = this.store
      .list(podType, ns)
      .items.filter((p) => matchesSelectorObject({ matchLabels: selector }, (isObj(at(p, 'metadata', 'labels')) ? at(p, 'metadata', 'labels') : {}) as Record<string, string>))
      .filter((p) => typeof at(p, 'status', 'podIP') === 'string');
    const svcPorts = arr(at(svc, 'spec', 'ports')).filter(isObj);
    const container = (p: Obj): Obj => (arr(at(p, 'spec', 'containers')).filter(isObj)[0] ?? {}) as Obj;
    const portsOf = (p: Obj): Obj[] =>
      svcPorts.map((sp) => {
        let port: number;
        try {
          port = resolvePort(container(p), sp['targetPort'] ?? sp['port']);
        } catch {
          port = Number(sp['port']);
        }
        return { ...(sp['name'] !== undefined ? { name: sp['name'] } : {}), port, protocol: sp['protocol'] ?? 'TCP' };
      });
    const endpoints = pods.map((p) => {
      const terminating = isTerminating(p);
      const ready = publishNotReady ? true : isPodReady(p) && !terminating;
      const hostname = at(p, 'spec', 'subdomain') === name ? str(at(p, 'spec', 'hostname')) : undefined;
      return {
        addresses: [at(p, 'status', 'podIP')],
        conditions: { ready, serving: publishNotReady || isPodReady(p), terminating },
        ...(hostname !== undefined ? { hostname } : {}),
        nodeName: at(p, 'spec', 'nodeName'),
        targetRef: { kind: 'Pod', namespace: ns, name: at(p, 'metadata', 'name'), uid: at(p, 'metadata', 'uid') },
      };
    });
    const ports = pods.length > 0 ? portsOf(pods[0]!) : svcPorts.map((sp) => ({ ...(sp['name'] !== undefined ? { name: sp['name'] } : {}), port: Number(sp['port']), protocol: sp['protocol'] ?? 'TCP' }));
    const sliceName = `${name}-box`;
    const slice: Obj = {
      metadata: {
        name: sliceName,
        namespace: ns,
        labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'box' },
        ownerReferences: [{ ...controllerRef(svc, this.types.svc), blockOwnerDeletion: true }],
      },
      addressType: 'IPv4',
      endpoints,
      ports,
    };
    this.put(slices, ns, sliceName, slice);
    const address = (p: Obj): Obj => ({ ip: at(p, 'status', 'podIP'), ...(at(p, 'spec', 'subdomain') === name ? { hostname: at(p, 'spec', 'hostname') } : {}), nodeName: at(p, 'spec', 'nodeName'), targetRef: { kind: 'Pod', namespace: ns, name: at(p, 'metadata', 'name'), uid: at(p, 'metadata', 'uid') } });
    const readyPods = pods.filter((p) => publishNotReady || (isPodReady(p) && !isTerminating(p)));
    const notReady = pods.filter((p) => !readyPods.includes(p));
    const endpointsObj: Obj = {
      metadata: { name, namespace: ns, labels: { 'box/managed': 'true' } },
      subsets: pods.length === 0 ? [] : [{ ...(readyPods.length > 0 ? { addresses: readyPods.map(address) } : {}), ...(notReady.length > 0 ? { notReadyAddresses: notReady.map(address) } : {}), ports }],
    };
    this.put(eps, ns, name, endpointsObj);
  }

  private put(type: ReturnType<Store['typeFor']> & object, ns: string, name: string, desired: Obj): void {
    const existing = this.store.tryGet(type, ns, name);
    if (existing === null) {
      this.store.create(type, ns, desired);
      return;
    }
    const { metadata: _m, apiVersion: _a, kind: _k, ...want } = desired;
    const { metadata: _m2, apiVersion: _a2, kind: _k2, ...have } = existing;
    if (deepEqual(want, have)) return;
    this.store.update(type, ns, name, { ...want, metadata: existing['metadata'] });
  }
}
