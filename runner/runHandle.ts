import type { EventEmitter } from 'node:events';
import type { ControlRequest } from '../protocol/control';
import type { NodeModification, PipelineStatus, PipelineSummary, RunnerEvent } from '../protocol/runner';
import type { RunTree } from './model/runTree';
import type { PendingReason } from './scheduler/pendingReasons';
import type { PipelineMeta } from './store/pipelineMeta';
import type { PipelineSpace } from './store/pipelineSpace';

/**
 * A live pipeline instance as the views and the CLI see it: the run itself (`PipelineRun`, in the
 * process that runs it) or a client's replica of a run the runner service holds (`RemoteRun`).
 * Operations may answer later (the service carries them out); errors come back the same way.
 */
export interface RunHandle extends EventEmitter<{ event: [RunnerEvent] }> {
  readonly id: string;
  readonly meta: PipelineMeta;
  readonly tree: RunTree;
  readonly space: PipelineSpace;
  readonly status: PipelineStatus;
  /** Asleep, or falling asleep. */
  readonly asleep: boolean;
  /** The Run toggle. */
  readonly autorun: boolean;
  /** A PipelineController pipeline: its steps have a cache. */
  readonly hasSteps: boolean;
  summary(): PipelineSummary;
  whyPending(): PendingReason[] | Promise<PendingReason[]>;
  control(request: ControlRequest): void | Promise<void>;
  setAutorun(on: boolean): void | Promise<void>;
  runAgain(nodePath: string, options?: { withoutCache?: boolean }): void | Promise<void>;
  skip(nodePath: string, skipped: boolean): void | Promise<void>;
  kill(nodePath: string): void | Promise<void>;
  modify(nodePath: string, changes: NodeModification): void | Promise<void>;
  sleep(): Promise<void>;
  wake(): void | Promise<void>;
  /** Nothing runs or is queued. */
  settled(): Promise<void>;
  /** Settled and not asleep: a sleeping run waits for its wake. */
  ended(): Promise<void>;
  /**
   * Lets go of it here. The run itself: its containers stop (it stays in the store). A replica:
   * only this client stops watching; the service runs on.
   */
  close(): Promise<void>;
  /** Stops the run wherever it runs (its containers stop; it stays in the store). */
  stop(): Promise<void>;
}

/** What the store and the lists show of a run: its identity, status and counts now. */
export function summarize(run: Pick<RunHandle, 'id' | 'meta' | 'status' | 'autorun' | 'tree'>): PipelineSummary {
  return {
    id: run.id,
    name: run.meta.name,
    file: run.meta.file,
    createdAt: run.meta.createdAt,
    lastUsedAt: Date.now(),
    status: run.status,
    autorun: run.autorun,
    rootState: run.tree.root.state,
    counts: { ...run.tree.root.leafCounts },
    ...(run.meta.args?.length ? { args: [...run.meta.args] } : {}),
  };
}
