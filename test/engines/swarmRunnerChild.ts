// A runner process the swarm test kills with SIGKILL while its job runs: it starts one job on the
// swarm and prints what the runner would record when the job starts (the service and the token).
//   node --import tsx swarmRunnerChild.ts MANAGER_HOST REGISTRY SPACE_DIR PIPELINE_ID JOB_JSON
import Docker from 'dockerode';
import { sdkDirectory } from '../../evaluator/sdkLocation';
import type { JobSpec } from '../../runner/backend';
import { PipelineSpace } from '../../runner/store/pipelineSpace';
import { SwarmBackend } from '../../runner/swarm/swarmBackend';

async function main(): Promise<void> {
  const [host, registry, dir, pipelineId, jobJson] = process.argv.slice(2) as [string, string, string, string, string];
  const backend = await SwarmBackend.connect(new Docker({ host, port: 2375 }), { registry, sdkDir: sdkDirectory(), imageSource: new Docker() });
  const space = new PipelineSpace(dir);
  space.ensure();
  const job = JSON.parse(jobJson) as JobSpec;
  await backend.open(pipelineId, space).run(job, { onStart: (started) => console.log(JSON.stringify({ ...started, startedAt: Date.now() })) }, new AbortController().signal);
}

void main();
