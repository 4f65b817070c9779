// How counts, durations and sizes are written for people: the same in the CLI, the sidebar, the
// status bar and the panel. Pure: no Node.js, no DOM, no vscode.
import type { StateCounts } from '../protocol/runner';

/** Conducto's P/Q/R/D/E/K counts of Exec nodes. */
export function formatCounts(c: StateCounts): string {
  return `P${c.pending} Q${c.queued} R${c.running} D${c.done} E${c.error} K${c.killed}`;
}

/** What the letters of formatCounts stand for (tooltips and the docs). */
export const COUNTS_LEGEND = 'Exec nodes by state: P pending, Q queued, R running, D done, E error, K killed';

/** The counts spelled out, one state per line: "P  pending  3". */
export function explainCounts(c: StateCounts): string {
  const rows: [string, string, number][] = [
    ['P', 'pending', c.pending],
    ['Q', 'queued', c.queued],
    ['R', 'running', c.running],
    ['D', 'done', c.done],
    ['E', 'error', c.error],
    ['K', 'killed', c.killed],
  ];
  return `Exec nodes by state:\n${rows.map(([letter, state, n]) => `${letter}  ${state}  ${n}`).join('\n')}`;
}

/** "850ms", "4.2s", "1m05s", "2h03m"; "–" for no duration. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
  return `${Math.floor(ms / 3_600_000)}h${String(Math.floor((ms % 3_600_000) / 60_000)).padStart(2, '0')}m`;
}

/** "512 B", "1.5 KB", "3.2 MB", "1.07 GB"; "–" for no size. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}
