// A runner process running a whole pipeline on the swarm, which the swarm test kills with SIGKILL
// mid-run: prints the pipeline's id once it runs.
//   node --import tsx swarmPipelineChild.ts MANAGER_HOST REGISTRY STORE_ROOT DEFAULT_IMAGE DEFINITION
import { evaluateDefinition } from '../../evaluator/evaluateDefinition';
import { PipelineRun } from '../../runner/pipelineRun';
import { createRunContext } from '../../runner/runContext';

async function main(): Promise<void> {
  const [host, registry, storeRoot, defaultImage, file] = process.argv.slice(2) as [string, string, string, string, string];
  // As `pipewright run --backend swarm --registry REGISTRY --docker-host tcp://MANAGER:2375` does.
  const ctx = await createRunContext({ storeRoot, defaultImage, backend: 'swarm', registry, dockerHost: `tcp://${host}:2375` });
  const run = PipelineRun.create(await evaluateDefinition(file, {}), ctx);
  run.setAutorun(true);
  console.log(run.id);
  await new Promise(() => undefined);
}

void main();
