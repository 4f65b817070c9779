// One job as a one-shot swarm service: one replica, never restarted, its cpu and memory both
// reserved (the scheduler places it where they are free) and limited (as on the local engine),
// killed at once when removed (SIGKILL as stop signal, a short grace), labelled so a restarted
// runner finds it and nothing of a pipeline is left behind.
import type { JobSpec } from '../backend';
import { CONTAINER_PATHS } from '../nodePaths';
import type { DataAccess } from './dataService';

export const SWARM_LABELS = {
  pipeline: 'pipewright.pipeline',
  /** Which store's pipeline (ids repeat across stores on one swarm). */
  owner: 'pipewright.owner',
  exec: 'pipewright.exec',
  path: 'pipewright.path',
} as const;

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const GB = 2 ** 30;

export interface ServiceRequest {
  job: JobSpec;
  /** The registry reference of the job's run image (runImage.ts). */
  image: string;
  command: string[];
  owner: string;
  /** Where the task fetches and sends back the pipeline's shared data (dataService.ts), if served. */
  data?: DataAccess;
}

/** Service names are DNS labels: at most 63 characters. */
export function serviceName(pipelineId: string, execId: string): string {
  return `pw-${pipelineId}-${execId}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 63).replace(/-+$/, '');
}

export function serviceSpec({ job, image, command, owner, data }: ServiceRequest): Record<string, unknown> {
  const nanoCpus = job.cpu > 0 ? Math.round(job.cpu * 1e9) : 0;
  const memory = job.mem > 0 ? Math.round(job.mem * GB) : 0;
  const labels = { [SWARM_LABELS.pipeline]: job.pipelineId, [SWARM_LABELS.owner]: owner, [SWARM_LABELS.exec]: job.execId, [SWARM_LABELS.path]: job.path.slice(0, 1000) };
  return {
    Name: serviceName(job.pipelineId, job.execId),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        // Command replaces the image's ENTRYPOINT: the wrapper must be PID 1 (it ends what the job leaves).
        Command: command,
        Env: [
          `PATH=${CONTAINER_PATHS.sdk}/bin:${job.imagePath ?? DEFAULT_PATH}`,
          `PYTHONPATH=${CONTAINER_PATHS.sdk}`,
          `PIPEWRIGHT_PIPELINE=${job.pipelineId}`,
          `PIPEWRIGHT_DATA=${CONTAINER_PATHS.data}`,
          `PIPEWRIGHT_USER_DATA=${CONTAINER_PATHS.conductoUserData}`,
          ...(job.definitionDir ? [`PIPEWRIGHT_SRC=${CONTAINER_PATHS.src}`] : []),
          // Where it runs, filled in by the swarm when it places the task (a template of the service spec).
          'PIPEWRIGHT_SWARM_NODE={{.Node.Hostname}}',
          `CONDUCTO_PIPELINE_ID=${job.pipelineId}`,
          'CONDUCTO_EXECUTION_ENV=worker_local',
          ...(data ? [`PIPEWRIGHT_DATA_URL=${data.url}`, `PIPEWRIGHT_DATA_TOKEN=${data.token}`] : []),
          ...(data?.userUrl ? [`PIPEWRIGHT_USER_DATA_URL=${data.userUrl}`] : []),
        ],
        Labels: labels,
        StopSignal: 'SIGKILL',
        StopGracePeriod: 1e9,
        ...(job.requiresDocker ? { Mounts: [{ Type: 'bind', Source: '/var/run/docker.sock', Target: '/var/run/docker.sock' }] } : {}),
      },
      Resources: {
        Reservations: { NanoCPUs: nanoCpus, MemoryBytes: memory },
        Limits: { NanoCPUs: nanoCpus, MemoryBytes: memory },
      },
      RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
      ...(job.constraints?.length ? { Placement: { Constraints: job.constraints } } : {}),
      // The engine keeps what the job prints while no runner follows it (re-attach reads it back).
      LogDriver: { Name: 'json-file', Options: { 'max-size': '20m', 'max-file': '3' } },
    },
    Mode: { Replicated: { Replicas: 1 } },
  };
}
