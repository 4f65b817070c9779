// What the Problems panel says about a node that ended badly. Pure: the editor turns it into a
// Diagnostic. A failure is an error; a kill (the user's, or the pipeline stopping) is information.
import type { EndReason, NodeState } from '../protocol/runner';

export interface NodeProblem {
  severity: 'error' | 'information';
  message: string;
}

/** The Problem for a node that ended in `state`, or null when it has none (it did not fail). */
export function nodeProblem(path: string, state: NodeState, execution: { reason?: EndReason; message?: string; exitCode?: number | null }, stderrLastLine: string): NodeProblem | null {
  if (state !== 'error' && state !== 'killed') return null;
  const detail = execution.message ? ` (${execution.message})` : '';
  if (state === 'killed') return { severity: 'information', message: `${path} was killed${execution.reason && execution.reason !== 'killed' ? `: ${execution.reason}` : ''}${detail}` };
  const why = execution.reason ? `${execution.reason === 'oom' ? 'out of memory' : execution.reason}${detail}` : `exit code ${execution.exitCode}`;
  return { severity: 'error', message: `${path} failed: ${why}${stderrLastLine ? ` — ${stderrLastLine}` : ''}` };
}
