import type { NodeModification } from '../../protocol/runner';
import type { ControlRequest } from '../../protocol/control';
import { PipelineRun } from '../../runner/pipelineRun';
import { heldByService, ownRun, serviceEnabled } from '../runnerClient';
import { defaultStoreRoot } from '../../runner/store/storeLocation';
import { parseArgs, UsageError, type ArgSpec, type ParsedArgs } from '../args';
import type { CliIO } from '../io';
import { RUNNER_FLAGS, runToEnd, runnerOptions } from '../runToEnd';
import { formatCounts } from '../../presentation/format';
import { shownState } from '../../presentation/states';
import { renderStatus, RunSummary, SUMMARY_ABOVE } from '../statusDisplay';
import { askOwner, STORE_FLAG, storeFrom } from '../storedPipelines';

export const listUsage = 'pipewright list';
export async function listCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const store = storeFrom(parseArgs(argv, { flags: STORE_FLAG }));
  const { pipelines: rows, broken } = store.scan();
  if (!rows.length && !broken.length) io.out(`no pipelines in ${store.root}\n`);
  for (const m of rows) {
    const live = store.liveOwner(m.id) ? 'running' : m.status;
    const state = m.rootState ? shownState(m.rootState, m.status === 'sleeping') : '';
    io.out(`${m.id.padEnd(14)} ${live.padEnd(9)} ${state.padEnd(8)} ${m.counts ? formatCounts(m.counts) : ''}  ${m.name}  ${m.file}  ${new Date(m.lastUsedAt).toISOString()}\n`);
  }
  // A pipeline whose meta.json cannot be read is named with the file and the problem; the rest still list.
  for (const b of broken) io.out(`${b.id.padEnd(14)} ${'broken'.padEnd(9)} ${b.file}: ${b.problem}\n`);
  return 0;
}

/** Running and failed nodes a summarised `show` lists, of each. */
const SUMMARY_ROWS = 20;

export const showUsage = 'pipewright show ID [--json] [--all]';
export async function showCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, { flags: { ...STORE_FLAG, json: 'boolean', all: 'boolean' } });
  const [id] = args.positionals;
  if (!id) throw new UsageError(showUsage);
  const store = storeFrom(args);
  const run = await PipelineRun.inspect(id, { store });
  if (args.has('json')) {
    const nodes = [...run.tree.byPath.values()].map((n) => ({ path: n.path, state: n.state, skipped: n.skipped, executions: n.executions }));
    io.out(`${JSON.stringify({ pipeline: run.summary(), nodes })}\n`);
  } else {
    // A large pipeline: its summary (counts, running and failed nodes) unless --all asks for every row.
    const whole = args.has('all') || run.tree.byPath.size <= SUMMARY_ABOVE;
    const summary = whole ? null : new RunSummary(run.tree);
    const body = summary ? `${summary.render(SUMMARY_ROWS)}\n(every node: pipewright show ${id} --all)` : renderStatus(run.tree, Date.now(), run.status === 'sleeping');
    io.out(`pipeline ${id} (${run.meta.name} from ${run.meta.file}) ${run.status}, run ${run.scheduler.autorun ? 'on' : 'off'}\n${body}\n${formatCounts(run.tree.root.leafCounts)}\n`);
    // Images not run as asked (image map) or built from a git commit, by the latest execution; of a
    // summarised run, the running and failed nodes it lists (the others' executions stay on disk).
    const shown = summary ? [...[...summary.running].slice(0, SUMMARY_ROWS), ...[...summary.failed].slice(0, SUMMARY_ROWS)].map((p) => run.tree.get(p)) : run.tree.byPath.values();
    for (const n of shown) {
      const from = n.executions.at(-1)?.imageFrom;
      for (const m of from?.mapped ?? []) io.out(`image ${n.path}: ${m.from} -> ${m.to} (image map)\n`);
      if (from?.git) io.out(`image ${n.path}: ${from.git.url} ${from.git.branch} at ${from.git.commit}\n`);
    }
  }
  return 0;
}

export const logsUsage = 'pipewright logs ID PATH [--execution N]';
/** Prints the log of a node's latest execution (or the Nth), byte for byte. */
export async function logsCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, { flags: { ...STORE_FLAG, execution: 'string' } });
  const [id, nodePath] = args.positionals;
  if (!id || !nodePath) throw new UsageError(logsUsage);
  const which = args.number('execution', (n) => Number.isInteger(n) && n >= 1, 'a whole number >= 1');
  const store = storeFrom(args);
  const run = await PipelineRun.inspect(id, { store });
  const node = run.tree.get(nodePath);
  if (!node.executions.length) throw new Error(`${nodePath} has not run yet`);
  const index = which === undefined ? node.executions.length - 1 : which - 1;
  const execution = node.executions[index];
  if (!execution) throw new Error(`${nodePath} has ${node.executions.length} executions`);
  process.stdout.write(await run.space.log(execution.id).all());
  const end = execution.endedAt === undefined ? 'still running' : execution.reason ? `${execution.reason}${execution.message ? `: ${execution.message}` : ''}` : `exit ${execution.exitCode}`;
  io.err(`[${nodePath} execution ${index + 1}/${node.executions.length}: ${end}]\n`);
  return 0;
}

