// Background cascading deletion: an object whose owners (by uid) are all gone is
// deleted, as the garbage collector does for `propagationPolicy: Background`.
// Deleting a Raft3DCluster therefore removes its StatefulSet, Services, PDB,
// ConfigMap and Secret, then the pods; PVCs without owners stay.
import { arr, at, isObj, str } from '../api/json.js';
import type { Store } from '../api/store.js';
import { SyncLoop } from './sync-loop.js';

export class GarbageCollector {
  readonly loop: SyncLoop;

  constructor(private readonly store: Store) {
    this.loop = new SyncLoop(store, [], () => this.sync(), 1000);
  }

  private sync(): void {
    const all = this.store.everything();
    const uids = new Set(all.map((x) => str(at(x.object, 'metadata', 'uid'))));
    for (const { type, object } of all) {
      const refs = arr(at(object, 'metadata', 'ownerReferences')).filter(isObj);
      if (refs.length === 0 || refs.some((r) => uids.has(str(r['uid'])))) continue;
      if (at(object, 'metadata', 'deletionTimestamp') !== undefined) continue;
      try {
        this.store.delete(type, str(at(object, 'metadata', 'namespace')) ?? '', str(at(object, 'metadata', 'name')) ?? '');
      } catch {
        // Gone already.
      }
    }
  }
}
