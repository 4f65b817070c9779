import type { ContainerCreateOptions } from 'dockerode';
import { createHash } from 'node:crypto';
import type { JobSpec } from '../backend';
import { CONTAINER_PATHS } from '../nodePaths';
import { AGENT_SCRIPT } from './agent';

export const LABELS = {
  pipeline: 'pipewright.pipeline',
  /** Which store's pipeline (ids repeat across stores on one engine): PipelineNetwork.owner. */
  owner: 'pipewright.owner',
  worker: 'pipewright.worker',
  key: 'pipewright.key',
} as const;

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const GB = 2 ** 30;
/** Enough for real builds, low enough that a fork bomb stays inside its container. */
export const PIDS_LIMIT = 4096;

/** A job as the local Docker backend runs it: with the host folders it mounts. */
export interface WorkerRequest extends JobSpec {
  /** Where the worker's files come from (workerFiles.ts). */
  mounts: WorkerMounts;
  /** The pipeline's own Docker network (network.ts): its nodes and the services they start reach each other by name. */
  network: string;
  /** The pipeline's owner key (PipelineNetwork.owner), a label that keeps namesakes apart. */
  owner: string;
}

/**
 * What a worker mounts: each a host folder (an engine on this machine) or a volume name (an engine
 * elsewhere, filled through the API): Docker binds take either.
 */
export interface WorkerMounts {
  /** The Python SDK, read-only. */
  sdk: string;
  /** The pipeline's shared data (co.data.pipeline, ClearML artifacts), read-write for every node. */
  data: string;
  /** The user's data shared by all their pipelines (co.data.user), read-write for every node. */
  userData: string;
  /** The definition's folder, read-only (null: the image has a copy of the code). */
  src: string | null;
  /** Container paths covered by an empty read-only folder: the store, when the definition's folder holds it (hiddenFolders.ts). */
  hidden?: string[];
  /** The engine's Docker socket, for nodes that require docker (null: none is offered). */
  dockerSocket: string | null;
}

/**
 * What must match for two nodes to share a worker container. The cpu asked, not the limit it gets:
 * a node modified to ask for more cores (clamped to the machine's, as before) starts in a container
 * of its own, not in the one its last run left its files in.
 */
export function workerKey(req: WorkerRequest): string {
  const parts = [req.pipelineId, req.image, req.cpu, req.mem, req.gpu, req.requiresDocker, req.reuseContext ?? '', req.definitionDir ?? ''];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** The cpu limit a node gets: what it asks, but no more than the machine has. */
export function cpuLimit(requested: number, hostCpus: number): number {
  return Math.min(requested, hostCpus);
}

/**
 * Create options of a worker container: limits, labels, mounts, the agent as PID 1 with its stdin
 * open for jobs. Never privileged. The only host folders a node sees: the SDK and the definition's
 * folder (read-only), the pipeline's shared data (at Pipewright's and at Conducto's path), the
 * user's data, and the Docker socket when it requires docker. It works in its image's WORKDIR
 * (where copy_dir puts the code). It is on its pipeline's network only, never the host's.
 */
export function workerContainerConfig(req: WorkerRequest, workerName: string, limitCpu: number, idleSec: number): ContainerCreateOptions {
  const { mounts } = req;
  const binds = [
    `${mounts.sdk}:${CONTAINER_PATHS.sdk}:ro`,
    `${mounts.data}:${CONTAINER_PATHS.data}`,
    `${mounts.data}:${CONTAINER_PATHS.conductoPipelineData}`,
    `${mounts.userData}:${CONTAINER_PATHS.conductoUserData}`,
  ];
  if (req.definitionDir && mounts.src) binds.push(`${mounts.src}:${CONTAINER_PATHS.src}:ro`);
  if (req.requiresDocker && mounts.dockerSocket) binds.push(`${mounts.dockerSocket}:/var/run/docker.sock`);
  const memory = Math.round(req.mem * GB);
  return {
    name: workerName,
    Image: req.image,
    Cmd: ['sh', '-c', AGENT_SCRIPT],
    // Jobs come on stdin; it stays open between attachments (a restarted runner attaches again).
    OpenStdin: true,
    StdinOnce: false,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    Env: [
      `PATH=${CONTAINER_PATHS.sdk}/bin:${req.imagePath ?? DEFAULT_PATH}`,
      `PYTHONPATH=${CONTAINER_PATHS.sdk}`,
      `PIPEWRIGHT_WORKER=${workerName}`,
      `PIPEWRIGHT_PIPELINE=${req.pipelineId}`,
      `PIPEWRIGHT_DATA=${CONTAINER_PATHS.data}`,
      `PIPEWRIGHT_USER_DATA=${CONTAINER_PATHS.conductoUserData}`,
      ...(req.definitionDir ? [`PIPEWRIGHT_SRC=${CONTAINER_PATHS.src}`] : []),
      `PIPEWRIGHT_IDLE_SEC=${idleSec}`,
      ...conductoEnv(req.pipelineId, req.network),
    ],
    Labels: {
      [LABELS.pipeline]: req.pipelineId,
      [LABELS.owner]: req.owner,
      [LABELS.worker]: workerName,
      [LABELS.key]: workerKey(req),
    },
    HostConfig: {
      NanoCpus: limitCpu > 0 ? Math.round(limitCpu * 1e9) : 0,
      Memory: memory,
      // No swap: a node over its memory is killed, not slowed to a crawl.
      MemorySwap: memory,
      PidsLimit: PIDS_LIMIT,
      Privileged: false,
      // The agent is PID 1: it reaps orphans and no job can signal it away.
      Init: false,
      Binds: binds,
      ...(mounts.hidden?.length ? { Tmpfs: Object.fromEntries(mounts.hidden.map((p) => [p, 'ro,size=4k,mode=0555'])) } : {}),
      NetworkMode: req.network,
      // The engine keeps what a job prints while no runner is attached (re-attach reads it back).
      LogConfig: { Type: 'local', Config: { 'max-size': '20m', 'max-file': '3' } },
      ...(req.gpu > 0 ? { DeviceRequests: [{ Driver: '', Count: req.gpu, DeviceIDs: [], Capabilities: [['gpu']], Options: {} }] } : {}),
    },
  };
}

/**
 * What Conducto's own workers set and nodes read: the pipeline's id (examples start services on
 * `conducto_network_$CONDUCTO_PIPELINE_ID`), that this is a local worker (co.data then uses
 * /conducto/data), and the network's name.
 */
export function conductoEnv(pipelineId: string, network: string): string[] {
  return [`CONDUCTO_PIPELINE_ID=${pipelineId}`, 'CONDUCTO_EXECUTION_ENV=worker_local', `CONDUCTO_NETWORK=${network}`];
}
