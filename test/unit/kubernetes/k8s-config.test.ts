import { describe, test, expect } from '@jest/globals';
import { kubernetesConfigFromEnv, peerHttpAddresses, KubernetesConfigError } from '../../../src/kubernetes/k8s-config.js';
import { ConfigError, helpText, loadNodeConfig } from '../../../src/config/node-config.js';

const base = { RAFT3D_K8S_HEADLESS_SERVICE: 'farm-headless', POD_NAME: 'farm-2', POD_NAMESPACE: 'prints' };

describe('kubernetesConfigFromEnv', () => {
  test('off without the headless service', () => {
    expect(kubernetesConfigFromEnv({ POD_NAME: 'farm-0', POD_NAMESPACE: 'x' })).toBeNull();
  });

  test('identity and defaults from the pod', () => {
    expect(kubernetesConfigFromEnv(base)).toEqual({
      podName: 'farm-2',
      namespace: 'prints',
      statefulSet: 'farm',
      ordinal: 2,
      headlessService: 'farm-headless',
      clusterDomain: 'cluster.local',
      expectedReplicas: 1,
      maxReplicas: 9,
      clusterState: undefined,
      expectedClusterId: undefined,
    });
  });

  test('bootstrap ConfigMap values and counts', () => {
    const c = kubernetesConfigFromEnv({ ...base, RAFT3D_CLUSTER_STATE: 'existing', RAFT3D_CLUSTER_ID: 'abc', RAFT3D_K8S_EXPECTED_REPLICAS: '12', RAFT3D_K8S_CLUSTER_DOMAIN: 'k.example' });
    expect(c).toMatchObject({ clusterState: 'existing', expectedClusterId: 'abc', expectedReplicas: 12, maxReplicas: 12, clusterDomain: 'k.example' });
  });

  test.each([
    [{ ...base, POD_NAME: undefined }, /POD_NAME and POD_NAMESPACE/],
    [{ ...base, POD_NAME: 'farm' }, /<name>-<ordinal>/],
    [{ ...base, RAFT3D_CLUSTER_STATE: 'maybe' }, /new or existing/],
    [{ ...base, RAFT3D_K8S_EXPECTED_REPLICAS: '0' }, /1\.\.1000/],
    [{ ...base, RAFT3D_K8S_HEADLESS_SERVICE: 'Farm_Headless' }, /DNS label/],
  ])('rejects %p', (env, message) => {
    expect(() => kubernetesConfigFromEnv(env)).toThrow(KubernetesConfigError);
    expect(() => kubernetesConfigFromEnv(env)).toThrow(message);
  });

  test('peers are the other ordinals under the headless service, never IPs', () => {
    const c = kubernetesConfigFromEnv({ ...base, RAFT3D_K8S_MAX_REPLICAS: '4' })!;
    expect(peerHttpAddresses(c, 8001)).toEqual([0, 1, 3].map((o) => ({ ordinal: o, name: `farm-${o}`, httpAddress: `farm-${o}.farm-headless.prints.svc.cluster.local:8001` })));
  });
});

describe('loadNodeConfig in Kubernetes mode', () => {
  test('id, advertised addresses, listeners and data directory come from the pod', () => {
    const c = loadNodeConfig([], base);
    expect(c).toMatchObject({
      id: 'farm-2',
      http: 'farm-2.farm-headless.prints.svc.cluster.local:8001',
      httpListen: '0.0.0.0:8001',
      raft: 'farm-2.farm-headless.prints.svc.cluster.local:9001',
      raftListen: '0.0.0.0:9001',
      dataDir: '/var/lib/raft3d/data',
      bootstrap: false,
    });
    expect(c.kubernetes?.ordinal).toBe(2);
  });

  test('explicit variables still win; empty ones do not', () => {
    const c = loadNodeConfig([], { ...base, RAFT3D_DATA: '/data/x', RAFT3D_HTTP: '' });
    expect(c.dataDir).toBe('/data/x');
    expect(c.http).toBe('farm-2.farm-headless.prints.svc.cluster.local:8001');
  });

  test('outside Kubernetes nothing changes', () => {
    const c = loadNodeConfig(['-id=n1', '-http=127.0.0.1:8001', '-raft=127.0.0.1:9001'], {});
    expect(c.kubernetes).toBeUndefined();
    expect(c.dataDir).toBe('./data/n1');
  });

  test('errors surface as ConfigError; --help lists the variables', () => {
    expect(() => loadNodeConfig([], { ...base, POD_NAMESPACE: '' })).toThrow(ConfigError);
    expect(helpText()).toContain('RAFT3D_K8S_HEADLESS_SERVICE');
    expect(helpText()).toContain('RAFT3D_CLUSTER_STATE');
  });
});
