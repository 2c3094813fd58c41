// k8s/ must be exactly what `npm run k8s:render` produces from the chart, build with
// kustomize, and the kind configuration must expose the ingress controller.
import { describe, test, expect } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { handWritten, k8sDir, renderK8s } from '../../scripts/render-k8s.mjs';
import { at, kubectlBinary, parseManifests } from '../support/helm.js';
import { hasModel, validateModel } from '../support/k8s-schemas.js';

const rendered = renderK8s();

describe('k8s/ is the chart, rendered', () => {
  test('the same files, byte for byte (run `npm run k8s:render` after changing the chart or the CRD)', () => {
    const committed = readdirSync(k8sDir).filter((f) => !handWritten.has(f)).sort();
    expect(committed).toEqual([...rendered.keys()].sort());
    for (const [name, text] of rendered) expect({ [name]: readFileSync(join(k8sDir, name), 'utf8') }).toEqual({ [name]: text });
  });

  test('kustomization.yaml lists every generated manifest, and kustomize builds all of them', () => {
    const kustomization = parse(readFileSync(join(k8sDir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    const manifests = [...rendered.keys()].filter((f) => f !== 'kustomization.yaml').sort();
    expect(kustomization.resources).toEqual(manifests);
    const built = parseManifests(execFileSync(kubectlBinary(), ['kustomize', k8sDir], { encoding: 'utf8', timeout: 60_000 }));
    expect(built.map((r) => `${r.object.kind}/${r.object.metadata.name}`).sort()).toEqual(
      manifests.map((f) => parseManifests(readFileSync(join(k8sDir, f), 'utf8'))[0]!.object).map((o) => `${o.kind}/${o.metadata.name}`).sort(),
    );
  });

  test('the install: namespace raft3d under the restricted Pod Security profile, cluster "demo", Ingress on, no helm test pod', () => {
    const objects = [...rendered.entries()].filter(([f]) => f !== 'kustomization.yaml').flatMap(([, text]) => parseManifests(text));
    const namespace = objects.find((r) => r.object.kind === 'Namespace')!.object;
    expect(namespace.metadata).toEqual({ name: 'raft3d', labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' } });
    expect(objects.map((r) => r.object.kind)).toEqual(expect.arrayContaining(['CustomResourceDefinition', 'Deployment', 'Ingress', 'Raft3DCluster']));
    expect(objects.map((r) => r.object.kind)).not.toContain('Pod');
    for (const { object } of objects) {
      if (object.kind !== 'Raft3DCluster') expect(hasModel(object) ? validateModel(object) : ['no schema']).toEqual([]);
      if (object.kind !== 'Namespace' && object.kind !== 'CustomResourceDefinition') expect(object.metadata.namespace).toBe('raft3d');
    }
    expect(objects.find((r) => r.object.kind === 'Raft3DCluster')!.object.metadata.name).toBe('demo');
  });
});

describe('kind configuration', () => {
  const config = parse(readFileSync(join(k8sDir, 'kind-config.yaml'), 'utf8')) as { kind: string; apiVersion: string; nodes: Record<string, unknown>[] };

  test('maps host ports 80 and 443 to the ingress-ready control-plane node', () => {
    expect(config.kind).toBe('Cluster');
    expect(config.apiVersion).toBe('kind.x-k8s.io/v1alpha4');
    const control = config.nodes.find((n) => n['role'] === 'control-plane')!;
    expect(at(control, 'extraPortMappings')).toEqual([
      { containerPort: 80, hostPort: 80, protocol: 'TCP' },
      { containerPort: 443, hostPort: 443, protocol: 'TCP' },
    ]);
    const patch = parse(String(at(control, 'kubeadmConfigPatches', 0))) as Record<string, unknown>;
    expect(at(patch, 'nodeRegistration', 'kubeletExtraArgs', 'node-labels')).toBe('ingress-ready=true');
  });
});
