// The fake API server on the wire, with the real clients: the operator's
// client-node KubeApi (typed calls, merge patches with preconditions, informers
// through dropped watches and 410 Gone) and kubectl (discovery, apply, get with
// server-side tables, scale through the scale subresource, delete).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { isConflict } from '../../../src/operator/kube-api.js';
import { ClientNodeKubeApi } from '../../../src/operator/kube-api-client.js';
import { kubectlBinary } from '../../../scripts/k8s-tools.mjs';
import { at } from '../box/api/json.js';
import { FakeApiServer } from '../box/api/server.js';
import { Store } from '../box/api/store.js';
import { run } from '../box/box.js';

let server: FakeApiServer;
let store: Store;
let dir: string;
let kubeconfig: string;
let kube: ClientNodeKubeApi;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ms: number, f: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const kubectl = (...args: string[]) => run(kubectlBinary(), args, { KUBECONFIG: kubeconfig }, 30_000);

const sts = (name: string, labels: Record<string, string>) => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name, labels },
  spec: { replicas: 1, serviceName: name, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'raft3d:test' }] } } },
});

const MANAGED = { 'app.kubernetes.io/name': 'raft3d', 'app.kubernetes.io/managed-by': 'raft3d-operator', 'app.kubernetes.io/instance': 'demo' };

beforeAll(async () => {
  store = new Store();
  store.create(store.typeFor('', 'v1', 'namespaces')!, '', { metadata: { name: 'ns' } });
  server = new FakeApiServer(store, { host: '127.0.0.1', watchTimeoutMs: 60_000 });
  await server.start();
  dir = mkdtempSync(join(tmpdir(), 'raft3d-wire-'));
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: b\n  cluster: {server: "${server.url}", insecure-skip-tls-verify: true}\nusers:\n- name: b\n  user: {token: t}\ncontexts:\n- name: b\n  context: {cluster: b, user: b, namespace: ns}\ncurrent-context: b\n`,
  );
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  kube = new ClientNodeKubeApi(kc);
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the operator client against the fake API server', () => {
  test('create, read, scale with a resourceVersion precondition (409 when stale), 404 as null', async () => {
    await kube.createStatefulSet('ns', sts('demo', MANAGED));
    const live = await kube.getStatefulSet('ns', 'demo');
    const rv = live?.metadata?.resourceVersion ?? '';
    await kube.scaleStatefulSet('ns', 'demo', 2, rv);
    expect((await kube.getStatefulSet('ns', 'demo'))?.spec?.replicas).toBe(2);
    const stale = await kube.scaleStatefulSet('ns', 'demo', 3, rv).then(() => null, (e: unknown) => e);
    expect(isConflict(stale)).toBe(true);
    expect((await kube.getStatefulSet('ns', 'demo'))?.spec?.replicas).toBe(2);
    expect(await kube.getStatefulSet('ns', 'nope')).toBeNull();
    await kube.createSecret('ns', { metadata: { name: 'tok' }, stringData: { token: 'sekret' } });
    expect(Buffer.from((await kube.getSecret('ns', 'tok'))?.data?.['token'] ?? '', 'base64').toString()).toBe('sekret');
    await kube.createConfigMap('ns', { metadata: { name: 'cm' }, data: { A: '1' } });
    await kube.patchConfigMapData('ns', 'cm', { B: '2' });
    expect((await kube.getConfigMap('ns', 'cm'))?.data).toEqual({ A: '1', B: '2' });
  });

  test('an informer keeps its cache through dropped watches and 410 Gone', async () => {
    const inf = kube.informer('statefulsets', 'ns');
    const seen: string[] = [];
    const errors: unknown[] = [];
    inf.on('add', (o: KubernetesObject) => seen.push(`add:${o.metadata?.name ?? ''}`));
    inf.on('update', (o: KubernetesObject) => seen.push(`update:${o.metadata?.name ?? ''}:${String(at(o, 'spec', 'replicas'))}`));
    inf.on('error', (e?: unknown) => errors.push(e));
    await inf.start();
    await until('the initial list', 5000, () => seen.includes('add:demo'));
    const stsType = store.typeFor('apps', 'v1', 'statefulsets')!;
    // An unmanaged StatefulSet is filtered out by the informer's label selector.
    store.create(stsType, 'ns', sts('other', { app: 'x' }));
    expect(server.dropWatches()).toBeGreaterThan(0);
    await sleep(300);
    const cur = store.get(stsType, 'ns', 'demo');
    store.update(stsType, 'ns', 'demo', { ...cur, spec: { ...(cur['spec'] as object), replicas: 4 } });
    await until('the update after a dropped watch', 5000, () => seen.includes('update:demo:4'));
    server.expireWatches();
    await sleep(300);
    store.create(stsType, 'ns', sts('late', MANAGED));
    await until('an object created after the 410', 8000, () => seen.includes('add:late'));
    expect(inf.list().map((o) => o.metadata?.name).sort()).toEqual(['demo', 'late']);
    expect(seen.some((s) => s.includes('other'))).toBe(false);
    expect(errors).toEqual([]);
    const watches = server.log.filter((l) => l.path.includes('watch=true'));
    expect(watches.length).toBeGreaterThanOrEqual(3);
    await inf.stop();
  });
});

describe('kubectl against the fake API server', () => {
  test('apply, get (server-side table), scale through the scale subresource, delete', async () => {
    const file = join(dir, 'web.yaml');
    writeFileSync(file, JSON.stringify(sts('web', { app: 'web' })));
    const applied = await kubectl('apply', '-f', file);
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toContain('statefulset.apps/web created');
    const get = await kubectl('get', 'statefulsets');
    expect(get.stdout).toMatch(/^NAME\s+READY\s+AGE/);
    expect(get.stdout).toMatch(/\nweb\s+0\/1\s+/);
    const scaled = await kubectl('scale', 'statefulset/web', '--replicas=3');
    expect(scaled.stdout).toContain('scaled');
    expect(at(store.get(store.typeFor('apps', 'v1', 'statefulsets')!, 'ns', 'web'), 'spec', 'replicas')).toBe(3);
    expect(server.log.some((l) => l.method === 'PATCH' && l.path.startsWith('/apis/apps/v1/namespaces/ns/statefulsets/web/scale'))).toBe(true);
    const jsonpath = await kubectl('get', 'sts', 'web', '-o', 'jsonpath={.spec.replicas}');
    expect(jsonpath.stdout).toBe('3');
    const del = await kubectl('delete', 'statefulset', 'web');
    expect(del.stdout).toContain('deleted');
    expect((await kubectl('get', 'sts', 'web')).stderr).toContain('NotFound');
  });
});
