import { CLIENT_ENV } from '../../runner/service/engineOptions';
import { RunnerService } from '../../runner/service/runnerService';
import { serviceAddress } from '../../runner/service/serviceAddress';
import { ServiceClient } from '../../runner/service/serviceClient';
import { PipelineStore } from '../../runner/store/pipelineStore';
import { defaultStoreRoot } from '../../runner/store/storeLocation';
import { parseArgs, UsageError } from '../args';
import type { CliIO } from '../io';
import { RUNNER_FLAGS, runToEnd } from '../runToEnd';
import { heldByService, ownRun } from '../runnerClient';
import { STORE_FLAG } from '../storedPipelines';

/** How long the service stays with no active run and no client (PIPEWRIGHT_SERVICE_IDLE_MS). */
const DEFAULT_IDLE_MS = 60_000;

export const serviceUsage = 'pipewright service [--store DIR] [--status | --stop]';

/**
 * The runner service of a store, in the foreground (clients start it detached on demand). With
 * --status: whether one runs, and the runs it holds.
 */
export async function serviceCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, { flags: { ...STORE_FLAG, status: 'boolean', stop: 'boolean' } });
  if (args.positionals.length) throw new UsageError(serviceUsage);
  const storeRoot = args.value('store') ?? defaultStoreRoot();
  new PipelineStore(storeRoot); // makes the store's folders, private
  if (args.has('status')) return serviceStatus(storeRoot, io);
  if (args.has('stop')) return stopService(storeRoot, io);
  for (const name of CLIENT_ENV) delete process.env[name];
  const idle = Number(process.env.PIPEWRIGHT_SERVICE_IDLE_MS);
  const service = new RunnerService(serviceAddress(storeRoot), {
    idleMs: Number.isFinite(idle) && idle > 0 ? idle : DEFAULT_IDLE_MS,
    log: (line) => io.err(`${line}\n`),
  });
  if (!(await service.start())) {
    io.err(`a runner service of ${storeRoot} is running already\n`);
    return 0;
  }
  const stop = () => void service.stop('told to stop');
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await service.stopped;
  return 0;
}

async function serviceStatus(storeRoot: string, io: CliIO): Promise<number> {
  const client = await ServiceClient.connect(storeRoot);
  if (!client) {
    io.out(`no runner service of ${storeRoot} is running\n`);
    return 1;
  }
  try {
    const hello = (await client.request({ op: 'hello', client: 'pipewright service --status' })) as { pid: number };
    const runs = (await client.request({ op: 'list' })) as { id: string; name: string; file: string }[];
    io.out(`runner service of ${storeRoot}: pid ${hello.pid}, ${runs.length} run${runs.length === 1 ? '' : 's'}\n`);
    for (const r of runs) io.out(`  ${r.id}  ${r.name}  ${r.file}\n`);
    return 0;
  } finally {
    client.close();
  }
}

/** Stops the store's service (its runs' containers stop; the runs stay in the store). */
async function stopService(storeRoot: string, io: CliIO): Promise<number> {
  const client = await ServiceClient.connect(storeRoot);
  if (!client) {
    io.out(`no runner service of ${storeRoot} is running\n`);
    return 0;
  }
  const gone = new Promise<void>((resolve) => client.onClose(() => resolve()));
  await client.request({ op: 'stop' });
  await gone;
  io.out(`the runner service of ${storeRoot} stopped\n`);
  return 0;
}

export const watchUsage = 'pipewright watch ID [--json] [--store DIR]';

/** Follows a run the runner service holds, as `run` shows it, to its end; the run is not changed. */
export async function watchCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, { flags: { ...RUNNER_FLAGS, json: 'boolean' } });
  const [id] = args.positionals;
  if (!id || args.positionals.length > 1) throw new UsageError(watchUsage);
  const storeRoot = args.value('store') ?? defaultStoreRoot();
  const held = await heldByService(storeRoot, id);
  if (!held) throw new Error(`pipeline ${id} is not running in the runner service (see: pipewright list; run it: pipewright start ${id})`);
  const run = await ownRun(id, { storeRoot });
  return runToEnd(run, args.has('json'), io, () => undefined, () => ownRun(id, { storeRoot }));
}
