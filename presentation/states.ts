// How a node's or a run's state is written for people, the same in the CLI, the sidebar and the
// panel. Pure: no Node.js, no DOM, no vscode.
import type { EndReason, NodeState } from '../protocol/runner';

/** A state as shown: a sleeping run's unfinished work reads "sleeping", not "pending". */
export type ShownState = NodeState | 'sleeping';

/** Pending, queued or running work of a sleeping run is asleep; finished work keeps its state. */
export function shownState(state: NodeState, sleeping: boolean): ShownState {
  return sleeping && (state === 'pending' || state === 'queued' || state === 'running') ? 'sleeping' : state;
}

/**
 * Why a leaf ended in error or killed, in a word or two: "exit 3", "oom", "time limit". Empty when the
 * state already says it (a user's kill is "killed", not "killed killed").
 */
export function endWhy(state: NodeState, last: { reason?: EndReason; exitCode?: number | null } | undefined): string {
  if (!last || (state !== 'error' && state !== 'killed')) return '';
  if (last.reason === undefined) return `exit ${last.exitCode ?? '?'}`;
  return last.reason === state ? '' : last.reason;
}
