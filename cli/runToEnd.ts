import type { RunnerEvent } from '../protocol/runner';
import type { RunHandle } from '../runner/runHandle';
import { PipelineRun } from '../runner/pipelineRun';
import { RemoteRun } from '../runner/service/remoteRun';
import type { RunContextOptions } from '../runner/runContext';
import type { ArgSpec, ParsedArgs } from './args';
import type { CliIO } from './io';
import { formatCounts } from '../presentation/format';
import { pendingReport } from './pendingReport';
import { LiveStatus, renderRun, RunSummary, SUMMARY_ABOVE } from './statusDisplay';

/** The flags of every command that may run a pipeline: where the store is, the default image, the budget. */
export const RUNNER_FLAGS: ArgSpec['flags'] = { store: 'string', image: 'string', cpus: 'string', memory: 'string', 'image-map': 'repeated', backend: 'string', registry: 'string' };

/** Options of the runner from RUNNER_FLAGS. */
export function runnerOptions(args: ParsedArgs): RunContextOptions {
  const positive = (name: string) => args.number(name, (n) => n > 0, 'a number > 0');
  return {
    defaultImage: args.value('image'),
    imageMapFlags: args.values('image-map'),
    storeRoot: args.value('store'),
    budget: { cpu: positive('cpus'), mem: positive('memory') },
    ...(args.value('backend') ? { backend: args.value('backend'), backendFrom: '--backend' } : {}),
    ...(args.value('registry') ? { registry: args.value('registry'), registryFrom: '--registry' } : {}),
  };
}

/**
 * Runs until nothing is running or queued, showing progress: JSON lines of events, a live tree on a
 * terminal, or a line per finished node otherwise. A pipeline put to sleep meanwhile (`pipewright
 * sleep` from another process) waits here for its wake. Exit 0 only when the root is done. A run
 * in the runner service whose service stops (a crash, kill -9) is followed on in the service
 * `reopen` starts, which recovers it.
 */
export async function runToEnd(first: RunHandle, json: boolean, io: CliIO, start: () => void | Promise<void>, reopen?: () => Promise<RunHandle>): Promise<number> {
  let run = first;
  // Run here, the run ends with this process; in the runner service, it goes on without it.
  const local = run instanceof PipelineRun;
  const stopSignals = () => {
    io.err(
      local
        ? `\nstopping ${run.id}: killing its containers (the pipeline stays in the store)\n`
        : `\n${run.id} goes on in the runner service (watch it: pipewright watch ${run.id}; stop it: pipewright sleep ${run.id})\n`,
    );
    void run.close().then(() => process.exit(130));
  };
  process.once('SIGINT', stopSignals);
  process.once('SIGTERM', stopSignals);
  const asleep = () => (run.status === 'sleeping' ? `  asleep (wake it: pipewright wake ${run.id})` : '');
  const header = () => `pipeline ${run.id}  ${run.tree.root.state}  ${formatCounts(run.tree.root.leafCounts)}${asleep()}`;
  let live: LiveStatus | undefined;
  let summary: RunSummary | null = null;
  let progress: NodeJS.Timeout | undefined;
  const follow = (r: RunHandle) => {
    // A large pipeline is summarised (counts, running and failed nodes), never printed row by row.
    summary = r.tree.byPath.size > SUMMARY_ABOVE ? new RunSummary(r.tree) : null;
    const followed = summary;
    if (followed && !json) r.on('event', (event) => followed.feed(event));
    // Pulls and builds take a while: say so on stderr (with --json, they are events like the rest).
    if (!json) r.on('event', (event) => event.type === 'image' && io.err(`${event.kind} ${event.image}: ${event.message}\n`));
    // Notices (node callbacks, what the runner could not do) on stderr too.
    if (!json) r.on('event', (event) => event.type === 'notice' && io.err(`${event.path ? `${event.path}: ` : ''}${event.message}\n`));
    if (json) {
      r.on('event', (event: RunnerEvent) => io.out(`${JSON.stringify(event)}\n`));
    } else if (process.stdout.isTTY) {
      live = new LiveStatus(r.tree, io.out, header, summary);
      live.start();
    } else {
      if (r === first) io.out(`pipeline ${r.id}\n`);
      // Into a file or a CI log: the counts every 10 s, and only the nodes that did not end done.
      if (summary) progress ??= setInterval(() => io.out(`${header()}\n`), 10_000);
      r.on('event', (event) => {
        if (event.type === 'sleep') io.out(`asleep: its containers are stopped (wake it: pipewright wake ${r.id})\n`);
        if (event.type === 'wake') io.out('awake\n');
        if (event.type !== 'execution-end' || (summary && event.state === 'done')) return;
        const e = event.execution;
        const why = event.state === 'done' ? '' : ` (${e.reason ?? `exit ${e.exitCode}`}${e.message ? `: ${e.message}` : ''})`;
        io.out(`${event.state.padEnd(7)} ${event.path}${why} ${((e.endedAt! - e.startedAt) / 1000).toFixed(2)}s\n`);
      });
    }
  };
  follow(run);
  // Whatever fails (a refused operation, an unknown node, the summary), the pipeline is let go of
  // before the error is reported: its workers would otherwise keep the process alive for ever.
  try {
    try {
      await start();
      for (;;) {
        try {
          await run.ended();
          break;
        } catch (err) {
          if (!(run instanceof RemoteRun && run.serviceLost && reopen)) throw err;
          io.err(`the runner service stopped (${(err as Error).message}); another recovers ${run.id}\n`);
          live?.stop();
          live = undefined;
          run.removeAllListeners('event');
          run = await retried(reopen);
          follow(run);
        }
      }
    } finally {
      live?.stop();
      if (progress) clearInterval(progress);
      process.off('SIGINT', stopSignals);
      process.off('SIGTERM', stopSignals);
    }
    const state = run.tree.root.state;
    // Never end with nodes pending without saying which and why.
    const pending = pendingReport(run.id, await run.whyPending());
    if (pending) io.err(pending);
    if (json) {
      io.out(`${JSON.stringify({ type: 'finished', pipeline: run.id, time: Date.now(), path: '/', state, counts: run.tree.root.leafCounts })}\n`);
    } else if (!live) {
      io.out(`${renderRun(run.tree, summary !== null)}\n${header()}\n`);
    }
    return state === 'done' ? 0 : 1;
  } finally {
    await run.close();
  }
}

/**
 * A client that lost the service reconnects while others may be starting the next one at the same
 * moment: a connection made in that moment can be cut. Tries a few times before giving up.
 */
async function retried<T>(attempt: () => Promise<T>, tries = 5, pauseMs = 500): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (i >= tries) throw err;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
}
