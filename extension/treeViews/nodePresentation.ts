import * as vscode from 'vscode';
import type { NodeState } from '../../protocol/runner';
import type { RunNode } from '../../runner/model/runTree';
import { formatDuration } from '../../presentation/format';
import { endWhy, shownState } from '../../presentation/states';
import { nodeSpan } from '../../runner/model/nodeSpan';

const STATE_ICONS: Record<NodeState, [string, string | undefined]> = {
  pending: ['circle-outline', undefined],
  queued: ['clock', 'charts.yellow'],
  running: ['sync~spin', 'charts.blue'],
  done: ['pass-filled', 'testing.iconPassed'],
  error: ['error', 'testing.iconFailed'],
  killed: ['circle-slash', 'testing.iconErrored'],
};

export function stateIcon(state: NodeState, skipped: boolean, sleeping = false): vscode.ThemeIcon {
  if (sleeping && shownState(state, true) === 'sleeping') return new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('disabledForeground'));
  if (skipped) return new vscode.ThemeIcon('debug-step-over', new vscode.ThemeColor('disabledForeground'));
  const [id, color] = STATE_ICONS[state];
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}

/** "done 1.2s", "error exit 3 0.4s", "killed", "sleeping", "skipped" — the state first, as users scan for it. */
export function nodeDescription(node: RunNode, sleeping = false): string {
  if (node.skipped) return 'skipped';
  // A group's span from what is in memory: a reopened run's rows do not read every node's executions.
  const span = nodeSpan(node, Date.now(), { atHandOnly: !node.isLeaf });
  const last = node.executions[node.executions.length - 1];
  const why = node.isLeaf ? endWhy(node.state, last) : '';
  const cached = node.isLeaf && last?.cached ? ' (cached)' : '';
  return `${shownState(node.state, sleeping)}${cached}${why ? ` ${why}` : ''}${containerProgress(node)}${span === null ? '' : ` ${formatDuration(span)}`}`;
}

/** " 340/1000" for a running container: its Exec nodes finished so far, of all. */
function containerProgress(node: RunNode): string {
  if (node.isLeaf || (node.state !== 'running' && node.state !== 'queued')) return '';
  const c = node.leafCounts;
  const total = c.pending + c.queued + c.running + c.done + c.error + c.killed;
  return ` ${c.done + c.error + c.killed}/${total}`;
}

/** Command, params and the latest execution, for the tooltip. */
export function nodeTooltip(node: RunNode, sleeping = false): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${node.path}** — ${node.spec.type}, ${node.skipped ? 'skipped' : shownState(node.state, sleeping)}\n\n`);
  if (node.spec.command !== undefined) md.appendCodeblock(node.spec.command, 'sh');
  const p = node.params;
  md.appendMarkdown(`cpu ${p.cpu} · mem ${p.mem} GB · gpu ${p.gpu} · max_time ${p.max_time}s${p.image?.name ? ` · image ${p.image.name}` : ''}\n\n`);
  const env = Object.entries(p.env);
  if (env.length) md.appendMarkdown(`env: ${env.map(([k, v]) => `\`${k}=${v}\``).join(' ')}\n\n`);
  if (node.spec.parents.length) md.appendMarkdown(`after: ${node.spec.parents.join(', ')}\n\n`);
  const last = node.executions[node.executions.length - 1];
  if (last) {
    const end = last.endedAt === undefined ? 'running' : last.reason ? `${last.reason}${last.message ? `: ${last.message}` : ''}` : `exit ${last.exitCode}`;
    const peak = last.peakMemoryBytes ? ` · peak ${(last.peakMemoryBytes / 2 ** 20).toFixed(1)} MB` : '';
    const where = last.ranOn ? ` · on ${last.ranOn}` : '';
    md.appendMarkdown(`last run: ${new Date(last.startedAt).toLocaleTimeString()} · ${end}${peak}${where} · ${node.executions.length} execution(s)`);
  }
  return md;
}
