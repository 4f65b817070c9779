import type { PipelineNode } from '../protocol/pipeline';
import type { NodeState, RunnerEvent } from '../protocol/runner';
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

/** Pipelines with more nodes than this are summarised (counts, running and failed nodes), not drawn whole. */
export const SUMMARY_ABOVE = 150;

/**
 * What a large run looks like from its events, kept as they come (never a walk of the whole tree,
 * which for a million nodes would cost more than the run): the nodes running now and those that
 * failed, with why.
 */
export class RunSummary {
  readonly running = new Set<string>();
  /** Why each failed is read when it is shown: a reopened run's executions stay on disk until asked for. */
  readonly failed = new Set<string>();

  constructor(private readonly tree: RunTree) {
    // A pipeline reopened mid-run: what is running or failed already (once, at the start).
    for (const leaf of tree.leaves(tree.root)) this.note(leaf.path, leaf.state);
  }

  /** Follows one event (state changes only). */
  feed(event: RunnerEvent): void {
    if (event.type === 'state' && this.tree.byPath.get(event.path)?.isLeaf) this.note(event.path, event.state);
  }

  /** Counts, then up to `rows` running nodes and up to `rows` failed ones, each list saying how many more. */
  render(rows = 10): string {
    const out = [`${this.tree.byPath.size} nodes`];
    const list = (title: string, items: string[], total: number) => {
      if (!total) return;
      out.push(`${title} (${total}):`, ...items, ...(total > items.length ? [`  … and ${total - items.length} more`] : []));
    };
    list('running', [...take(this.running.keys(), rows)].map((p) => `  ▶ ${p}`), this.running.size);
    list('failed', [...take(this.failed, rows)].map((p) => `  ✖ ${p}${this.why(p)}`), this.failed.size);
    return out.join('\n');
  }

  private note(path: string, state: NodeState): void {
    if (state === 'running') this.running.add(path);
    else this.running.delete(path);
    if (state === 'error' || state === 'killed') this.failed.add(path);
    else this.failed.delete(path);
  }

  private why(path: string): string {
    const node = this.tree.get(path);
    const why = endWhy(node.state, node.executions[node.executions.length - 1]);
    return why ? ` (${why})` : '';
  }
}

function* take<T>(items: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  for (const item of items) {
    yield item;
    if (--n <= 0) return;
  }
}

/**
 * The run at its end as text: the whole tree, or for a large pipeline its summary, read from the
 * tree (once) so the failures are listed in the pipeline's order, not in the order they happened.
 */
export function renderRun(tree: RunTree, summarised: boolean): string {
  return summarised ? new RunSummary(tree).render(20) : renderStatus(tree);
}

/** Redraws the status in place on a terminal; big pipelines show their summary. */
export class LiveStatus {
  private lines = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly tree: RunTree,
    private readonly write: (text: string) => void,
    private readonly header: () => string,
    private readonly summary: RunSummary | null,
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
    const text = `${this.header()}\n${this.summary ? this.summary.render() : renderStatus(this.tree)}`;
    const erase = this.lines ? `\x1b[${this.lines}A\x1b[J` : '';
    this.lines = text.split('\n').length;
    this.write(`${erase}${text}\n`);
  }
}
