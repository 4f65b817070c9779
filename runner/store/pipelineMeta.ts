// A pipeline's meta.json: what `list` shows without replaying the pipeline. Checked when read, so a
// damaged one is reported naming the file and the field instead of breaking whoever reads it.
import { NODE_STATES, type NodeState, type PipelineStatus, type StateCounts } from '../../protocol/runner';
import { readJsonFile, StoreFileError } from './storeFileError';

export interface PipelineMeta {
  id: string;
  name: string;
  file: string;
  createdAt: number;
  lastUsedAt: number;
  status: PipelineStatus;
  /** The image for nodes that name none, as when the instance was created (`--image`). */
  defaultImage?: string;
  /** The image map in effect when the instance was created (`FROM=TO`); each execution records what it replaced. */
  imageMap?: string[];
  /** The pipeline function's arguments the instance was made with, as the command line takes them (`--n=5`). */
  args?: string[];
  /** As of the last time a runner let go of it. */
  rootState?: NodeState;
  counts?: StateCounts;
}

const STATUSES: readonly PipelineStatus[] = ['active', 'sleeping'];

/** Reads and checks the meta.json of pipeline `id`; throws a StoreFileError naming the file and what is wrong. */
export function readMeta(file: string, id: string): PipelineMeta {
  const value = readJsonFile(file);
  const problem = metaProblem(value, id);
  if (problem) throw new StoreFileError(file, problem);
  return value as PipelineMeta;
}

function metaProblem(value: unknown, id: string): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const meta = value as Record<string, unknown>;
  if (meta.id !== id) return `"id" is ${JSON.stringify(meta.id)}, not this folder's "${id}"`;
  for (const key of ['name', 'file'] as const) if (typeof meta[key] !== 'string') return `"${key}" is missing or not a string`;
  for (const key of ['createdAt', 'lastUsedAt'] as const) if (!Number.isFinite(meta[key])) return `"${key}" is missing or not a number`;
  if (!STATUSES.includes(meta.status as PipelineStatus)) return `"status" is ${JSON.stringify(meta.status)}, not one of ${STATUSES.join(', ')}`;
  if (meta.defaultImage !== undefined && typeof meta.defaultImage !== 'string') return '"defaultImage" is not a string';
  if (meta.imageMap !== undefined && !(Array.isArray(meta.imageMap) && meta.imageMap.every((e) => typeof e === 'string'))) return '"imageMap" is not a list of strings';
  if (meta.args !== undefined && !(Array.isArray(meta.args) && meta.args.every((e) => typeof e === 'string'))) return '"args" is not a list of strings';
  if (meta.rootState !== undefined && !NODE_STATES.includes(meta.rootState as NodeState)) return `"rootState" is ${JSON.stringify(meta.rootState)}, not a node state`;
  if (meta.counts !== undefined && (typeof meta.counts !== 'object' || meta.counts === null)) return '"counts" is not an object';
  return null;
}
