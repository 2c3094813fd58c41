// The box kubelet's container environment: the same rules as the real kubelet for
// what the operator's StatefulSet uses (downward API, Secret and ConfigMap refs,
// envFrom, $(VAR) expansion), plus the rewriting of volume paths to host paths.
import { describe, expect, test } from '@jest/globals';
import type { Obj } from '../box/api/json.js';
import { ContainerConfigError, expand, resolveEnv, type EnvSources } from '../box/kubelet/env.js';

const pod: Obj = { metadata: { name: 'demo-1', namespace: 'raft3d', uid: 'u-1', labels: { app: 'x' } }, spec: { nodeName: 'box-node' } };

function sources(over: Partial<EnvSources> = {}): EnvSources {
  return {
    pod,
    podIp: '10.244.1.9',
    hostIp: '10.244.0.1',
    mounts: [{ mountPath: '/var/lib/raft3d', hostPath: '/box/volumes/pvc-1' }],
    configMap: (ns, name) => (ns === 'raft3d' && name === 'demo-bootstrap' ? { data: { RAFT3D_CLUSTER_STATE: 'existing', RAFT3D_CLUSTER_ID: 'c1' } } : null),
    secret: (ns, name) => (ns === 'raft3d' && name === 'demo-token' ? { data: { token: Buffer.from('s3cret').toString('base64') } } : null),
    ...over,
  };
}

describe('kubelet environment', () => {
  test('$(VAR) expands earlier variables only; $$ escapes; unknown names stay', () => {
    const vars = new Map([['A', 'x']]);
    expect(expand('$(A).$(B).$$(A)', vars)).toBe('x.$(B).$(A)');
  });

  test("the operator's StatefulSet environment resolves as in a real pod", () => {
    const env = resolveEnv(
      {
        envFrom: [{ configMapRef: { name: 'demo-bootstrap' } }],
        env: [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'RAFT3D_RAFT', value: '$(POD_NAME).demo-headless.$(POD_NAMESPACE).svc.cluster.local:9001' },
          { name: 'RAFT3D_CLUSTER_TOKEN', valueFrom: { secretKeyRef: { name: 'demo-token', key: 'token' } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'RAFT3D_DATA', value: '/var/lib/raft3d/data' },
          { name: 'OTHER', value: '/var/lib/raft3dx' },
        ],
      },
      sources(),
    );
    expect(env).toEqual({
      RAFT3D_CLUSTER_STATE: 'existing',
      RAFT3D_CLUSTER_ID: 'c1',
      POD_NAME: 'demo-1',
      POD_NAMESPACE: 'raft3d',
      RAFT3D_RAFT: 'demo-1.demo-headless.raft3d.svc.cluster.local:9001',
      RAFT3D_CLUSTER_TOKEN: 's3cret',
      IP: '10.244.1.9',
      APP: 'x',
      RAFT3D_DATA: '/box/volumes/pvc-1/data',
      OTHER: '/var/lib/raft3dx',
    });
  });

  test('a missing Secret or key is a container config error unless optional', () => {
    const container = { env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'absent', key: 'token' } } }] };
    expect(() => resolveEnv(container, sources())).toThrow(ContainerConfigError);
    const optional = { env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 'absent', key: 'token', optional: true } } }] };
    expect(resolveEnv(optional, sources())).toEqual({});
    expect(() => resolveEnv({ envFrom: [{ configMapRef: { name: 'nope' } }] }, sources())).toThrow('configmap "nope" not found');
  });
});