/**
 * reset/skip/unskip/kill/start/modify: asks the process running the pipeline (a CLI run in its own
 * process), or has the runner service (or this process) run it and follows it to the end.
 */
function controlCommand(usage: string, requests: (nodePath: string, args: ParsedArgs) => ControlRequest[], needsPath = true, ownFlags: ArgSpec['flags'] = {}) {
  return async (argv: readonly string[], io: CliIO): Promise<number> => {
    const args = parseArgs(argv, { flags: { ...RUNNER_FLAGS, json: 'boolean', ...ownFlags } });
    const [id, nodePath] = args.positionals;
    if (!id || (needsPath && !nodePath)) throw new UsageError(usage);
    const reqs = requests(nodePath ?? '/', args);
    const options = runnerOptions(args);
    const store = storeFrom(args);
    const storeRoot = args.value('store') ?? defaultStoreRoot();
    // The runner service holds runs after their client left: those are followed here to the end,
    // as a stored one is, not just told (a `modify --reset` then waits for the node's new run).
    if (store.liveOwner(id) && !(serviceEnabled() && (await heldByService(storeRoot, id)))) {
      await askOwner(store, id, reqs);
      io.out(`${reqs.map((r) => r.op).join(' and ')} sent to the process running ${id}\n`);
      return 0;
    }
    if (!store.exists(id)) throw new Error(`no pipeline "${id}" in ${store.root}`);
    const run = await ownRun(id, options);
    return runToEnd(run, args.has('json'), io, async () => {
      if (run.status === 'sleeping') await run.wake();
      for (const req of reqs) await run.control(req);
    }, () => ownRun(id, options));
  };
}

export const resetUsage = 'pipewright reset ID PATH';
export const resetCommand = controlCommand(resetUsage, (p) => [{ op: 'reset', path: p }]);
export const skipUsage = 'pipewright skip ID PATH';
export const skipCommand = controlCommand(skipUsage, (p) => [{ op: 'skip', path: p, skipped: true }]);
export const unskipUsage = 'pipewright unskip ID PATH';
export const unskipCommand = controlCommand(unskipUsage, (p) => [{ op: 'skip', path: p, skipped: false }]);
export const killUsage = 'pipewright kill ID PATH';
export const killCommand = controlCommand(killUsage, (p) => [{ op: 'kill', path: p }]);
export const refreshUsage = 'pipewright refresh ID PATH';
/** Reruns a cached ClearML-style step (and its subtree) without its cache. */
export const refreshCommand = controlCommand(refreshUsage, (p) => [{ op: 'refresh', path: p }]);
export const startUsage = 'pipewright start ID [--image-map FROM=TO ...]';
export const startCommand = controlCommand(startUsage, () => [{ op: 'autorun', on: true }], false);

const MODIFY_FLAGS: ArgSpec['flags'] = { command: 'string', cpu: 'string', gpu: 'string', mem: 'string', 'max-time': 'string', reset: 'boolean' };
export const modifyUsage = 'pipewright modify ID PATH [--command CMD] [--cpu N] [--gpu N] [--mem GB] [--max-time S] [--reset]';
/** Changes a node's command or params (validated by the runner); --reset runs it again with them. */
export const modifyCommand = controlCommand(
  modifyUsage,
  (p, args) => {
    const changes: NodeModification = {};
    // Any number: the runner says what a param accepts, naming the node (`mem must be ... > 0`).
    const number = (name: string) => args.number(name, () => true, 'a number');
    const command = args.value('command');
    if (command !== undefined) changes.command = command;
    const cpu = number('cpu');
    if (cpu !== undefined) changes.cpu = cpu;
    const gpu = number('gpu');
    if (gpu !== undefined) changes.gpu = gpu;
    const mem = number('mem');
    if (mem !== undefined) changes.mem = mem;
    const maxTime = number('max-time');
    if (maxTime !== undefined) changes.max_time = maxTime;
    if (!Object.keys(changes).length) throw new UsageError(`nothing to change: ${modifyUsage}`);
    const reqs: ControlRequest[] = [{ op: 'modify', path: p, changes }];
    if (args.has('reset')) reqs.push({ op: 'reset', path: p });
    return reqs;
  },
  true,
  MODIFY_FLAGS,
);
