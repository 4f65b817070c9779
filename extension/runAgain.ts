import type { PipelineRun } from '../runner/pipelineRun';

/**
 * The editor's "Run / Reset" (tree, panel): the node runs again now, so the Run toggle goes on
 * first. `withoutCache`: pipeline steps ignore their cached results (Run Without Cache).
 */
export function runAgain(run: PipelineRun, nodePath: string, { withoutCache = false } = {}): void {
  if (!run.scheduler.autorun) run.setAutorun(true);
  if (withoutCache) run.refresh(nodePath);
  else run.reset(nodePath);
}
