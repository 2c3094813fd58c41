// The Pod Security Standards "restricted" profile, as far as a manifest shows it.
// The rendered k8s/ namespace enforces this profile, so every pod the chart renders must pass.

export interface PodSpecLike {
  readonly securityContext?: Record<string, unknown>;
  readonly containers?: readonly Record<string, unknown>[];
  readonly initContainers?: readonly Record<string, unknown>[];
  readonly volumes?: readonly Record<string, unknown>[];
  readonly hostNetwork?: boolean;
  readonly hostPID?: boolean;
  readonly hostIPC?: boolean;
}

const ALLOWED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

/** Violations of the restricted profile ([] when the pod spec complies). */
export function restrictedViolations(spec: PodSpecLike): string[] {
  const out: string[] = [];
  const pod = spec.securityContext ?? {};
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) out.push('host namespaces');
  for (const v of spec.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (type === undefined || !ALLOWED_VOLUMES.has(type)) out.push(`volume ${String(v['name'])} of type ${String(type)}`);
  }
  const podSeccomp = (pod['seccompProfile'] as { type?: string } | undefined)?.type;
  if (pod['runAsUser'] === 0) out.push('pod runAsUser 0');
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    const name = String(c['name']);
    const sc = (c['securityContext'] as Record<string, unknown> | undefined) ?? {};
    if (sc['privileged'] === true) out.push(`${name}: privileged`);
    if (sc['allowPrivilegeEscalation'] !== false) out.push(`${name}: allowPrivilegeEscalation must be false`);
    const caps = (sc['capabilities'] as { drop?: string[]; add?: string[] } | undefined) ?? {};
    if (!(caps.drop ?? []).includes('ALL')) out.push(`${name}: capabilities must drop ALL`);
    for (const cap of caps.add ?? []) if (cap !== 'NET_BIND_SERVICE') out.push(`${name}: adds capability ${cap}`);
    if ((sc['runAsNonRoot'] ?? pod['runAsNonRoot']) !== true) out.push(`${name}: runAsNonRoot must be true`);
    if (sc['runAsUser'] === 0) out.push(`${name}: runAsUser 0`);
    const seccomp = (sc['seccompProfile'] as { type?: string } | undefined)?.type ?? podSeccomp;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push(`${name}: seccompProfile must be RuntimeDefault or Localhost`);
    for (const p of (c['ports'] as { hostPort?: number }[] | undefined) ?? []) if (p.hostPort) out.push(`${name}: hostPort`);
  }
  return out;
}
