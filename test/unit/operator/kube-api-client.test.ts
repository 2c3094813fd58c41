import { describe, test, expect, beforeAll, afterAll } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { ClientNodeKubeApi } from '../../../src/operator/kube-api-client.js';
import { KubeApiError } from '../../../src/operator/kube-api.js';

interface Req {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  body: unknown;
}

const requests: Req[] = [];
let server: Server;
let api: ClientNodeKubeApi;
let watchResponse: ServerResponse | null = null;

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const status404 = { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'not found', reason: 'NotFound', code: 404 };

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const r: Req = { method: req.method ?? '', path: url.pathname, query: url.searchParams, contentType: req.headers['content-type'], body: raw === '' ? null : JSON.parse(raw) };
      requests.push(r);
      const p = r.path;
      if (p === '/apis/raft3d.io/v1alpha1/namespaces/ns/raft3dclusters/gone') return reply(res, 404, status404);
      if (p === '/apis/raft3d.io/v1alpha1/namespaces/ns/raft3dclusters/farm' && r.method === 'GET') return reply(res, 200, { apiVersion: 'raft3d.io/v1alpha1', kind: 'Raft3DCluster', metadata: { name: 'farm', namespace: 'ns' }, spec: { image: 'x' } });
      if (p.endsWith('/status') || r.method === 'PATCH') return reply(res, 200, { metadata: { name: 'x' } });
      if (p === '/api/v1/namespaces/ns/services' && r.method === 'POST') return reply(res, 409, { ...status404, reason: 'AlreadyExists', code: 409, message: 'already exists' });
      if (p === '/api/v1/namespaces/ns/persistentvolumeclaims') return reply(res, 200, { kind: 'PersistentVolumeClaimList', apiVersion: 'v1', metadata: {}, items: [{ metadata: { name: 'data-farm-0' } }, { metadata: { name: 'data-farm-1' } }] });
      if (p === '/api/v1/namespaces/ns/pods/farm-1' && r.method === 'DELETE') return reply(res, 200, { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'farm-1' } });
      if (p === '/apis/apps/v1/namespaces/ns/statefulsets' && r.query.get('watch') === null) {
        return reply(res, 200, { kind: 'StatefulSetList', apiVersion: 'apps/v1', metadata: { resourceVersion: '10' }, items: [{ metadata: { name: 'farm', namespace: 'ns', resourceVersion: '9', labels: { 'app.kubernetes.io/instance': 'farm' } } }] });
      }
      if (p === '/apis/apps/v1/namespaces/ns/statefulsets') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(`${JSON.stringify({ type: 'MODIFIED', object: { kind: 'StatefulSet', apiVersion: 'apps/v1', metadata: { name: 'farm', namespace: 'ns', resourceVersion: '11', labels: { 'app.kubernetes.io/instance': 'farm' } } } })}\n`);
        watchResponse = res;
        return;
      }
      if (p === '/api/v1/namespaces/ns/pods') return reply(res, 500, { ...status404, code: 500, reason: 'InternalError', message: 'boom' });
      reply(res, 404, status404);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'op' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'op' }],
    currentContext: 'fake',
  });
  api = new ClientNodeKubeApi(kc);
});

afterAll(async () => {
  watchResponse?.end();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const last = (): Req => requests[requests.length - 1]!;

describe('ClientNodeKubeApi on the wire', () => {
  test('reads: a custom resource, 404 as null, PVC names', async () => {
    expect(await api.getCluster('ns', 'farm')).toMatchObject({ metadata: { name: 'farm' } });
    expect(await api.getCluster('ns', 'gone')).toBeNull();
    expect(await api.listPersistentVolumeClaimNames('ns')).toEqual(['data-farm-0', 'data-farm-1']);
  });

  test('every patch is a JSON merge patch with the field manager; scaling carries the resourceVersion precondition', async () => {
    await api.patchClusterStatus('ns', 'farm', { clusterId: 'c1' });
    expect(last()).toMatchObject({ method: 'PATCH', path: '/apis/raft3d.io/v1alpha1/namespaces/ns/raft3dclusters/farm/status', contentType: 'application/merge-patch+json', body: { status: { clusterId: 'c1' } } });
    expect(last().query.get('fieldManager')).toBe('raft3d-operator');
    await api.scaleStatefulSet('ns', 'farm', 4, '77');
    expect(last()).toMatchObject({ method: 'PATCH', path: '/apis/apps/v1/namespaces/ns/statefulsets/farm', contentType: 'application/merge-patch+json', body: { metadata: { resourceVersion: '77' }, spec: { replicas: 4 } } });
    await api.patchConfigMapData('ns', 'farm-bootstrap', { RAFT3D_CLUSTER_STATE: 'existing' });
    expect(last()).toMatchObject({ method: 'PATCH', path: '/api/v1/namespaces/ns/configmaps/farm-bootstrap', contentType: 'application/merge-patch+json', body: { data: { RAFT3D_CLUSTER_STATE: 'existing' } } });
  });

  test('deleting a pod names its uid as a precondition; conflicts surface as KubeApiError 409', async () => {
    await api.deletePod('ns', 'farm-1', 'uid-7');
    expect(last()).toMatchObject({ method: 'DELETE', path: '/api/v1/namespaces/ns/pods/farm-1', body: { preconditions: { uid: 'uid-7' } } });
    const err = await api.createService('ns', { metadata: { name: 'farm' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ status: 409 });
  });

  test('informers: list then watch with the managed label selector; a failing list reports an error', async () => {
    const inf = api.informer('statefulsets', 'ns');
    const seen: string[] = [];
    inf.on('add', (o: KubernetesObject) => seen.push(`add ${o.metadata?.resourceVersion}`));
    inf.on('update', (o: KubernetesObject) => seen.push(`update ${o.metadata?.resourceVersion}`));
    await inf.start();
    const deadline = Date.now() + 3000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['add 9', 'update 11']);
    const watch = requests.find((r) => r.path === '/apis/apps/v1/namespaces/ns/statefulsets' && r.query.get('watch') === 'true');
    expect(watch?.query.get('labelSelector')).toBe('app.kubernetes.io/name=raft3d,app.kubernetes.io/managed-by=raft3d-operator');
    await inf.stop();

    const pods = api.informer('pods', 'ns');
    const errors: unknown[] = [];
    pods.on('error', (e) => errors.push(e));
    await pods.start().catch((e: unknown) => errors.push(e));
    expect(errors.length).toBeGreaterThan(0);
    await pods.stop();
  });
});
