import * as os from 'node:os';
import type { PipelineEntry, PipelineParameter } from '../protocol/lsp';
import type { DefinitionError, PipelineDocument } from '../protocol/pipeline';
import { definitionErrorFrom, SDK_DEFINITION_ERROR_EXIT } from './definitionErrorFrom';
import { sdkDirectory } from './sdkLocation';
import { EDITOR_LIMITS, exitMessage, processFailure, type EvaluationLimits } from './limits';
import { exchange, pythonEnv, spawnPython, WarmPool, type ProcessResult } from './pythonProcess';

/** What an evaluation needs to know: whether the user's code may run, with which Python and limits. */
export interface EvaluationSettings {
  trusted: boolean;
  pythonPath: string;
  evaluationTimeoutMs: number;
  evaluationMemoryMb: number;
}
type EffectiveSettings = EvaluationSettings;

// Runs the SDK on a document's text: `--all` (trusted: runs the user's code) through a warm
// `python3 -m pipewright.warm`, or `pipewright.outline` (Python's ast only, never the user's code).

/** One line of `python3 -m pipewright FILE --all`. */
export interface EvaluatedEntry {
  name: string;
  line: number;
  default: boolean;
  document?: PipelineDocument;
  error?: DefinitionError;
  /** Parameters without defaults: the function was not called (not an error of the text). */
  needs?: string[];
  /** A function's parameters. */
  parameters?: PipelineParameter[];
}

/** A symbol of `python3 -m pipewright.outline`. */
export interface OutlineSymbol {
  name: string;
  kind: 'function' | 'node';
  line: number;
  column: number;
  endLine: number;
  type?: string;
  detail?: string;
  children: OutlineSymbol[];
}

export interface OutlineResult {
  isDefinition: boolean;
  pipelines: PipelineEntry[];
  symbols: OutlineSymbol[];
  error?: DefinitionError;
}

export type Evaluation =
  | { kind: 'ok'; entries: EvaluatedEntry[]; raw: string }
  | { kind: 'definitionError'; error: DefinitionError }
  | { kind: 'failed'; message: string; timedOut: boolean }
  | { kind: 'cancelled' };

export type Outline = { kind: 'outline'; result: OutlineResult; raw: string } | { kind: 'failed'; message: string; timedOut: boolean } | { kind: 'cancelled' };

/** Beyond this the trees are too big to send to an editor (a million nodes is ~400 MB). */
const MAX_STDOUT_BYTES = 128 * 1024 * 1024;

// `-I -S`: no PYTHON* variables, no site-packages, no current folder on sys.path: nothing of the
// workspace can be imported by the outline. The SDK folder comes as argv[1].
const OUTLINE_BOOT = 'import sys; sys.path.insert(0, sys.argv.pop(1)); from pipewright.outline import main; sys.exit(main())';

export class Evaluator {
  private readonly pool: WarmPool;
  private readonly sdk: string;

  constructor(private readonly current: () => EffectiveSettings) {
    this.sdk = sdkDirectory();
    const env = pythonEnv(this.sdk);
    this.pool = new WarmPool((python) => spawnPython(python, ['-m', 'pipewright.warm'], this.sdk, env));
  }

  get sdkDirectory(): string {
    return this.sdk;
  }

  /** After a settings change: a warm process for the next evaluation, trusted workspaces only. */
  prepare(): void {
    const settings = this.current();
    if (settings.trusted) this.pool.refill(settings.pythonPath);
    else this.pool.clear();
  }

  dispose(): void {
    this.pool.dispose();
  }

  /** Evaluate every pipeline of the text (the user's code runs: trusted workspaces only). */
  async evaluate(file: string, text: string, settings: EffectiveSettings, signal: AbortSignal): Promise<Evaluation> {
    if (!settings.trusted) throw new Error('evaluate() in an untrusted workspace');
    const child = this.pool.take(settings.pythonPath);
    const header = JSON.stringify({ file, memoryMb: settings.evaluationMemoryMb, timeoutMs: settings.evaluationTimeoutMs, errorsJson: true });
    const result = await exchange(child, {
      input: `${header}\n${text}`,
      timeoutMs: settings.evaluationTimeoutMs,
      signal,
      maxStdoutBytes: MAX_STDOUT_BYTES,
    });
    // The next evaluation (after an edit: soon, when this one was cancelled) finds one ready.
    this.prepare();
    if (result.cancelled) return { kind: 'cancelled' };
    const failure = failureOf(result, settings);
    if (failure) return failure;
    if (result.code === SDK_DEFINITION_ERROR_EXIT) return { kind: 'definitionError', error: definitionErrorFrom(result.stderr, file) };
    if (result.code !== 0) return { kind: 'failed', message: exitMessageOf(result, settings), timedOut: false };
    const entries: EvaluatedEntry[] = [];
    for (const line of result.stdout.split('\n')) {
      if (!line.trim()) continue;
      try {
        entries.push(JSON.parse(line) as EvaluatedEntry);
      } catch {
        return { kind: 'failed', message: `Pipewright could not read the SDK's answer: ${line.slice(0, 200)}`, timedOut: false };
      }
    }
    return { kind: 'ok', entries, raw: result.stdout };
  }

  /** The outline from the text's syntax alone: runs none of the user's code. */
  async outline(file: string, text: string, settings: EffectiveSettings, signal: AbortSignal): Promise<Outline> {
    const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONIOENCODING: 'utf-8' };
    const child = spawnPython(settings.pythonPath, ['-I', '-S', '-c', OUTLINE_BOOT, this.sdk, file, '--source-stdin'], os.tmpdir(), env);
    const result = await exchange(child, { input: text, timeoutMs: settings.evaluationTimeoutMs, signal, maxStdoutBytes: MAX_STDOUT_BYTES });
    if (result.cancelled) return { kind: 'cancelled' };
    const failure = failureOf(result, settings);
    if (failure) return failure;
    if (result.code !== 0) return { kind: 'failed', message: exitMessageOf(result, settings), timedOut: false };
    try {
      return { kind: 'outline', result: JSON.parse(result.stdout) as OutlineResult, raw: result.stdout };
    } catch {
      return { kind: 'failed', message: `Pipewright could not read the outline: ${result.stdout.slice(0, 200)}`, timedOut: false };
    }
  }
}

/** The settings' limits, named as the editor's settings. */
function limitsOf(settings: EffectiveSettings): EvaluationLimits {
  return { ...EDITOR_LIMITS, timeoutMs: settings.evaluationTimeoutMs, memoryMb: settings.evaluationMemoryMb };
}

function failureOf(result: ProcessResult, settings: EffectiveSettings): { kind: 'failed'; message: string; timedOut: boolean } | undefined {
  const failure = processFailure(result, settings.pythonPath, limitsOf(settings), MAX_STDOUT_BYTES);
  return failure && { kind: 'failed', ...failure };
}

function exitMessageOf(result: ProcessResult, settings: EffectiveSettings): string {
  return exitMessage(result, limitsOf(settings));
}
