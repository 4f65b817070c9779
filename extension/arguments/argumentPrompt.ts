import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PipelineParameter } from '../../protocol/lsp';
import { argumentProblem, argumentWords, joinCommandLine, kindText, prefill, splitCommandLine } from './argumentText';

const VALUES_KEY = 'pipewright.arguments';
const LINES_KEY = 'pipewright.argumentLines';

/** The arguments last given to each pipeline function of the workspace (workspaceState). */
export class ArgumentMemory {
  constructor(private readonly state: vscode.Memento) {}

  private static key(file: string, func: string): string {
    return `${path.resolve(file)}#${func}`;
  }

  values(file: string, func: string): Record<string, string> | undefined {
    return this.state.get<Record<string, Record<string, string>>>(VALUES_KEY, {})[ArgumentMemory.key(file, func)];
  }

  async rememberValues(file: string, func: string, values: Record<string, string>): Promise<void> {
    const all = { ...this.state.get<Record<string, Record<string, string>>>(VALUES_KEY, {}) };
    all[ArgumentMemory.key(file, func)] = values;
    await this.state.update(VALUES_KEY, all);
  }

  line(file: string, func: string): string | undefined {
    return this.state.get<Record<string, string>>(LINES_KEY, {})[ArgumentMemory.key(file, func)];
  }

  async rememberLine(file: string, func: string, line: string): Promise<void> {
    const all = { ...this.state.get<Record<string, string>>(LINES_KEY, {}) };
    all[ArgumentMemory.key(file, func)] = line;
    await this.state.update(LINES_KEY, all);
  }
}

/**
 * Asks for each parameter in turn (an input box prefilled with the value used last, else the
 * default), checked as the SDK will read it. The `--name=value` words, or undefined when the user
 * pressed Escape. The values are remembered for the function.
 */
export async function askForArguments(memory: ArgumentMemory, file: string, func: string, params: readonly PipelineParameter[]): Promise<string[] | undefined> {
  const remembered = memory.values(file, func);
  const values: Record<string, string> = {};
  for (const [i, p] of params.entries()) {
    const value = await vscode.window.showInputBox({
      title: `Run ${func}: argument ${i + 1} of ${params.length}`,
      prompt: `${p.name} (${kindText(p)}${p.required ? ', required' : `, optional${p.default !== undefined ? `: default ${p.default}` : ''}; empty: the function's default`})`,
      value: prefill(p, remembered),
      ignoreFocusOut: true,
      validateInput: (text) => argumentProblem(p, text),
    });
    if (value === undefined) return undefined;
    values[p.name] = value;
  }
  await memory.rememberValues(file, func, values);
  return argumentWords(params, values);
}

/**
 * Asks for the function's whole command line, as `pipewright run FILE FUNC …` takes it (`--n=5`,
 * bare words for positional parameters and *args, `--key=value` for **kwargs), prefilled with the
 * last one given (else the last values asked for one by one).
 */
export async function askForCommandLine(memory: ArgumentMemory, file: string, func: string, params: readonly PipelineParameter[]): Promise<string[] | undefined> {
  const last = memory.line(file, func) ?? joinCommandLine(argumentWords(params, memory.values(file, func) ?? {}));
  const signature = params.map((p) => `--${p.name}=<${kindText(p)}>`).join(' ');
  const line = await vscode.window.showInputBox({
    title: `Run ${func} with arguments`,
    prompt: `The arguments as on the command line${signature ? `: ${signature}` : ''}`,
    value: last,
    ignoreFocusOut: true,
    validateInput: (text) => {
      const split = splitCommandLine(text);
      return 'error' in split ? split.error : undefined;
    },
  });
  if (line === undefined) return undefined;
  await memory.rememberLine(file, func, line);
  const split = splitCommandLine(line);
  return 'words' in split ? split.words : undefined;
}
