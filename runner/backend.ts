// The seam between the runner and the engines that run its nodes. The scheduler decides what runs;
// a backend runs it (local Docker today; a remote engine or a swarm plug in here) and reports how
// it ended. A node's output reaches the pipeline's space (runner/store/pipelineSpace.ts), through
// which everyone reads it, whatever the backend.
import type { EndReason } from '../protocol/runner';
import type { Budget } from './scheduler/resourceBudget';
import type { PipelineSpace } from './store/pipelineSpace';

/** One Exec node's execution, as the runner resolved it: what to run and with what. No policy. */
export interface JobSpec {
  pipelineId: string;
  execId: string;
  /** The node's path (labels, messages). */
  path: string;
  command: string;
  env: Record<string, string>;
  /** A local image name or id the engine has. */
  image: string;
  /** PATH from the image's config; the SDK's bin/ goes in front of it. */
  imagePath: string | null;
  /** Working directory in the container; null: the image's WORKDIR. */
  workdir: string | null;
  /** Host folder of the definition (null when the image has a copy of the code). */
  definitionDir: string | null;
  cpu: number;
  /** GB. */
  mem: number;
  gpu: number;
  requiresDocker: boolean;
  /** Nodes share worker containers only within one context (runner/run/reuseContext.ts); null: the shared pool. */
  reuseContext: string | null;
  /** The context has one container, its jobs run one at a time, and it lives until `endContext`. */
  pinnedContext?: boolean;
  maxTimeSec: number;
  /** The backend profile (backendProfiles.ts) its node's step names; unset: the run's backend. */
  profile?: string;
  /** The runner reads and writes the shared data while the pipeline runs (ClearML): kept in step with an engine elsewhere after each job. */
  sharesDataWithRunner?: boolean;
  /** Files the runner hands the node: the backend puts each where the node can read it, its path in `env`. */
  inputs?: { env: string; name: string }[];
  /** Files the node leaves for the runner: a path in `env` to write; kept as the execution's result `name`. */
  outputs?: { env: string; name: string }[];
  /** Where an engine that places work may put it (Docker Swarm placement constraints: `node.labels.gpu==true`). */
  constraints?: string[];
}

/** How an execution ended. */
export interface JobOutcome {
  exitCode: number | null;
  reason?: EndReason;
  message?: string;
  peakMemoryBytes: number | null;
  containerId: string;
  /** The cpu limit actually applied when the request asked for more than the machine has. */
  cpuClamped?: number;
  /** When it ended, if not now (a re-attached job that ended while the runner was away). */
  endedAt?: number;
  /** Where it ran, when only known once it ran (the swarm node a task was placed on). */
  ranOn?: string;
  /** A re-attach found the job never began (the runner stopped before handing it over): run it again. */
  notStarted?: boolean;
}

export interface JobHooks {
  /** Live output (capped: the space's log keeps every byte). */
  onLog?: (text: string) => void;
  /** The job's container runs it now; `token` finds its output again after a restart (LeftJob). */
  onStart?: (started: { containerId: string; token: string; ranOn?: string }) => void;
}

/** A job a stopped runner left running, as its execution record remembers it. */
export interface LeftJob {
  execId: string;
  containerId: string;
  /** What the backend said when it started the job (onStart). */
  token: string;
  startedAt: number;
  maxTimeSec: number;
  /** The backend profile it ran on (JobSpec.profile). */
  profile?: string;
  /** The job's output files (JobSpec.outputs), to collect if it succeeded. */
  outputs?: { env: string; name: string }[];
}

/** The reason a job was cancelled with: `controller.abort(reason)` carries it. */
export function abortReason(signal: AbortSignal): EndReason {
  const reason: unknown = signal.reason;
  return typeof reason === 'string' && ['killed', 'runner stopped', 'sleep', 'time limit'].includes(reason) ? (reason as EndReason) : 'killed';
}

/** How a job cancelled before or while it ran ended: with the reason it was aborted with. */
export function cancelledOutcome(signal: AbortSignal, containerId = ''): JobOutcome {
  return { exitCode: null, reason: abortReason(signal), peakMemoryBytes: null, containerId };
}

/** The jobs of one pipeline on one backend. */
export interface PipelineBackend {
  /**
   * Runs a job to its end. Aborting `signal` (with an EndReason) stops it whenever it comes: a job
   * not yet started never starts, a running one is killed with everything it started.
   */
  run(job: JobSpec, hooks: JobHooks, signal: AbortSignal): Promise<JobOutcome>;
  /** Follows a job a stopped runner started, to its end (`runner stopped` when it is gone). */
  reattach(job: LeftJob, hooks: JobHooks, signal: AbortSignal): Promise<JobOutcome>;
  /** Removes what a stopped runner left that nobody re-attaches to; before any `run`. */
  removeLeft(keep: ReadonlySet<string>): Promise<void>;
  /** Stops every job and frees what the pipeline held on the engine (close, sleep). */
  shutdown(): Promise<void>;
  /** A pinned reuse context is over (its node ended): its container may go. */
  endContext?(context: string): Promise<void>;
}

export interface Backend {
  /** For messages: `local Docker at unix:///var/run/docker.sock`. */
  readonly description: string;
  /** Cores and GB the engine can give running nodes. */
  capacity(): Budget;
  /** A pipeline's jobs; their output goes to `space`. */
  open(pipelineId: string, space: PipelineSpace): PipelineBackend;
}

/** The reason a job's own wait ends with (abort() without one makes a DOMException, a stack trace, per job). */
export const JOB_OVER = 'job over';

/**
 * Waits on signals for as long as one job runs, its listeners removed together when it ends:
 * an AbortController per job to do that cost as much as the job's bookkeeping at a million nodes.
 */
export class JobWaits {
  private readonly removers: (() => void)[] = [];

  /** Resolves when `signal` aborts (at once if it has), unless the job ends first. */
  until(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const onAbort = () => resolve();
      signal.addEventListener('abort', onAbort, { once: true });
      this.removers.push(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** The job is over: no listener stays on the signals. */
  end(): void {
    for (const remove of this.removers.splice(0)) remove();
  }
}

