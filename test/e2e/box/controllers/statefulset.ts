// The StatefulSet controller, as far as Raft3D depends on it: pods <sts>-<n> for
// n < replicas with hostname/subdomain for their DNS names, one PVC per claim
// template and ordinal (retained or deleted per persistentVolumeClaimRetentionPolicy),
// Parallel or OrderedReady creation and removal, and RollingUpdate one pod at a
// time from the highest ordinal down to the partition, each only after every pod
// has been Ready for minReadySeconds. Pods always get the newest template.
import { arr, at, clone, isObj, num, str, type Obj } from '../api/json.js';
import type { Store } from '../api/store.js';
import { controllerRef, isControlledBy, isPodReady, isTerminating, readySinceMs, templateHash } from './owners.js';
import { SyncLoop } from './sync-loop.js';

export class StatefulSetController {
  readonly loop: SyncLoop;

  constructor(private readonly store: Store) {
    const t = (g: string, v: string, r: string) => store.typeFor(g, v, r)!;
    this.loop = new SyncLoop(store, [t('apps', 'v1', 'statefulsets'), t('', 'v1', 'pods'), t('', 'v1', 'persistentvolumeclaims')], () => this.syncAll());
  }

  private get types() {
    const s = this.store;
    return { sts: s.typeFor('apps', 'v1', 'statefulsets')!, pods: s.typeFor('', 'v1', 'pods')!, pvcs: s.typeFor('', 'v1', 'persistentvolumeclaims')! };
  }

  private syncAll(): void {
    for (const sts of this.store.list(this.types.sts, null).items) this.sync(sts);
  }

  private sync(sts: Obj): void {
    const { pods: podType } = this.types;
    const ns = str(at(sts, 'metadata', 'namespace')) ?? '';
    const name = str(at(sts, 'metadata', 'name')) ?? '';
    const uid = str(at(sts, 'metadata', 'uid')) ?? '';
    if (isTerminating(sts)) return;
    const replicas = num(at(sts, 'spec', 'replicas')) ?? 1;
    const parallel = at(sts, 'spec', 'podManagementPolicy') === 'Parallel';
    const revision = `${name}-${templateHash(at(sts, 'spec', 'template'))}`;
    const minReadyMs = (num(at(sts, 'spec', 'minReadySeconds')) ?? 0) * 1000;
    const owned = this.store.list(podType, ns).items.filter((p) => isControlledBy(p, uid));
    const byOrdinal = new Map<number, Obj>();
    for (const p of owned) {
      const m = /-(\d+)$/.exec(str(at(p, 'metadata', 'name')) ?? '');
      if (m && (str(at(p, 'metadata', 'name')) ?? '') === `${name}-${m[1]}`) byOrdinal.set(Number(m[1]), p);
    }
    const healthy = (p: Obj | undefined): boolean => p !== undefined && !isTerminating(p) && at(p, 'status', 'phase') === 'Running' && isPodReady(p);
    const available = (p: Obj | undefined): boolean => healthy(p) && Date.now() - (readySinceMs(p!) ?? Date.now()) >= minReadyMs;

    // Create the missing pods.
    for (let i = 0; i < replicas; i++) {
      if (byOrdinal.has(i)) continue;
      if (!parallel && [...Array(i).keys()].some((j) => !healthy(byOrdinal.get(j)))) break;
      if (!this.ensureClaims(sts, i)) continue;
      this.store.create(podType, ns, this.podFor(sts, i, revision));
      if (!parallel) break;
    }
    // Remove the pods above the size: all at once (Parallel) or the highest first (OrderedReady).
    const extra = [...byOrdinal.entries()].filter(([i]) => i >= replicas).sort((a, b) => b[0] - a[0]);
    for (const [i, p] of extra) {
      if (!isTerminating(p)) {
        this.deletePod(p);
        if (at(sts, 'spec', 'persistentVolumeClaimRetentionPolicy', 'whenScaled') === 'Delete') this.deleteClaims(sts, i);
      }
      if (!parallel) break;
    }
    // Rolling update: one outdated pod at a time, highest ordinal first, when all others are available.
    const strategy = at(sts, 'spec', 'updateStrategy', 'type') ?? 'RollingUpdate';
    const partition = num(at(sts, 'spec', 'updateStrategy', 'rollingUpdate', 'partition')) ?? 0;
    if (strategy === 'RollingUpdate') {
      const current = [...byOrdinal.entries()].filter(([i]) => i < replicas);
      const allAvailable = current.length === replicas && current.every(([, p]) => available(p));
      const outdated = current.filter(([i, p]) => i >= partition && at(p, 'metadata', 'labels', 'controller-revision-hash') !== revision).sort((a, b) => b[0] - a[0]);
      if (allAvailable && outdated.length > 0) this.deletePod(outdated[0]![1]);
    }
    this.writeStatus(sts, [...byOrdinal.entries()].filter(([i]) => i < replicas).map(([, p]) => p), revision, healthy, available);
  }

  private claimName(sts: Obj, template: Obj, ordinal: number): string {
    return `${str(at(template, 'metadata', 'name')) ?? 'data'}-${str(at(sts, 'metadata', 'name')) ?? ''}-${ordinal}`;
  }

