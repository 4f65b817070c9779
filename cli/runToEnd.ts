import type { RunnerEvent } from '../protocol/runner';
import type { PipelineRun } from '../runner/pipelineRun';
import type { RunContextOptions } from '../runner/runContext';
import type { ParsedArgs } from './args';
import { UsageError } from './args';
import type { CliIO } from './io';
import { formatCounts } from '../presentation/format';
import { LiveStatus, renderStatus } from './statusDisplay';

/** Options of the runner from the CLI flags shared by the commands that run things. */
export function runnerOptions(args: ParsedArgs): RunContextOptions {
  const number = (name: string) => {
    const value = args.flags.get(name);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (typeof value !== 'string' || !(n > 0)) throw new UsageError(`--${name} needs a number > 0`);
    return n;
  };
  const image = args.flags.get('image');
  const store = args.flags.get('store');
  return {
    defaultImage: typeof image === 'string' ? image : undefined,
    storeRoot: typeof store === 'string' ? store : undefined,
    budget: { cpu: number('cpus'), mem: number('memory') },
  };
}

/**
 * Runs until nothing is running or queued, showing progress: JSON lines of events, a live tree on a
 * terminal, or a line per finished node otherwise. Exit 0 only when the root is done.
 */
export async function runToEnd(run: PipelineRun, json: boolean, io: CliIO, start: () => void): Promise<number> {
  const stopSignals = () => {
    io.err(`\nstopping ${run.id}: killing its containers (the pipeline stays in the store)\n`);
    void run.close().then(() => process.exit(130));
  };
  process.once('SIGINT', stopSignals);
  process.once('SIGTERM', stopSignals);
  const header = () => `pipeline ${run.id}  ${run.tree.root.state}  ${formatCounts(run.tree.root.leafCounts)}`;
  let live: LiveStatus | undefined;
  // Pulls and builds take a while: say so on stderr (with --json, they are events like the rest).
  if (!json) run.on('event', (event) => event.type === 'image' && io.err(`${event.kind} ${event.image}: ${event.message}\n`));
  if (json) {
    run.on('event', (event: RunnerEvent) => io.out(`${JSON.stringify(event)}\n`));
  } else if (process.stdout.isTTY) {
    live = new LiveStatus(run.tree, io.out, header);
    live.start();
  } else {
    io.out(`pipeline ${run.id}\n`);
    run.on('event', (event) => {
      if (event.type !== 'execution-end') return;
      const e = event.execution;
      const why = event.state === 'done' ? '' : ` (${e.reason ?? `exit ${e.exitCode}`}${e.message ? `: ${e.message}` : ''})`;
      io.out(`${event.state.padEnd(7)} ${event.path}${why} ${((e.endedAt! - e.startedAt) / 1000).toFixed(2)}s\n`);
    });
  }
  try {
    start();
    await run.settled();
  } catch (err) {
    // A refused operation (bad modification, unknown node): let go of the pipeline, then report.
    await run.close();
    throw err;
  } finally {
    live?.stop();
    process.off('SIGINT', stopSignals);
    process.off('SIGTERM', stopSignals);
  }
  const state = run.tree.root.state;
  if (json) {
    io.out(`${JSON.stringify({ type: 'finished', pipeline: run.id, time: Date.now(), path: '/', state, counts: run.tree.root.leafCounts })}\n`);
  } else if (!live) {
    io.out(`${renderStatus(run.tree)}\n${header()}\n`);
  }
  await run.close();
  return state === 'done' ? 0 : 1;
}
