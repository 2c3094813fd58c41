// The file format, as in etcd raft's datadriven tests: comment lines (#), a
// command line, optional input lines, "----", then the expected output up to
// the next blank line.
export interface Block {
  /** Comment and blank lines before the command, kept verbatim. */
  readonly preamble: readonly string[];
  readonly command: string;
  readonly input: readonly string[];
  /** null when the file has no "----" section for this command yet. */
  readonly expected: readonly string[] | null;
  /** 1-based line of the command. */
  readonly line: number;
}

export interface ScriptFile {
  readonly blocks: readonly Block[];
  /** Comment and blank lines after the last command. */
  readonly trailer: readonly string[];
}

const SEPARATOR = '----';

export function parseScript(source: string): ScriptFile {
  const lines = source.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const blocks: Block[] = [];
  let preamble: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) {
      preamble.push(line);
      i++;
      continue;
    }
    const commandLine = i + 1;
    i++;
    const input: string[] = [];
    while (i < lines.length && lines[i] !== SEPARATOR && lines[i]!.trim() !== '') input.push(lines[i++]!);
    let expected: string[] | null = null;
    if (lines[i] === SEPARATOR) {
      i++;
      expected = [];
      while (i < lines.length && lines[i]!.trim() !== '') expected.push(lines[i++]!);
      // The blank line that ends the output belongs to this block.
      if (i < lines.length) i++;
    }
    blocks.push({ preamble, command: line, input, expected, line: commandLine });
    preamble = [];
  }
  return { blocks, trailer: preamble };
}

/** The file with every block's output replaced by `outputs` (same order). */
export function renderScript(file: ScriptFile, outputs: readonly (readonly string[])[]): string {
  const lines: string[] = [];
  file.blocks.forEach((b, k) => {
    // Each block ends with one blank line; blank lines that led into the next block are that line.
    const start = k === 0 ? 0 : b.preamble.findIndex((l) => l.trim() !== '');
    const preamble = start < 0 ? [] : b.preamble.slice(start);
    lines.push(...preamble, b.command, ...b.input, SEPARATOR, ...(outputs[k] ?? []), '');
  });
  lines.push(...file.trailer);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return `${lines.join('\n')}\n`;
}
