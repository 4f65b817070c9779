// Runner state and events: what the store persists, what `pipewright run --json` prints, what the
// views subscribe to. Defined once here and imported by every part.
import type { NodeParams, PipelineNode } from './pipeline';

export type NodeState = 'pending' | 'queued' | 'running' | 'done' | 'error' | 'killed';

export const NODE_STATES: readonly NodeState[] = ['pending', 'queued', 'running', 'done', 'error', 'killed'];

/** Counts of Exec nodes by state, as Conducto's P/Q/R/D/E/K. */
export type StateCounts = Record<NodeState, number>;

/** Why an execution ended without an exit code of its own choosing. */
export type EndReason = 'oom' | 'time limit' | 'killed' | 'runner stopped' | 'sleep' | 'error';

export interface ExecutionRecord {
  id: string;
  path: string;
  /** The command and params exactly as run (a later modify does not change history). */
  command: string;
  params: NodeParams;
  image: string;
  /** How `image` was arrived at, when not by name alone: image-map substitutions (asked for → used) and the commit a copy_url image holds. */
  imageFrom?: { mapped?: { from: string; to: string }[]; git?: { url: string; branch: string; commit: string } };
  startedAt: number;
  endedAt?: number;
  exitCode?: number | null;
  reason?: EndReason;
  /** Human detail for the reason or for an engine error. */
  message?: string;
  peakMemoryBytes?: number | null;
  containerId?: string;
  /** The backend profile it was sent to (a step's execution_queue naming one); unset: the run's backend. */
  profile?: string;
  /** Where it ran: the engine's host name (and endpoint when not local), or the swarm node. */
  ranOn?: string;
  /** The backend's handle on the running job (runner/backend.ts): a restarted runner finds it by it. */
  token?: string;
  /** Set when the node asked for more cpu than the machine has and ran with less. */
  cpuClamped?: number;
  /** A pipeline step's result reused from an earlier identical execution (no container ran). */
  cached?: boolean;
  /** A pipeline step: its task id, queue and parameters as resolved when it started. */
  step?: { id: string; queue: string; parameters: Record<string, unknown>; cacheKey?: string; retry?: number; metrics?: StepMetrics };
}

/**
 * What a pipeline step reported through ClearML's Logger (report_scalar, report_single_value,
 * report_text, report_table / report_histogram), kept with its execution (runner/clearml/metrics.ts).
 */
export interface StepMetrics {
  /** title -> series -> [iteration, value] points in the order reported (value null: NaN/inf). */
  scalars: Record<string, Record<string, Array<[number, number | null]>>>;
  single: Record<string, number | null>;
  texts: string[];
  tables: Array<{ title: string; series: string; rows: string[][] }>;
  /** Reports left out by the limits (the file had more). */
  dropped: number;
}

export type PipelineStatus = 'active' | 'sleeping';

export interface PipelineSummary {
  id: string;
  name: string;
  file: string;
  createdAt: number;
  lastUsedAt: number;
  status: PipelineStatus;
  autorun: boolean;
  rootState: NodeState;
  counts: StateCounts;
  /** The pipeline function's arguments (`--n=5`), when it was given any. */
  args?: string[];
}

/** Changes a user can make to a node's command or params before a reset. */
export type NodeModification = { command?: string } & Partial<Pick<NodeParams, 'cpu' | 'gpu' | 'mem' | 'env' | 'max_time' | 'image' | 'skip'>>;

export type RunnerEvent =
  | { type: 'created'; pipeline: string; time: number; name: string; file: string }
  | { type: 'state'; pipeline: string; time: number; path: string; state: NodeState; skipped?: boolean }
  /**
   * In a pipeline's events.jsonl only, `delta`: `execution` holds only what differs from the
   * execution-start before it in the log (`unset`: its fields this one does not have), without its
   * path when it is the event's (the replay makes it whole).
   */
  | { type: 'execution-start'; pipeline: string; time: number; path: string; execution: ExecutionRecord; delta?: true; unset?: string[] }
  /** `retry`: a pipeline step failed and runs again (retry_on_failure); it goes back to pending. */
  /** In a pipeline's events.jsonl only, `delta`: `execution` holds only what changed since its execution-start (the replay makes it whole). */
  | { type: 'execution-end'; pipeline: string; time: number; path: string; state: NodeState; execution: ExecutionRecord; retry?: boolean; delta?: true }
  /** Live output (stdout and stderr as they interleave); the execution's log file keeps every byte. */
  | { type: 'log'; pipeline: string; time: number; path: string; execution: string; text: string }
  /** `reason` of a pipeline step skipped by the runner: a skipped or failed parent, or its pre_execute_callback. */
  | { type: 'skip'; pipeline: string; time: number; path: string; skipped: boolean; reason?: SkipReason }
  | { type: 'reset'; pipeline: string; time: number; path: string }
  | { type: 'modify'; pipeline: string; time: number; path: string; changes: NodeModification }
  /** `under`'s children replaced (a Lazy's), or with `append`, more children after them (a decorated pipeline's steps). */
  | { type: 'nodes-added'; pipeline: string; time: number; under: string; nodes: PipelineNode[]; append?: boolean }
  | { type: 'autorun'; pipeline: string; time: number; autorun: boolean }
  | { type: 'sleep'; pipeline: string; time: number }
  | { type: 'wake'; pipeline: string; time: number }
  /** Progress of the image a node waits for (`path`): a pull or a build, until the node starts. */
  | { type: 'image'; pipeline: string; time: number; path: string; kind: 'pull' | 'build'; image: string; message: string }
  | { type: 'notice'; pipeline: string; time: number; path?: string; message: string };

export type RunnerEventType = RunnerEvent['type'];

/** Why the runner skipped a pipeline step (none: the user did). */
export type SkipReason = 'parent' | 'callback';
