// Deployments → ReplicaSets → Pods, enough for the operator's Deployment: one
// ReplicaSet per template (pod-template-hash), Recreate (old pods gone before new
// ones start, which is what keeps two operators from ever running at once) and a
// simplified RollingUpdate (old scaled down as the new one is scaled up at once).
import { randomBytes } from 'node:crypto';
import { at, clone, isObj, num, str, type Obj } from '../api/json.js';
import type { Store } from '../api/store.js';
import { controllerRef, isControlledBy, isPodReady, isTerminating, templateHash } from './owners.js';
import { SyncLoop } from './sync-loop.js';

export class DeploymentController {
  readonly loop: SyncLoop;

  constructor(private readonly store: Store) {
    const t = (g: string, v: string, r: string) => store.typeFor(g, v, r)!;
    this.loop = new SyncLoop(store, [t('apps', 'v1', 'deployments'), t('apps', 'v1', 'replicasets'), t('', 'v1', 'pods')], () => this.syncAll());
  }

  private get types() {
    const s = this.store;
    return { deploy: s.typeFor('apps', 'v1', 'deployments')!, rs: s.typeFor('apps', 'v1', 'replicasets')!, pods: s.typeFor('', 'v1', 'pods')! };
  }

  private syncAll(): void {
    for (const d of this.store.list(this.types.deploy, null).items) this.syncDeployment(d);
    for (const rs of this.store.list(this.types.rs, null).items) this.syncReplicaSet(rs);
  }

  private syncDeployment(d: Obj): void {
    if (isTerminating(d)) return;
    const { rs: rsType, pods: podType } = this.types;
    const ns = str(at(d, 'metadata', 'namespace')) ?? '';
    const name = str(at(d, 'metadata', 'name')) ?? '';
    const uid = str(at(d, 'metadata', 'uid')) ?? '';
    const replicas = num(at(d, 'spec', 'replicas')) ?? 1;
    const hash = templateHash(at(d, 'spec', 'template'));
    const sets = this.store.list(rsType, ns).items.filter((r) => isControlledBy(r, uid));
    let current = sets.find((r) => at(r, 'metadata', 'labels', 'pod-template-hash') === hash);
    if (current === undefined) {
      const template = clone(isObj(at(d, 'spec', 'template')) ? (at(d, 'spec', 'template') as Obj) : {});
      const tm = isObj(template['metadata']) ? (template['metadata'] as Obj) : {};
      tm['labels'] = { ...(isObj(tm['labels']) ? tm['labels'] : {}), 'pod-template-hash': hash };
      template['metadata'] = tm;
      const matchLabels = { ...(isObj(at(d, 'spec', 'selector', 'matchLabels')) ? (at(d, 'spec', 'selector', 'matchLabels') as Obj) : {}), 'pod-template-hash': hash };
      current = this.store.create(rsType, ns, {
        metadata: { name: `${name}-${hash}`, labels: tm['labels'], ownerReferences: [controllerRef(d, this.types.deploy)] },
        spec: { replicas: 0, selector: { matchLabels }, template },
      });
    }
    const old = sets.filter((r) => r !== current && at(r, 'metadata', 'uid') !== at(current, 'metadata', 'uid'));
    for (const r of old) if ((num(at(r, 'spec', 'replicas')) ?? 0) !== 0) this.scale(r, 0);
    const recreate = at(d, 'spec', 'strategy', 'type') === 'Recreate';
    const oldPods = this.store.list(podType, ns).items.filter((p) => old.some((r) => isControlledBy(p, str(at(r, 'metadata', 'uid')) ?? '')));
    if (!recreate || oldPods.length === 0) {
      if ((num(at(current, 'spec', 'replicas')) ?? 0) !== replicas) this.scale(current, replicas);
    }
    const mine = this.store.list(podType, ns).items.filter((p) => [current, ...old].some((r) => isControlledBy(p, str(at(r, 'metadata', 'uid')) ?? '')));
    const ready = mine.filter((p) => !isTerminating(p) && isPodReady(p)).length;
    const updated = mine.filter((p) => isControlledBy(p, str(at(current, 'metadata', 'uid')) ?? '') && !isTerminating(p)).length;
    const status: Obj = {
      observedGeneration: at(d, 'metadata', 'generation'),
      replicas: mine.filter((p) => !isTerminating(p)).length,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: ready,
      ...(ready < replicas ? { unavailableReplicas: replicas - ready } : {}),
      conditions: [{ type: 'Available', status: ready >= replicas ? 'True' : 'False', reason: ready >= replicas ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable' }],
    };
    if (JSON.stringify(status) !== JSON.stringify(d['status'])) this.store.update(this.types.deploy, ns, name, { ...d, status }, 'status');
  }

  private scale(rs: Obj, replicas: number): void {
    const ns = str(at(rs, 'metadata', 'namespace')) ?? '';
    const name = str(at(rs, 'metadata', 'name')) ?? '';
    const live = this.store.tryGet(this.types.rs, ns, name);
    if (live === null) return;
    this.store.update(this.types.rs, ns, name, { ...live, spec: { ...(live['spec'] as Obj), replicas } });
  }

  private syncReplicaSet(rs: Obj): void {
    if (isTerminating(rs)) return;
    const podType = this.types.pods;
    const ns = str(at(rs, 'metadata', 'namespace')) ?? '';
    const name = str(at(rs, 'metadata', 'name')) ?? '';
    const uid = str(at(rs, 'metadata', 'uid')) ?? '';
    const replicas = num(at(rs, 'spec', 'replicas')) ?? 1;
    const pods = this.store.list(podType, ns).items.filter((p) => isControlledBy(p, uid) && !isTerminating(p));
    for (let i = pods.length; i < replicas; i++) {
      const template = clone(isObj(at(rs, 'spec', 'template')) ? (at(rs, 'spec', 'template') as Obj) : {});
      const tm = isObj(template['metadata']) ? (template['metadata'] as Obj) : {};
      this.store.create(podType, ns, {
        metadata: { ...tm, name: `${name}-${randomBytes(3).toString('hex').slice(0, 5)}`, ownerReferences: [controllerRef(rs, this.types.rs)] },
        spec: template['spec'] ?? {},
      });
    }
    const surplus = pods.sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b))).slice(0, Math.max(0, pods.length - replicas));
    for (const p of surplus) {
      try {
        this.store.delete(podType, ns, str(at(p, 'metadata', 'name')) ?? '', { preconditions: { uid: str(at(p, 'metadata', 'uid')) ?? '' } });
      } catch {
        // Gone already.
      }
    }
    const ready = pods.filter(isPodReady).length;
    const status: Obj = { replicas: pods.length, readyReplicas: ready, availableReplicas: ready, fullyLabeledReplicas: pods.length, observedGeneration: at(rs, 'metadata', 'generation') };
    if (JSON.stringify(status) !== JSON.stringify(rs['status'])) this.store.update(this.types.rs, ns, name, { ...rs, status }, 'status');
  }
}
