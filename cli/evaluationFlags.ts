import { cliLimits, type EvaluationLimits } from '../evaluator/limits';
import { UsageError, type ArgSpec, type ParsedArgs } from './args';

/** The limits of evaluating a definition (`tree`, `run`): seconds and MB. */
export const EVALUATION_FLAGS: ArgSpec['flags'] = { 'eval-timeout': 'string', 'eval-memory': 'string' };

/** The flags' limits, else PIPEWRIGHT_EVAL_TIMEOUT / PIPEWRIGHT_EVAL_MEMORY, else the CLI's defaults. */
export function evaluationLimits(args: ParsedArgs): EvaluationLimits {
  try {
    return cliLimits({ timeoutSec: args.value('eval-timeout'), memoryMb: args.value('eval-memory') });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
