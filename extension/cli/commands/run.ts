import type { RunnerEvent } from '../../protocol/runner';
import { PipelineRun } from '../../runner/pipelineRun';
import { createRunContext } from '../../runner/runContext';
import { evaluateDefinition } from '../../sdk/evaluateDefinition';
import { parseArgs, UsageError } from '../args';
import type { CliIO } from '../io';
import { runToEnd, runnerOptions } from '../runToEnd';

export const runUsage = 'pipewright run FILE [FUNC] [--arg=v ...] [--image IMG] [--json] [--pending] [--cpus N] [--memory GB]';

/** Evaluates a definition, makes a pipeline instance of it and runs it to the end. */
export async function runCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, ['json', 'pending'], ['image', 'cpus', 'memory', 'store']);
  const [file, func, ...extra] = args.positionals;
  if (!file || extra.length) throw new UsageError(runUsage);
  const doc = await evaluateDefinition(file, { func, args: args.passthrough });
  const ctx = await createRunContext(runnerOptions(args, io));
  const run = PipelineRun.create(doc, ctx);
  if (args.flags.has('pending')) {
    await run.close();
    io.out(`pipeline ${run.id} created, pending (start it: pipewright start ${run.id})\n`);
    return 0;
  }
  return runToEnd(run, args.flags.has('json'), io, () => run.setAutorun(true));
}

export type { RunnerEvent };
