import { readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import type { ControlRequest } from '../../runner/store/controlInbox';
import { ControlInbox } from '../../runner/store/controlInbox';
import { PipelineRun } from '../../runner/pipelineRun';
import { createRunContext } from '../../runner/runContext';
import { PipelineStore } from '../../runner/store/pipelineStore';
import { parseArgs, UsageError, type ParsedArgs } from '../args';
import type { CliIO } from '../io';
import { runToEnd, runnerOptions } from '../runToEnd';
import { formatCounts, renderStatus } from '../statusDisplay';

const RETENTION_DAYS = Number(process.env.PIPEWRIGHT_RETENTION_DAYS ?? 7);

function storeFrom(args: ParsedArgs): PipelineStore {
  const root = args.flags.get('store');
  const store = new PipelineStore(typeof root === 'string' ? root : undefined);
  store.pruneExpired(RETENTION_DAYS);
  return store;
}

export const listUsage = 'pipewright list';
export async function listCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const store = storeFrom(parseArgs(argv, [], ['store']));
  const rows = store.list();
  if (!rows.length) io.out(`no pipelines in ${store.root}\n`);
  for (const m of rows) {
    const live = store.liveOwner(m.id) ? 'running' : m.status;
    io.out(`${m.id.padEnd(14)} ${live.padEnd(9)} ${(m.rootState ?? '').padEnd(8)} ${m.counts ? formatCounts(m.counts) : ''}  ${m.name}  ${m.file}  ${new Date(m.lastUsedAt).toISOString()}\n`);
  }
  return 0;
}

export const showUsage = 'pipewright show ID [--json]';
export async function showCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, ['json'], ['store']);
  const [id] = args.positionals;
  if (!id) throw new UsageError(showUsage);
  const store = storeFrom(args);
  const run = await PipelineRun.inspect(id, { store });
  if (args.flags.has('json')) {
    const nodes = [...run.tree.byPath.values()].map((n) => ({ path: n.path, state: n.state, skipped: n.skipped, executions: n.executions }));
    io.out(`${JSON.stringify({ pipeline: run.summary(), nodes })}\n`);
  } else {
    io.out(`pipeline ${id} (${run.meta.name} from ${run.meta.file}) ${run.status}, run ${run.scheduler.autorun ? 'on' : 'off'}\n${renderStatus(run.tree)}\n${formatCounts(run.tree.root.leafCounts)}\n`);
  }
  return 0;
}

export const logsUsage = 'pipewright logs ID PATH [--execution N]';
/** Prints the log of a node's latest execution (or the Nth), byte for byte. */
export async function logsCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, [], ['store', 'execution']);
  const [id, nodePath] = args.positionals;
  if (!id || !nodePath) throw new UsageError(logsUsage);
  const store = storeFrom(args);
  const run = await PipelineRun.inspect(id, { store });
  const node = run.tree.get(nodePath);
  if (!node.executions.length) throw new Error(`${nodePath} has not run yet`);
  const which = args.flags.get('execution');
  const index = typeof which === 'string' ? Number(which) - 1 : node.executions.length - 1;
  const execution = node.executions[index];
  if (!execution) throw new Error(`${nodePath} has ${node.executions.length} executions`);
  const file = path.join(store.dir(id), execution.logFile);
  if (existsSync(file)) process.stdout.write(readFileSync(file));
  const end = execution.endedAt === undefined ? 'still running' : execution.reason ? `${execution.reason}${execution.message ? `: ${execution.message}` : ''}` : `exit ${execution.exitCode}`;
  io.err(`[${nodePath} execution ${index + 1}/${node.executions.length}: ${end}]\n`);
  return 0;
}

/** reset/skip/unskip/kill/start: asks the live owner, or opens the pipeline here and runs it to the end. */
function controlCommand(usage: string, request: (nodePath: string) => ControlRequest, needsPath = true) {
  return async (argv: readonly string[], io: CliIO): Promise<number> => {
    const args = parseArgs(argv, ['json'], ['store', 'image', 'cpus', 'mem']);
    const [id, nodePath] = args.positionals;
    if (!id || (needsPath && !nodePath)) throw new UsageError(usage);
    const store = storeFrom(args);
    const req = request(nodePath ?? '/');
    if (store.liveOwner(id)) {
      const reply = await new ControlInbox(store.dir(id)).send(req);
      if (!reply.ok) throw new Error(reply.error ?? 'refused');
      io.out(`${req.op} sent to the process running ${id}\n`);
      return 0;
    }
    if (!store.exists(id)) throw new Error(`no pipeline "${id}" in ${store.root}`);
    const ctx = await createRunContext({ ...runnerOptions(args, io), storeRoot: typeof args.flags.get('store') === 'string' ? (args.flags.get('store') as string) : undefined });
    const run = await PipelineRun.open(id, ctx);
    if (run.status === 'sleeping') run.wake();
    return runToEnd(run, args.flags.has('json'), io, () => run.control(req));
  };
}

export const resetUsage = 'pipewright reset ID PATH';
export const resetCommand = controlCommand(resetUsage, (p) => ({ op: 'reset', path: p }));
export const skipUsage = 'pipewright skip ID PATH';
export const skipCommand = controlCommand(skipUsage, (p) => ({ op: 'skip', path: p, skipped: true }));
export const unskipUsage = 'pipewright unskip ID PATH';
export const unskipCommand = controlCommand(unskipUsage, (p) => ({ op: 'skip', path: p, skipped: false }));
export const killUsage = 'pipewright kill ID PATH';
export const killCommand = controlCommand(killUsage, (p) => ({ op: 'kill', path: p }));
export const startUsage = 'pipewright start ID';
export const startCommand = controlCommand(startUsage, () => ({ op: 'autorun', on: true }), false);
