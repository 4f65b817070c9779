// What the panel's webview holds of a run's tree. A small run goes whole; a large one (a million
// nodes would be a message of 150 MB, and every node's executions read from disk) a page of a
// container's children at a time: the root's first page, the way to the selected node, and more as
// the webview asks (`children`). Updates are sent only for nodes the webview holds. Plain Node.
import { parentPath } from '../../protocol/pipeline';
import type { WebviewNode } from '../../protocol/webviewMessages';
import type { RunNode, RunTree } from '../../runner/model/runTree';
import { delta, flatten, toWebviewNode } from './snapshot';

/** Runs of up to this many nodes are sent whole. */
export const SEND_WHOLE_UP_TO = 5_000;
/** Children of a container sent at a time (as the sidebar's pages). */
export const CHILD_PAGE = 500;

export class PanelPages {
  /** Paged runs: each container the webview holds, and how many of its children it was sent. */
  private readonly sent = new Map<string, number>();
  private paged = false;

  constructor(private readonly tree: () => RunTree) {}

  /** The nodes an `init` carries, with the way to `select` when it is given. */
  init(select?: string): WebviewNode[] {
    const tree = this.tree();
    this.sent.clear();
    this.paged = tree.byPath.size > SEND_WHOLE_UP_TO;
    if (!this.paged) return flatten(tree.root);
    this.sent.set(tree.root.path, 0);
    const out = [this.node(tree.root), ...this.page(tree.root, CHILD_PAGE)];
    if (select) out.push(...this.reveal(select));
    return out;
  }

  /** The next page of a container's children from `from` (what the webview asked for). */
  children(path: string, from: number): WebviewNode[] {
    const node = this.tree().byPath.get(path);
    const sent = this.sent.get(path);
    // Pages come in order: one asked for past what was sent would leave a gap the webview cannot place.
    if (!this.paged || !node || sent === undefined || from > sent) return [];
    return this.page(node, from + CHILD_PAGE, from);
  }

  /** What the webview lacks to show `path` (its ancestors' pages down to it); nothing when it has it. */
  reveal(path: string): WebviewNode[] {
    const target = this.tree().byPath.get(path);
    if (!this.paged || !target) return [];
    const way: RunNode[] = [];
    for (let n: RunNode | null = target; n?.parent; n = n.parent) way.unshift(n);
    const out: WebviewNode[] = [];
    for (const n of way) {
      const parent = n.parent!;
      if ((this.sent.get(parent.path) ?? 0) <= n.indexInParent) out.push(...this.page(parent, roundUp(n.indexInParent + 1)));
    }
    return out;
  }

  /** Sent whole, the run has grown past what is sent whole (a Lazy generated many nodes): send `init` again. */
  get outgrown(): boolean {
    return !this.paged && this.tree().byPath.size > SEND_WHOLE_UP_TO;
  }

  /** Does the webview hold this node? */
  holds(path: string): boolean {
    if (!this.paged) return true;
    // Up the tree, not recursion: trees may be thousands of levels deep.
    for (let n = this.tree().byPath.get(path); n; n = n.parent ?? undefined) {
      if (n.parent && (this.sent.get(n.parent.path) ?? 0) <= n.indexInParent) return false;
      if (!n.parent) return true;
    }
    return false;
  }

  /** The update for changed nodes and containers whose children were replaced: only what the webview holds. */
  update(changed: Iterable<string>, replacedUnder: Iterable<string>): { nodes: WebviewNode[]; replaced: string[] } {
    const tree = this.tree();
    if (!this.paged) return delta(tree, changed, replacedUnder);
    const nodes: WebviewNode[] = [];
    const replaced: string[] = [];
    for (const p of replacedUnder) {
      const node = tree.byPath.get(p);
      if (!node || !this.holds(p)) continue;
      for (const key of [...this.sent.keys()]) if (key.startsWith(p === '/' ? '/' : `${p}/`) && key !== p) this.sent.delete(key);
      replaced.push(p);
      this.sent.set(p, 0);
      nodes.push(...this.page(node, CHILD_PAGE));
    }
    const seen = new Set(nodes.map((n) => n.path));
    for (const p of changed) {
      // Its ancestors' counts moved too; above the first node the webview holds, it holds them all.
      let held = false;
      for (let q: string | null = p; q !== null; q = parentPath(q)) {
        if (!held && !(held = this.holds(q))) continue;
        if (seen.has(q) || !tree.byPath.has(q)) continue;
        seen.add(q);
        nodes.push(this.node(tree.byPath.get(q)!));
      }
    }
    return { nodes, replaced };
  }

  /** A container's children up to index `to` (exclusive), from `from` (default: what was sent). */
  private page(container: RunNode, to: number, from = this.sent.get(container.path) ?? 0): WebviewNode[] {
    const out: WebviewNode[] = [];
    const end = Math.min(to, container.children.length);
    for (let i = from; i < end; i++) {
      const child = container.children[i]!;
      if (!child.isLeaf && !this.sent.has(child.path)) this.sent.set(child.path, 0);
      out.push(this.node(child));
    }
    this.sent.set(container.path, Math.max(end, this.sent.get(container.path) ?? 0));
    return out;
  }

  private node(n: RunNode): WebviewNode {
    const w = toWebviewNode(n);
    if (!n.isLeaf) w.childCount = n.children.length;
    return w;
  }
}

function roundUp(n: number): number {
  return Math.ceil(n / CHILD_PAGE) * CHILD_PAGE;
}
