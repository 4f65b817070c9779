import type { PendingReason } from '../runner/scheduler/pendingReasons';

/**
 * What a run that ends with nodes pending says about them, grouped by reason:
 *   pipeline bei-hou ends with 3 nodes pending:
 *     /s/c, /t (2 nodes): stopped at the failure of /s/b (stop_on_error)
 */
export function pendingReport(id: string, reasons: readonly PendingReason[]): string {
  if (!reasons.length) return '';
  const total = reasons.reduce((n, r) => n + r.pending, 0);
  const byReason = new Map<string, string[]>();
  for (const r of reasons) {
    const paths = byReason.get(r.reason) ?? [];
    paths.push(r.pending > 1 ? `${r.path} (${r.pending} nodes)` : r.path);
    byReason.set(r.reason, paths);
  }
  const lines = [...byReason].map(([reason, paths]) => `  ${paths.join(', ')}: ${reason}${hint(id, reason)}`);
  return `pipeline ${id} ends with ${total} node${total === 1 ? '' : 's'} pending:\n${lines.join('\n')}\n`;
}

function hint(id: string, reason: string): string {
  if (reason === 'the Run toggle is off') return ` (turn it on: pipewright start ${id})`;
  if (reason === 'the pipeline is asleep') return ` (pipewright wake ${id})`;
  return '';
}
