import type { ServerSettings } from '../../protocol/lsp';
import type { EvaluationSettings } from '../../evaluator/evaluator';
import { pythonExecutable } from '../../evaluator/sdkLocation';

/** ServerSettings with every default filled in. */
export interface EffectiveSettings extends EvaluationSettings {
  debounceMs: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MEMORY_MB = 2048;
export const DEFAULT_DEBOUNCE_MS = 150;

export function defaultSettings(): EffectiveSettings {
  return {
    trusted: false, // nothing runs until the client says the workspace is trusted
    pythonPath: pythonExecutable(),
    evaluationTimeoutMs: DEFAULT_TIMEOUT_MS,
    evaluationMemoryMb: DEFAULT_MEMORY_MB,
    debounceMs: DEFAULT_DEBOUNCE_MS,
  };
}

/**
 * `initializationOptions` or `settings.pipewright` of `workspace/didChangeConfiguration` over the
 * current settings: fields given (and valid) replace, the others stay.
 */
export function mergeSettings(current: EffectiveSettings, incoming: unknown): EffectiveSettings {
  if (!incoming || typeof incoming !== 'object') return current;
  const given = incoming as Partial<Record<keyof ServerSettings, unknown>>;
  const next = { ...current };
  if (typeof given.trusted === 'boolean') next.trusted = given.trusted;
  if (typeof given.pythonPath === 'string') next.pythonPath = given.pythonPath.trim() || pythonExecutable();
  const positive = (value: unknown): number | undefined =>
    typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
  next.evaluationTimeoutMs = positive(given.evaluationTimeoutMs) ?? next.evaluationTimeoutMs;
  next.evaluationMemoryMb = positive(given.evaluationMemoryMb) ?? next.evaluationMemoryMb;
  if (typeof given.debounceMs === 'number' && Number.isFinite(given.debounceMs) && given.debounceMs >= 0) next.debounceMs = given.debounceMs;
  return next;
}

/** Do open documents need evaluating again after this change? */
export function evaluationChanged(before: EffectiveSettings, after: EffectiveSettings): boolean {
  return (
    before.trusted !== after.trusted ||
    before.pythonPath !== after.pythonPath ||
    before.evaluationMemoryMb !== after.evaluationMemoryMb ||
    before.evaluationTimeoutMs !== after.evaluationTimeoutMs
  );
}
