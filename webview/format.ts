// Formatting shared by the panel's views. Pure. Durations, sizes and counts as everywhere else.
import type { ExecutionBrief } from '../protocol/webviewMessages';
import type { NodeState } from '../protocol/runner';

export { formatBytes, formatCounts, formatDuration } from '../presentation/format';

export function formatTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')} ${formatTime(ms)}`;
}

/** Signed relative change, "+12.0%" / "−3.1%"; empty when there is no base. */
export function formatChange(from: number, to: number): string {
  if (!from) return '';
  const pct = ((to - from) / from) * 100;
  return `${pct >= 0 ? '+' : '−'}${Math.abs(pct).toFixed(1)}%`;
}

/** The outcome of an execution in a word or two: "running", "exit 0", "oom", "killed". */
export function outcome(e: Pick<ExecutionBrief, 'endedAt' | 'exitCode' | 'reason'>): string {
  if (e.endedAt === undefined) return 'running';
  if (e.reason) return e.reason;
  return `exit ${e.exitCode ?? '?'}`;
}

/** The state an ended execution left its node in (as the runner decides it). */
export function executionState(e: Pick<ExecutionBrief, 'endedAt' | 'exitCode' | 'reason'>): NodeState {
  if (e.endedAt === undefined) return 'running';
  if (e.exitCode === 0 && !e.reason) return 'done';
  if (e.reason === 'killed' || e.reason === 'runner stopped' || e.reason === 'sleep') return 'killed';
  return 'error';
}

export const STATE_ICON: Record<NodeState, string> = {
  pending: 'circle-outline',
  queued: 'clock',
  running: 'sync',
  done: 'pass-filled',
  error: 'error',
  killed: 'circle-slash',
};

export const STATE_LETTER: Record<NodeState, string> = { pending: 'P', queued: 'Q', running: 'R', done: 'D', error: 'E', killed: 'K' };
