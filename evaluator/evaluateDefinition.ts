import * as path from 'node:path';
import type { DefinitionError, PipelineDocument } from '../protocol/pipeline';
import { definitionErrorFrom, SDK_DEFINITION_ERROR_EXIT } from './definitionErrorFrom';
import { cliLimits, exitMessage, processFailure, type EvaluationLimits } from './limits';
import { exchange, pythonEnv, spawnPython } from './pythonProcess';
import { PipelineFormatError, readPipelineStream } from './readPipeline';
import { pythonExecutable, sdkDirectory } from './sdkLocation';

export interface EvaluateOptions {
  /** Pipeline function; omitted: the co.main default or the module-level root node. */
  func?: string;
  /** `--name=value` arguments for the function. */
  args?: string[];
  /** `NAME=VALUE` pipeline parameters (PipelineController.add_parameter), as `--param`. */
  params?: string[];
  /** The interpreter the user chose; default PIPEWRIGHT_PYTHON, else python3. */
  python?: string;
  /** Default: the CLI's (cliLimits()). */
  limits?: EvaluationLimits;
  signal?: AbortSignal;
  cwd?: string;
}

/** The definition itself is wrong: carries the user's file and line. */
export class DefinitionFailure extends Error {
  constructor(readonly error: DefinitionError) {
    super([error, ...(error.also ?? [])].map((e) => `${e.file}:${e.line}: ${e.message}`).join('\n'));
    this.name = 'DefinitionFailure';
  }
}

/** The evaluation gave no answer: a limit was hit, Python is missing or crashed. */
export class EvaluationFailure extends Error {
  constructor(
    message: string,
    readonly timedOut = false,
  ) {
    super(message);
    this.name = 'EvaluationFailure';
  }
}


/**
 * One pipeline of a definition file, as the SDK exports it: for "Run pipeline" and the CLI. Runs
 * under the same limits (time, memory) as the language server's evaluations, in a process group
 * killed whole when the time is up; the pipeline JSON is read as it streams (a million nodes).
 */
export async function evaluateDefinition(file: string, options: EvaluateOptions = {}): Promise<PipelineDocument> {
  const absolute = path.resolve(file);
  const limits = options.limits ?? cliLimits();
  const python = options.python ?? pythonExecutable();
  const argv = ['-m', 'pipewright', absolute];
  if (options.func) argv.push(options.func);
  argv.push(...(options.args ?? []), ...(options.params ?? []).flatMap((p) => ['--param', p]), '--json', '--errors=json', '--memory-limit', String(limits.memoryMb));
  const sdk = sdkDirectory();
  const child = spawnPython(python, argv, options.cwd ?? path.dirname(absolute), pythonEnv(sdk));
  // Listening before the exchange starts: no byte of the answer is missed.
  const parsed = child.stdout
    ? readPipelineStream(child.stdout, `${absolute} (pipeline JSON)`).then(
        (doc) => ({ doc }),
        (err: Error) => ({ err }),
      )
    : Promise.resolve({ err: new Error('no stdout') });
  const result = await exchange(child, { input: '', timeoutMs: limits.timeoutMs, signal: options.signal, maxStdoutBytes: Infinity, collectStdout: false });
  if (result.cancelled) throw new EvaluationFailure(`evaluating ${absolute} was cancelled`);
  const failure = processFailure(result, python, limits);
  if (failure) throw new EvaluationFailure(`${absolute}: ${failure.message}`, failure.timedOut);
  if (result.code === SDK_DEFINITION_ERROR_EXIT) throw new DefinitionFailure(definitionErrorFrom(result.stderr, absolute));
  if (result.code !== 0) throw new EvaluationFailure(`${absolute}: ${exitMessage(result, limits)}`);
  const answer = await parsed;
  if ('err' in answer) {
    // Status 0 and no whole pipeline: the SDK reports sys.exit() itself (exit 3, at its line), so
    // something ended the process without Python's shutdown, as os._exit() does.
    if (answer.err instanceof PipelineFormatError && answer.err.incomplete) {
      throw new EvaluationFailure(`${absolute}: the definition ended the process (exit status 0) before its pipeline was written (${answer.err.detail}): does it call os._exit()?`);
    }
    throw answer.err;
  }
  return answer.doc;
}
