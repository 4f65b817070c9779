// What the editor says when a run it holds ends: which notification (by the pipewright.notifications
// setting), and the status bar's line. Pure (no vscode): decided here, shown by runNotifier.ts.
import { formatDuration } from '../../presentation/format';
import type { NodeState, StateCounts } from '../../protocol/runner';

/** `pipewright.notifications`: every end, failed ends only, or none. */
export type NotificationSetting = 'all' | 'failures' | 'off';

export const NOTIFICATION_SETTINGS: readonly NotificationSetting[] = ['all', 'failures', 'off'];

/** The setting's value; anything else (a typo in settings.json) counts as the default, "all". */
export function notificationSetting(value: unknown): NotificationSetting {
  return NOTIFICATION_SETTINGS.includes(value as NotificationSetting) ? (value as NotificationSetting) : 'all';
}

/** A run that was busy and now has nothing running or queued. */
export interface RunResult {
  id: string;
  name: string;
  rootState: NodeState;
  counts: StateCounts;
  durationMs: number;
  /** Exec nodes in error or killed, depth-first: the first one's logs are "Show Logs". */
  failed: string[];
}

export type NoticeButton = 'Show' | 'Show Logs';

export interface FinishNotice {
  severity: 'info' | 'error';
  message: string;
  buttons: NoticeButton[];
  /** The node whose logs "Show Logs" opens. */
  logsOf?: string;
}

/** Did the run end, failed, or just stop for now (run toggle off, asleep: pending nodes wait)? */
export function ended(rootState: NodeState): 'done' | 'failed' | null {
  if (rootState === 'done') return 'done';
  if (rootState === 'error' || rootState === 'killed') return 'failed';
  return null;
}

/** The notification for a run that ended, or null when the setting wants none (or it has not ended). */
export function finishNotice(result: RunResult, setting: NotificationSetting): FinishNotice | null {
  const how = ended(result.rootState);
  if (!how || setting === 'off' || (setting === 'failures' && how === 'done')) return null;
  const took = formatDuration(result.durationMs);
  if (how === 'done') return { severity: 'info', message: `Pipeline ${result.id} (${result.name}) done in ${took}.`, buttons: ['Show'] };
  const first = result.failed[0];
  const more = result.failed.length > 1 ? ` and ${result.failed.length - 1} more` : '';
  const message = `Pipeline ${result.id} (${result.name}) ${failureWords(result)} after ${took}${first ? `: ${first}${more}` : ''}.`;
  return { severity: 'error', message, buttons: first ? ['Show', 'Show Logs'] : ['Show'], ...(first ? { logsOf: first } : {}) };
}

/** "2 errors", "1 error, 1 killed", "killed". */
function failureWords(result: RunResult): string {
  const parts: string[] = [];
  if (result.counts.error) parts.push(`${result.counts.error} ${result.counts.error === 1 ? 'error' : 'errors'}`);
  if (result.counts.killed) parts.push(`${result.counts.killed} killed`);
  return parts.length ? `failed (${parts.join(', ')})` : result.rootState === 'killed' ? 'was killed' : 'failed';
}

/** The status bar's line for the last ended run: "✓ NAME done 1m05s" / "✗ NAME: 2 errors". */
export function resultText(result: RunResult): string {
  if (ended(result.rootState) === 'done') return `✓ ${result.name} done ${formatDuration(result.durationMs)}`;
  const parts: string[] = [];
  if (result.counts.error) parts.push(`${result.counts.error} ${result.counts.error === 1 ? 'error' : 'errors'}`);
  if (result.counts.killed) parts.push(`${result.counts.killed} killed`);
  return `✗ ${result.name}: ${parts.join(', ') || result.rootState}`;
}

/** How long the status bar keeps the last result. */
export const RESULT_SHOWN_MS = 5 * 60_000;
