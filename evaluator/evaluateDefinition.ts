import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { DefinitionError, PipelineDocument } from '../protocol/pipeline';
import { readPipelineStream } from './readPipeline';
import { definitionErrorFrom } from './definitionErrorFrom';
import { pythonExecutable, sdkDirectory } from './sdkLocation';

export interface EvaluateOptions {
  /** Pipeline function; omitted: the co.main default or the module-level root node. */
  func?: string;
  /** `--name=value` arguments for the function. */
  args?: string[];
  /** `NAME=VALUE` pipeline parameters (PipelineController.add_parameter), as `--param`. */
  params?: string[];
  python?: string;
  signal?: AbortSignal;
  /** Kill the evaluation after this long (ms). */
  timeoutMs?: number;
  cwd?: string;
}

/** The definition itself is wrong: carries the user's file and line. */
export class DefinitionFailure extends Error {
  constructor(readonly error: DefinitionError) {
    super(`${error.file}:${error.line}: ${error.message}`);
    this.name = 'DefinitionFailure';
  }
}

const SDK_DEFINITION_ERROR_EXIT = 3;

/** Runs the SDK on a definition file in a subprocess and reads back its pipeline JSON. */
export async function evaluateDefinition(file: string, options: EvaluateOptions = {}): Promise<PipelineDocument> {
  const absolute = path.resolve(file);
  const argv = ['-m', 'pipewright', absolute];
  if (options.func) argv.push(options.func);
  argv.push(...(options.args ?? []), ...(options.params ?? []).flatMap((p) => ['--param', p]), '--json', '--errors=json');
  const sdk = sdkDirectory();
  const child = spawn(options.python ?? pythonExecutable(), argv, {
    cwd: options.cwd ?? path.dirname(absolute),
    env: { ...process.env, PYTHONPATH: [sdk, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter), PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    signal: options.signal,
    timeout: options.timeoutMs,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-64 * 1024);
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (err) => reject(err));
    child.on('close', (code) => resolve(code));
  });
  const parsed = readPipelineStream(child.stdout, `${absolute} (pipeline JSON)`).then(
    (doc) => ({ doc }),
    (err: Error) => ({ err }),
  );
  let code: number | null;
  try {
    code = await exited;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new Error(`Python was not found (${options.python ?? pythonExecutable()}); set PIPEWRIGHT_PYTHON or the pipewright.pythonPath setting`, { cause: err });
    throw err;
  }
  const result = await parsed;
  if (code === SDK_DEFINITION_ERROR_EXIT) throw new DefinitionFailure(definitionErrorFrom(stderr, absolute));
  if (code !== 0) {
    const why = code === null ? 'was stopped (time limit or cancelled)' : `exited with status ${code}`;
    throw new Error(`evaluating ${absolute} ${why}${stderr.trim() ? `:\n${stderr.trim()}` : ''}`);
  }
  if ('err' in result) throw result.err;
  return result.doc;
}
