// Storage of the box: every PVC is bound at once to a new directory (a
// "PersistentVolume" pvc-<uid> under the volumes root), protected by the
// kubernetes.io/pvc-protection finalizer while a pod uses it, and its directory is
// deleted with it (reclaim policy Delete): deleting a PVC really loses the data.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { arr, at, isObj, str, type Obj } from '../api/json.js';
import type { Store } from '../api/store.js';
import { isTerminating } from './owners.js';
import { SyncLoop } from './sync-loop.js';

const PROTECTION = 'kubernetes.io/pvc-protection';

export class VolumeController {
  readonly loop: SyncLoop;

  constructor(
    private readonly store: Store,
    readonly root: string,
  ) {
    const t = (g: string, v: string, r: string) => store.typeFor(g, v, r)!;
    this.loop = new SyncLoop(store, [t('', 'v1', 'persistentvolumeclaims'), t('', 'v1', 'pods')], () => this.sync());
    mkdirSync(root, { recursive: true });
  }

  path(volumeName: string): string {
    return join(this.root, volumeName);
  }

  private sync(): void {
    const pvcs = this.store.typeFor('', 'v1', 'persistentvolumeclaims')!;
    const pods = this.store.typeFor('', 'v1', 'pods')!;
    const claims = this.store.list(pvcs, null).items;
    const allPods = this.store.list(pods, null).items;
    for (const c of claims) {
      const ns = str(at(c, 'metadata', 'namespace')) ?? '';
      const name = str(at(c, 'metadata', 'name')) ?? '';
      const finalizers = arr(at(c, 'metadata', 'finalizers')).map(String);
      if (isTerminating(c)) {
        const inUse = allPods.some((p) => at(p, 'metadata', 'namespace') === ns && arr(at(p, 'spec', 'volumes')).some((v) => isObj(v) && at(v, 'persistentVolumeClaim', 'claimName') === name));
        if (!inUse && finalizers.includes(PROTECTION)) {
          this.store.update(pvcs, ns, name, { ...c, metadata: { ...(c['metadata'] as Obj), finalizers: finalizers.filter((f) => f !== PROTECTION) } });
        }
        continue;
      }
      if (!finalizers.includes(PROTECTION)) {
        this.store.update(pvcs, ns, name, { ...c, metadata: { ...(c['metadata'] as Obj), finalizers: [...finalizers, PROTECTION] } });
        continue;
      }
      if (at(c, 'status', 'phase') !== 'Bound') {
        const volumeName = `pvc-${str(at(c, 'metadata', 'uid')) ?? ''}`;
        mkdirSync(this.path(volumeName), { recursive: true });
        const bound = this.store.update(pvcs, ns, name, { ...c, spec: { ...(c['spec'] as Obj), volumeName } });
        this.store.update(pvcs, ns, name, { ...bound, status: { phase: 'Bound', accessModes: at(c, 'spec', 'accessModes') ?? ['ReadWriteOnce'], capacity: { storage: at(c, 'spec', 'resources', 'requests', 'storage') ?? '1Gi' } } }, 'status');
      }
    }
    const live = new Set(claims.map((c) => str(at(c, 'spec', 'volumeName'))).filter((v): v is string => v !== undefined));
    for (const dir of readdirSync(this.root)) if (dir.startsWith('pvc-') && !live.has(dir)) rmSync(this.path(dir), { recursive: true, force: true });
  }
}
