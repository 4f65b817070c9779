import type { PipelineNode } from '../protocol/pipeline';
import type { NodeState } from '../protocol/runner';
import { formatDuration } from '../presentation/format';
import { shownState, endWhy } from '../presentation/states';
import { renderTree } from '../presentation/tree';
import { nodeSpan } from '../runner/model/nodeSpan';
import { subtree, type RunTree } from '../runner/model/runTree';

const ICONS: Record<NodeState, string> = { pending: '·', queued: '…', running: '▶', done: '✔', error: '✖', killed: '☠' };

/** The tree with each node's state, duration and, for failures, the reason. */
export function renderStatus(tree: RunTree, now = Date.now(), sleeping = false): string {
  const specs: PipelineNode[] = subtree(tree.root).map((n) => n.spec);
  return renderTree(specs, (spec) => {
    const node = tree.get(spec.path);
    const span = nodeSpan(node, now);
    const last = node.executions[node.executions.length - 1];
    const why = node.isLeaf ? endWhy(node.state, last) : '';
    const state = shownState(node.state, sleeping);
    return `  ${state === 'sleeping' ? 'z' : ICONS[node.state]} ${node.skipped ? 'skipped' : state}${why ? ` (${why})` : ''}${span === null ? '' : ` ${formatDuration(span)}`}`;
  });
}

/** Redraws the status in place on a terminal; big pipelines show counts and running nodes only. */
export class LiveStatus {
  private lines = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly tree: RunTree,
    private readonly write: (text: string) => void,
    private readonly header: () => string,
    private readonly maxTreeNodes = 150,
  ) {}

  start(): void {
    this.draw();
    this.timer = setInterval(() => this.draw(), 250);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.draw();
  }

  private draw(): void {
    const text = `${this.header()}\n${this.body()}`;
    const erase = this.lines ? `\x1b[${this.lines}A\x1b[J` : '';
    this.lines = text.split('\n').length;
    this.write(`${erase}${text}\n`);
  }

  private body(): string {
    if (this.tree.byPath.size <= this.maxTreeNodes) return renderStatus(this.tree);
    const running = [...this.tree.leaves(this.tree.root)].filter((n) => n.state === 'running').slice(0, 20);
    return [`${this.tree.byPath.size} nodes; running:`, ...running.map((n) => `  ▶ ${n.path}`)].join('\n');
  }
}
