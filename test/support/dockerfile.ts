// A small Dockerfile reader: enough to check stages and instructions as text.

export interface Instruction {
  readonly instruction: string;
  readonly args: string;
}

export interface Stage {
  readonly name: string;
  /** Base image with global ARG defaults substituted. */
  readonly from: string;
  readonly instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(`${pending}${line}`.trim());
    pending = '';
  }
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(line)!;
    const instruction = m[1]!.toUpperCase();
    const args = m[2]!.replace(/\s+/g, ' ').trim();
    if (instruction === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!f) throw new Error(`cannot read FROM ${args}`);
      const from = f[1]!.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_all, name: string) => globalArgs.get(name) ?? '');
      stages.push({ name: f[2] ?? String(stages.length), from, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction !== 'ARG') throw new Error(`${instruction} before the first FROM`);
      const a = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(args);
      if (a) globalArgs.set(a[1]!, a[2] ?? '');
    } else {
      stages[stages.length - 1]!.instructions.push({ instruction, args });
    }
  }
  return stages;
}
