// Where the CLI's runs live: in the runner service by default (a run outlives the CLI; another
// client can watch it), or in this process with PIPEWRIGHT_SERVICE=off (the run ends with it, as a
// CI job may want).
import type { PipelineDocument } from '../protocol/pipeline';
import { PipelineRun } from '../runner/pipelineRun';
import type { RunHandle } from '../runner/runHandle';
import { createRunContext, type RunContextOptions } from '../runner/runContext';
import { withNewInstance } from '../runner/service/newInstance';
import { engineOptions } from '../runner/service/engineOptions';
import { RemoteRun } from '../runner/service/remoteRun';
import { ServiceClient, type ServiceLauncher } from '../runner/service/serviceClient';
import { defaultStoreRoot } from '../runner/store/storeLocation';
import { PipelineStore } from '../runner/store/pipelineStore';

export function serviceEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PIPEWRIGHT_SERVICE !== 'off';
}

/** This CLI, run again as `pipewright service` (from source under tsx too). */
export function cliLauncher(storeRoot: string): ServiceLauncher {
  return { command: process.execPath, args: [...process.execArgv, process.argv[1]!, 'service', '--store', storeRoot] };
}

export async function connectService(storeRoot: string): Promise<ServiceClient> {
  return (await ServiceClient.connect(storeRoot, cliLauncher(storeRoot)))!;
}

/** A new pipeline instance of `doc` (evaluated with `args`), run by the service (or here), not started yet unless `autorun`. */
export async function startRun(doc: PipelineDocument, options: RunContextOptions, autorun: boolean, args: readonly string[] = []): Promise<RunHandle> {
  if (!serviceEnabled()) {
    const run = PipelineRun.create(doc, await createRunContext(options), { args });
    if (autorun) run.setAutorun(true);
    return run;
  }
  const storeRoot = options.storeRoot ?? defaultStoreRoot();
  const store = new PipelineStore(storeRoot);
  return withNewInstance(doc, store, options, args, (id) => serviceRun(store, id, options, autorun));
}

/** A stored pipeline, opened (recovered) by the service (or here) and followed. */
export async function ownRun(id: string, options: RunContextOptions, autorun?: boolean): Promise<RunHandle> {
  if (!serviceEnabled()) {
    const run = await PipelineRun.open(id, await createRunContext(options));
    if (autorun !== undefined && run.autorun !== autorun && !run.asleep) run.setAutorun(autorun);
    return run;
  }
  const store = new PipelineStore(options.storeRoot ?? defaultStoreRoot());
  return serviceRun(store, id, options, autorun);
}

async function serviceRun(store: PipelineStore, id: string, options: RunContextOptions, autorun: boolean | undefined): Promise<RunHandle> {
  const client = await connectService(options.storeRoot ?? defaultStoreRoot());
  try {
    await client.request({ op: 'open', pipeline: id, options: engineOptions(options), ...(autorun !== undefined ? { autorun } : {}) });
    const run = await RemoteRun.attach(client, store, id);
    run.onDetached = () => client.close();
    return run;
  } catch (err) {
    client.close();
    throw err;
  }
}

/** Whether the store's runner service (if one runs) holds the pipeline `id`; none is started to ask. */
export async function heldByService(storeRoot: string, id: string): Promise<boolean> {
  const client = await ServiceClient.connect(storeRoot);
  if (!client) return false;
  try {
    return ((await client.request({ op: 'list' })) as { id: string }[]).some((r) => r.id === id);
  } finally {
    client.close();
  }
}
