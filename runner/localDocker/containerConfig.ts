import type { ContainerCreateOptions } from 'dockerode';
import { createHash } from 'node:crypto';
import type { JobSpec } from '../backend';
import { CONTAINER_PATHS } from '../nodePaths';
import { workerLoopScript } from './workerScripts';

export const LABELS = {
  pipeline: 'pipewright.pipeline',
  worker: 'pipewright.worker',
  key: 'pipewright.key',
} as const;

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const GB = 2 ** 30;
/** Enough for real builds, low enough that a fork bomb stays inside its container. */
export const PIDS_LIMIT = 4096;

/** A job as the local Docker backend runs it: with the host folders it mounts. */
export interface WorkerRequest extends JobSpec {
  /** The pipeline's exec folder (job scripts, FIFOs, logs, exit files) and shared data. */
  execDir: string;
  dataDir: string;
  /** The Python SDK, mounted read-only. */
  sdkDir: string;
}

/** What must match for two nodes to share a worker container. */
export function workerKey(req: WorkerRequest, cpuLimit: number): string {
  const parts = [req.image, cpuLimit, req.mem, req.gpu, req.requiresDocker, req.reuseContext ?? '', req.definitionDir ?? '', req.execDir];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** The cpu limit a node gets: what it asks, but no more than the machine has. */
export function cpuLimit(requested: number, hostCpus: number): number {
  return Math.min(requested, hostCpus);
}

/** Create options of a worker container: limits, labels, mounts. Never privileged. */
export function workerContainerConfig(req: WorkerRequest, workerName: string, limitCpu: number, dockerSocket: string | null): ContainerCreateOptions {
  const binds = [`${req.sdkDir}:${CONTAINER_PATHS.sdk}:ro`, `${req.execDir}:${CONTAINER_PATHS.exec}`, `${req.dataDir}:${CONTAINER_PATHS.data}`];
  if (req.definitionDir) binds.push(`${req.definitionDir}:${CONTAINER_PATHS.src}`);
  if (req.requiresDocker && dockerSocket) binds.push(`${dockerSocket}:/var/run/docker.sock`);
  const memory = Math.round(req.mem * GB);
  return {
    name: workerName,
    Image: req.image,
    Cmd: ['sh', '-c', workerLoopScript()],
    WorkingDir: req.workdir,
    Env: [
      `PATH=${CONTAINER_PATHS.sdk}/bin:${req.imagePath ?? DEFAULT_PATH}`,
      `PYTHONPATH=${CONTAINER_PATHS.sdk}`,
      `PIPEWRIGHT_WORKER=${workerName}`,
      `PIPEWRIGHT_PIPELINE=${req.pipelineId}`,
      `PIPEWRIGHT_DATA=${CONTAINER_PATHS.data}`,
    ],
    Labels: {
      [LABELS.pipeline]: req.pipelineId,
      [LABELS.worker]: workerName,
      [LABELS.key]: workerKey(req, limitCpu),
    },
    HostConfig: {
      NanoCpus: limitCpu > 0 ? Math.round(limitCpu * 1e9) : 0,
      Memory: memory,
      // No swap: a node over its memory is killed, not slowed to a crawl.
      MemorySwap: memory,
      PidsLimit: PIDS_LIMIT,
      Privileged: false,
      Init: true,
      Binds: binds,
      ...(req.gpu > 0 ? { DeviceRequests: [{ Driver: '', Count: req.gpu, DeviceIDs: [], Capabilities: [['gpu']], Options: {} }] } : {}),
    },
  };
}
