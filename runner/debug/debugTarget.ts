// Which execution of a node a shell or a debug container is about, and what the node had there:
// its container (while it runs), its image, env and working directory, as the runner gave them
// (run/launch.ts). Read from the store's record of the pipeline: it works for any process, the one
// running the pipeline or not. Errors name the node path and what to do instead.
import type { ExecutionRecord } from '../../protocol/runner';
import { CONTAINER_PATHS } from '../nodePaths';
import type { PipelineRun } from '../pipelineRun';

export interface DebugTarget {
  pipelineId: string;
  path: string;
  execution: ExecutionRecord;
  /** 1-based, of `total`. */
  number: number;
  total: number;
  /** The node's env as its job had it (the params as run, and what the runner adds). */
  env: Record<string, string>;
  /** Where the job worked; null: the image's WORKDIR. */
  workdir: string | null;
  /** The definition's folder is mounted read-only at /pipewright/src (the image has no copy of it). */
  mountsDefinition: boolean;
  definitionDir: string;
}

export class DebugTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DebugTargetError';
  }
}

/**
 * The node's latest execution. `running`: it must be running now in a container (a shell joins
 * it); else any execution will do (a debug container starts from its image).
 */
export function debugTarget(run: PipelineRun, nodePath: string, need: 'running' | 'executed'): DebugTarget {
  const id = run.id;
  const node = run.tree.byPath.get(nodePath);
  if (!node) throw new DebugTargetError(`pipeline ${id} has no node ${nodePath} (see: pipewright show ${id})`);
  if (node.spec.type !== 'Exec') throw new DebugTargetError(`${nodePath} is a ${node.spec.type}: a shell or a debug container is for one of its Exec nodes`);
  const total = node.executions.length;
  const execution = node.executions[total - 1];
  if (need === 'running') {
    if (!execution || execution.endedAt !== undefined || node.state !== 'running') throw new DebugTargetError(`${nodePath} is not running (it is ${node.state}${node.skipped ? ', skipped' : ''}): a shell joins a running node's container; for a fresh container with its image: pipewright debug ${id} ${nodePath}`);
    if (!execution.containerId) throw new DebugTargetError(`${nodePath} is running but has no container yet (its image is being prepared, or it runs in the runner itself): try again in a moment`);
  } else if (!execution) {
    throw new DebugTargetError(`${nodePath} has no execution yet: debug starts from the image a node ran in; run it first (pipewright reset ${id} ${nodePath})`);
  } else if (!execution.image) {
    throw new DebugTargetError(`${nodePath}'s latest execution ran in no container (${execution.cached ? 'a cached result' : execution.message ?? 'it ended before its image was ready'}): nothing to debug`);
  }
  const spec = execution.params.image;
  // As launch.ts: copy_dir/copy_url images work where the code was copied, ClearML steps in the
  // definition's folder, the rest in the image's WORKDIR.
  const copied = Boolean(spec?.copy_dir || spec?.copy_url);
  const workdir = copied || execution.step ? CONTAINER_PATHS.src : null;
  const env = { ...execution.params.env, PIPEWRIGHT_PIPELINE: id, PIPEWRIGHT_NODE_PATH: nodePath, PIPEWRIGHT_EXECUTION: execution.id };
  return { pipelineId: id, path: nodePath, execution, number: total, total, env, workdir, mountsDefinition: !copied, definitionDir: run.definitionDir };
}
