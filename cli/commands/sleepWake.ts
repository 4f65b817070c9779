import { PipelineRun } from '../../runner/pipelineRun';
import type { PipelineStore } from '../../runner/store/pipelineStore';
import { parseArgs, UsageError, type ParsedArgs } from '../args';
import type { CliIO } from '../io';
import { RUNNER_FLAGS, runToEnd, runnerOptions } from '../runToEnd';
import { askOwner, STORE_FLAG, storeFrom } from '../storedPipelines';
import { ownRun } from '../runnerClient';

/** The owner replies to a sleep once every container is stopped, which takes longer than other requests. */
const SLEEP_REPLY_TIMEOUT_MS = 120_000;

/** The pipeline ID names, and whether it sleeps as its event log says (what `show` prints). */
async function target(args: ParsedArgs, usage: string): Promise<{ id: string; store: PipelineStore; sleeping: boolean }> {
  const [id] = args.positionals;
  if (!id) throw new UsageError(usage);
  const store = storeFrom(args);
  const { status } = await PipelineRun.inspect(id, { store });
  return { id, store, sleeping: status === 'sleeping' };
}

export const sleepUsage = 'pipewright sleep ID';
/** Conducto's sleep: stops every container of the pipeline and keeps its state; `wake` continues it. */
export async function sleepCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, { flags: STORE_FLAG });
  const { id, store, sleeping } = await target(args, sleepUsage);
  if (sleeping) {
    io.out(`pipeline ${id} is already asleep (wake it: pipewright wake ${id})\n`);
    return 0;
  }
  if (store.liveOwner(id)) {
    await askOwner(store, id, [{ op: 'sleep' }], SLEEP_REPLY_TIMEOUT_MS);
  } else {
    const run = await ownRun(id, { storeRoot: args.value('store') });
    try {
      await run.sleep();
    } finally {
      await run.stop();
    }
  }
  io.out(`pipeline ${id} is asleep: its containers are stopped, its state kept (wake it: pipewright wake ${id})\n`);
  return 0;
}

export const wakeUsage = 'pipewright wake ID [--json]';
/** Continues a sleeping pipeline: in the process running it, or here, to the end as `start` does. */
export async function wakeCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, { flags: { ...RUNNER_FLAGS, json: 'boolean' } });
  const options = runnerOptions(args);
  const { id, store, sleeping } = await target(args, wakeUsage);
  if (!sleeping) {
    io.out(`pipeline ${id} is not asleep\n`);
    return 0;
  }
  const owner = store.liveOwner(id);
  if (owner) {
    await askOwner(store, id, [{ op: 'wake' }]);
    io.out(`pipeline ${id} is awake: the process running it (pid ${owner.pid ?? 'unknown'}) goes on\n`);
    return 0;
  }
  const run = await ownRun(id, options);
  return runToEnd(run, args.has('json'), io, () => run.wake(), () => ownRun(id, options));
}
