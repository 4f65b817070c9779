import type { RunnerEvent } from '../../protocol/runner';
import { PipelineRun } from '../../runner/pipelineRun';
import { createRunContext } from '../../runner/runContext';
import { evaluateDefinition } from '../../evaluator/evaluateDefinition';
import { parseArgs, takeRepeated, UsageError } from '../args';
import type { CliIO } from '../io';
import { runToEnd, runnerOptions } from '../runToEnd';

export const runUsage = 'pipewright run FILE [FUNC] [--arg=v ...] [--param NAME=VALUE ...] [--image IMG] [--json] [--pending] [--cpus N] [--memory GB]';

/**
 * Evaluates a definition, makes a pipeline instance of it and runs it to the end. `--param
 * NAME=VALUE` sets a PipelineController parameter (docs/clearml.md): the SDK checks and casts it.
 */
export async function runCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const params = takeRepeated(argv, 'param');
  for (const p of params.values) if (!/^[^=]+=/.test(p)) throw new UsageError(`--param ${p}: expected NAME=VALUE`);
  const args = parseArgs(params.rest, ['json', 'pending'], ['image', 'cpus', 'memory', 'store']);
  const [file, func, ...extra] = args.positionals;
  if (!file || extra.length) throw new UsageError(runUsage);
  const doc = await evaluateDefinition(file, { func, args: args.passthrough, params: params.values });
  const ctx = await createRunContext(runnerOptions(args));
  const run = PipelineRun.create(doc, ctx);
  if (args.flags.has('pending')) {
    await run.close();
    io.out(`pipeline ${run.id} created, pending (start it: pipewright start ${run.id})\n`);
    return 0;
  }
  return runToEnd(run, args.flags.has('json'), io, () => run.setAutorun(true));
}

export type { RunnerEvent };
