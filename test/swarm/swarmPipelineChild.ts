// A runner process running a whole pipeline on the swarm, which the swarm test kills with SIGKILL
// mid-run: prints the pipeline's id once it runs.
//   node --import tsx swarmPipelineChild.ts MANAGER_HOST REGISTRY STORE_ROOT DEFAULT_IMAGE DEFINITION
import Docker from 'dockerode';
import { evaluateDefinition } from '../../evaluator/evaluateDefinition';
import { PipelineRun } from '../../runner/pipelineRun';
import { createRunContext } from '../../runner/runContext';
import { SwarmBackend } from '../../runner/swarm/swarmBackend';

async function main(): Promise<void> {
  const [host, registry, storeRoot, defaultImage, file] = process.argv.slice(2) as [string, string, string, string, string];
  const ctx = await createRunContext({ storeRoot, defaultImage });
  const backend = await SwarmBackend.connect(new Docker({ host, port: 2375 }), { registry, sdkDir: ctx.sdkDir, imageSource: ctx.docker });
  Object.assign(ctx, { backend, budget: backend.capacity() });
  const run = PipelineRun.create(await evaluateDefinition(file, {}), ctx);
  run.setAutorun(true);
  console.log(run.id);
  await new Promise(() => undefined);
}

void main();
