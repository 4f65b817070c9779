import type { RunNode } from './runTree';

/** Wall time of a node's latest run: its last execution, or the span of its subtree's. */
export function nodeSpan(node: RunNode, now = Date.now()): number | null {
  let start = Infinity;
  let end = -Infinity;
  const visit = (n: RunNode) => {
    const last = n.executions[n.executions.length - 1];
    if (last) {
      start = Math.min(start, last.startedAt);
      end = Math.max(end, last.endedAt ?? now);
    }
    n.children.forEach(visit);
  };
  visit(node);
  return start === Infinity ? null : end - start;
}
