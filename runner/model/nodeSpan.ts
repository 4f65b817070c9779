import type { RunNode } from './runTree';

/**
 * Wall time of a node's latest run: its last execution, or the span of its subtree's. `atHandOnly`:
 * null rather than read executions still in a checkpoint (a row of a group in a reopened run of a
 * million nodes would otherwise read them all).
 */
export function nodeSpan(node: RunNode, now = Date.now(), { atHandOnly = false } = {}): number | null {
  let start = Infinity;
  let end = -Infinity;
  const stack = [node]; // not recursion: trees may be thousands of levels deep
  while (stack.length) {
    const n = stack.pop()!;
    if (atHandOnly && !n.executionsAtHand) return null;
    const last = n.executions[n.executions.length - 1];
    if (last) {
      start = Math.min(start, last.startedAt);
      end = Math.max(end, last.endedAt ?? now);
    }
    for (const child of n.children) stack.push(child);
  }
  return start === Infinity ? null : end - start;
}
