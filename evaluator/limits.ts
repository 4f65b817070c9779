// The limits every evaluation of a definition runs under (the language server's, the editor's
// runs, the CLI's): a time after which its process group is killed, and an address-space cap.
// A definition that hits one fails with a message naming the limit and where to change it.
import type { ProcessResult } from './pythonProcess';

export interface EvaluationLimits {
  /** Past this, the evaluation's process group is killed. */
  timeoutMs: number;
  /** Address space (RLIMIT_AS) of the evaluation, MB. */
  memoryMb: number;
  /** How the user changes each limit, named when it is hit. */
  names: { timeout: string; memory: string };
}

/** The editor's settings (language server and "Run pipeline"). */
export const EDITOR_LIMITS: EvaluationLimits = {
  timeoutMs: 10_000,
  memoryMb: 2048,
  names: { timeout: 'the pipewright.evaluation.timeoutMs setting', memory: 'the pipewright.evaluation.memoryMb setting' },
};

/** The CLI's defaults: definitions in CI may be bigger and slower than in an editor. */
export const CLI_LIMIT_DEFAULTS = { timeoutSec: 60, memoryMb: 4096 };
const CLI_NAMES = { timeout: '--eval-timeout SECONDS or PIPEWRIGHT_EVAL_TIMEOUT', memory: '--eval-memory MB or PIPEWRIGHT_EVAL_MEMORY' };

/**
 * The CLI's limits: a flag's value, else the environment's, else the default. A value that is
 * not a number > 0 is an error naming where it came from.
 */
export function cliLimits(flags: { timeoutSec?: string; memoryMb?: string } = {}, env: NodeJS.ProcessEnv = process.env): EvaluationLimits {
  const pick = (flag: string | undefined, flagName: string, envName: string, fallback: number) => {
    const [text, where] = flag !== undefined ? [flag, flagName] : [env[envName], envName];
    if (text === undefined || text.trim() === '') return fallback;
    const n = Number(text);
    if (!(n > 0) || !Number.isFinite(n)) throw new RangeError(`${where} needs a number > 0, got "${text}"`);
    return n;
  };
  return {
    timeoutMs: pick(flags.timeoutSec, '--eval-timeout', 'PIPEWRIGHT_EVAL_TIMEOUT', CLI_LIMIT_DEFAULTS.timeoutSec) * 1000,
    memoryMb: Math.round(pick(flags.memoryMb, '--eval-memory', 'PIPEWRIGHT_EVAL_MEMORY', CLI_LIMIT_DEFAULTS.memoryMb)),
    names: CLI_NAMES,
  };
}

/** Why an evaluation's process did not give an answer, if it did not; undefined when it did. */
export function processFailure(result: ProcessResult, python: string, limits: EvaluationLimits, maxStdoutBytes = Infinity): { message: string; timedOut: boolean } | undefined {
  if (result.spawnError) {
    const message =
      result.spawnError.code === 'ENOENT'
        ? `Python was not found (${python}): set the pipewright.pythonPath setting or PIPEWRIGHT_PYTHON`
        : `Python could not be started (${python}): ${result.spawnError.message}`;
    return { message, timedOut: false };
  }
  if (result.timedOut) {
    return {
      message: `Evaluating the pipeline definition took longer than ${limits.timeoutMs / 1000} s and was stopped. Does it loop forever or wait for something? (limit: ${limits.names.timeout})`,
      timedOut: true,
    };
  }
  if (result.tooLarge) return { message: `The pipelines of this file are too large to show (over ${maxStdoutBytes / 1024 / 1024} MB of pipeline JSON)`, timedOut: false };
  return undefined;
}

/** A Python that exited with an error of its own (not the definition's: that is exit 3). */
export function exitMessage(result: ProcessResult, limits: EvaluationLimits): string {
  const how = result.signal ? `was stopped by ${result.signal}` : `exited with status ${result.code}`;
  const memory = result.signal === 'SIGKILL' || /MemoryError/.test(result.stderr) ? ` (the memory limit of ${limits.memoryMb} MB? ${limits.names.memory})` : '';
  const tail = result.stderr.trim().split('\n').slice(-5).join('\n');
  return `Evaluating the pipeline definition failed: Python ${how}${memory}${tail ? `:\n${tail}` : ''}`;
}
