import type { RunnerEvent } from '../../protocol/runner';
import { evaluateDefinition } from '../../evaluator/evaluateDefinition';
import { parseArgs, UsageError } from '../args';
import { EVALUATION_FLAGS, evaluationLimits } from '../evaluationFlags';
import type { CliIO } from '../io';
import { RUNNER_FLAGS, runToEnd, runnerOptions } from '../runToEnd';
import { ownRun, startRun } from '../runnerClient';

export const runUsage = 'pipewright run FILE|DIR [FUNC [ARG ...]] [--arg=v ...] [--param NAME=VALUE ...] [--image IMG] [--image-map FROM=TO ...] [--json] [--pending] [--cpus N] [--memory GB] [--eval-timeout S] [--eval-memory MB]';

/**
 * Evaluates a definition, makes a pipeline instance of it and runs it to the end. `--param
 * NAME=VALUE` sets a PipelineController parameter (docs/clearml.md): the SDK checks and casts it.
 */
export async function runCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, { flags: { ...RUNNER_FLAGS, ...EVALUATION_FLAGS, json: 'boolean', pending: 'boolean', param: 'repeated' }, passthrough: true, ownPositionals: 2 });
  const params = args.values('param');
  for (const p of params) if (!/^[^=]+=/.test(p)) throw new UsageError(`--param ${p}: expected NAME=VALUE`);
  const [file, func, ...extra] = args.positionals;
  if (!file || extra.length) throw new UsageError(runUsage);
  const options = runnerOptions(args);
  const doc = await evaluateDefinition(file, { func, args: [...args.passthrough], params: [...params], limits: evaluationLimits(args) });
  const pending = args.has('pending');
  // Started by runToEnd, once it listens: `--json` and the python3 FILE hosts read every event.
  const run = await startRun(doc, options, false, args.passthrough);
  if (pending) {
    await run.close();
    io.out(`pipeline ${run.id} created, pending (start it: pipewright start ${run.id})\n`);
    return 0;
  }
  return runToEnd(run, args.has('json'), io, () => run.setAutorun(true), () => ownRun(run.id, options));
}

export type { RunnerEvent };
