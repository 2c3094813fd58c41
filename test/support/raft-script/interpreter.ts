// Runs a scenario script: every command's output (plus the node changes it
// caused) becomes the transcript that the file must hold after "----".
import { Args, ScriptError } from './args.js';
import { expectCommand } from './expect.js';
import { viewDiff } from './format.js';
import { NETWORK_COMMANDS } from './network-commands.js';
import { NODE_COMMANDS } from './node-commands.js';
import { parseScript, renderScript } from './script-file.js';
import { SETUP_COMMANDS } from './setup-commands.js';
import { ScriptState, type Command } from './state.js';

const COMMANDS: ReadonlyMap<string, Command> = new Map([...SETUP_COMMANDS, ...NETWORK_COMMANDS, ...NODE_COMMANDS, ['EXPECT', expectCommand]]);

export interface ScriptRun {
  /** The file as it should be: every expected output replaced by the actual one. */
  readonly actual: string;
  /** The file as it is, normalised the same way. */
  readonly expected: string;
  /** The first comment line, without "# ". */
  readonly title: string;
}

function execute(state: ScriptState, command: string, input: readonly string[]): string[] {
  const trimmed = command.trim();
  const space = trimmed.search(/\s/);
  const name = space < 0 ? trimmed : trimmed.slice(0, space);
  const rest = space < 0 ? '' : trimmed.slice(space + 1);
  const fn = COMMANDS.get(name);
  if (fn === undefined) throw new ScriptError(`unknown command ${name}`);
  if (name === 'EXPECT') return fn(state, new Args([]), [rest, ...input]);
  const before = state.views();
  const out = fn(state, Args.of(rest), input);
  for (const [id, view] of state.views()) {
    const old = before.get(id);
    const diff = old === undefined ? '' : viewDiff(id, old, view);
    if (diff !== '') out.push(diff);
  }
  return out;
}

/** `testBugs`: canaries to switch on before the script starts (to prove the script catches them). */
export function runScript(source: string, fileName: string, testBugs: readonly string[] = []): ScriptRun {
  const file = parseScript(source);
  const state = new ScriptState();
  for (const bug of testBugs) state.addTestBug(bug);
  const outputs: string[][] = [];
  for (const block of file.blocks) {
    let out: string[];
    try {
      out = execute(state, block.command, block.input);
    } catch (err) {
      const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new Error(`${fileName}:${block.line}: ${block.command.trim()}\n  ${what}`, { cause: err });
    }
    outputs.push(out.length === 0 ? ['ok'] : out);
  }
  const title = (file.blocks[0]?.preamble[0] ?? '').replace(/^#\s*/, '');
  return {
    actual: renderScript(file, outputs),
    expected: renderScript(
      file,
      file.blocks.map((b) => b.expected ?? []),
    ),
    title,
  };
}