  /** Creates the ordinal's PVCs; false while one of them is still being deleted. */
  private ensureClaims(sts: Obj, ordinal: number): boolean {
    const { pvcs, sts: stsType } = this.types;
    const ns = str(at(sts, 'metadata', 'namespace')) ?? '';
    let ready = true;
    for (const template of arr(at(sts, 'spec', 'volumeClaimTemplates')).filter(isObj)) {
      const claim = this.claimName(sts, template, ordinal);
      const existing = this.store.tryGet(pvcs, ns, claim);
      if (existing !== null) {
        if (isTerminating(existing)) ready = false;
        continue;
      }
      const deleteWithSet = at(sts, 'spec', 'persistentVolumeClaimRetentionPolicy', 'whenDeleted') === 'Delete';
      this.store.create(pvcs, ns, {
        metadata: {
          name: claim,
          labels: { ...(isObj(at(sts, 'spec', 'selector', 'matchLabels')) ? (at(sts, 'spec', 'selector', 'matchLabels') as Obj) : {}), ...(isObj(at(template, 'metadata', 'labels')) ? (at(template, 'metadata', 'labels') as Obj) : {}) },
          ...(deleteWithSet ? { ownerReferences: [{ ...controllerRef(sts, stsType), controller: false }] } : {}),
        },
        spec: clone(template['spec'] ?? {}),
      });
    }
    return ready;
  }

  private deleteClaims(sts: Obj, ordinal: number): void {
    const ns = str(at(sts, 'metadata', 'namespace')) ?? '';
    for (const template of arr(at(sts, 'spec', 'volumeClaimTemplates')).filter(isObj)) {
      try {
        this.store.delete(this.types.pvcs, ns, this.claimName(sts, template, ordinal));
      } catch {
        // Already gone.
      }
    }
  }

  private podFor(sts: Obj, ordinal: number, revision: string): Obj {
    const name = `${str(at(sts, 'metadata', 'name')) ?? ''}-${ordinal}`;
    const template = clone(isObj(at(sts, 'spec', 'template')) ? (at(sts, 'spec', 'template') as Obj) : {});
    const tm = isObj(template['metadata']) ? (template['metadata'] as Obj) : {};
    const spec = isObj(template['spec']) ? (template['spec'] as Obj) : {};
    const claims = arr(at(sts, 'spec', 'volumeClaimTemplates')).filter(isObj);
    const claimVolumes = claims.map((t) => ({ name: str(at(t, 'metadata', 'name')) ?? 'data', persistentVolumeClaim: { claimName: this.claimName(sts, t, ordinal) } }));
    const volumes = [...arr(spec['volumes']).filter((v) => !claimVolumes.some((c) => isObj(v) && v['name'] === c.name)), ...claimVolumes];
    return {
      metadata: {
        name,
        labels: { ...(isObj(tm['labels']) ? tm['labels'] : {}), 'controller-revision-hash': revision, 'statefulset.kubernetes.io/pod-name': name, 'apps.kubernetes.io/pod-index': String(ordinal) },
        ...(isObj(tm['annotations']) ? { annotations: tm['annotations'] } : {}),
        ownerReferences: [controllerRef(sts, this.types.sts)],
      },
      spec: { ...spec, hostname: name, subdomain: str(at(sts, 'spec', 'serviceName')) ?? '', volumes },
    };
  }

  private deletePod(p: Obj): void {
    try {
      this.store.delete(this.types.pods, str(at(p, 'metadata', 'namespace')) ?? '', str(at(p, 'metadata', 'name')) ?? '', { preconditions: { uid: str(at(p, 'metadata', 'uid')) ?? '' } });
    } catch {
      // Gone already.
    }
  }

  private writeStatus(sts: Obj, pods: Obj[], revision: string, healthy: (p: Obj) => boolean, available: (p: Obj) => boolean): void {
    const replicas = num(at(sts, 'spec', 'replicas')) ?? 1;
    const updated = pods.filter((p) => at(p, 'metadata', 'labels', 'controller-revision-hash') === revision).length;
    const old = isObj(sts['status']) ? (sts['status'] as Obj) : {};
    const currentRevision = updated === replicas && pods.length === replicas ? revision : (str(old['currentRevision']) ?? revision);
    const status: Obj = {
      observedGeneration: at(sts, 'metadata', 'generation'),
      replicas: pods.length,
      readyReplicas: pods.filter(healthy).length,
      availableReplicas: pods.filter(available).length,
      currentReplicas: pods.filter((p) => at(p, 'metadata', 'labels', 'controller-revision-hash') === currentRevision).length,
      updatedReplicas: updated,
      currentRevision,
      updateRevision: revision,
      collisionCount: 0,
    };
    if (JSON.stringify(status) === JSON.stringify(old)) return;
    this.store.update(this.types.sts, str(at(sts, 'metadata', 'namespace')) ?? '', str(at(sts, 'metadata', 'name')) ?? '', { ...sts, status }, 'status');
  }
}

