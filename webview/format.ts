// Formatting shared by the panel's views. Pure.
import type { ExecutionBrief } from '../protocol/webviewMessages';
import type { NodeState } from '../protocol/runner';

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
  return `${Math.floor(ms / 3_600_000)}h${String(Math.floor((ms % 3_600_000) / 60_000)).padStart(2, '0')}m`;
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

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

export function nodeName(path: string): string {
  return path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1);
}

export function parentOf(path: string): string | null {
  if (path === '/') return null;
  const cut = path.lastIndexOf('/');
  return cut === 0 ? '/' : path.slice(0, cut);
}
