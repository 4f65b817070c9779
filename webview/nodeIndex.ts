// The pipeline's nodes as the webview holds them: by path, with children in order, and the rows a
// tree shows for a set of expanded containers. Mutable on purpose (100,000 nodes); pure otherwise.
import type { WebviewNode } from '../protocol/webviewMessages';
import { parentPath } from '../protocol/pipeline';

export interface Row {
  path: string;
  depth: number;
  hasChildren: boolean;
  expanded: boolean;
  /** A "… N more" row after the children a large run's container has sent so far (`path` is the container's + MORE). */
  more?: { container: string; loaded: number; remaining: number };
}

/** Ends a "more" row's key: no node path holds a newline. */
export const MORE = '\n…';

export class NodeIndex {
  readonly byPath = new Map<string, WebviewNode>();
  readonly children = new Map<string, string[]>();
  /** Bumped when nodes are added or removed (rows must be recomputed). */
  structure = 0;
  /** Bumped on every change. */
  version = 0;

  get root(): WebviewNode | undefined {
    return this.byPath.get('/');
  }

  get size(): number {
    return this.byPath.size;
  }

  get(path: string): WebviewNode | undefined {
    return this.byPath.get(path);
  }

  reset(nodes: readonly WebviewNode[]): void {
    this.byPath.clear();
    this.children.clear();
    for (const n of nodes) this.add(n);
    this.structure++;
    this.version++;
  }

  /** Applies a batch: `replaced` containers lose their descendants first, then nodes are set. */
  update(nodes: readonly WebviewNode[], replaced: readonly string[] = []): { structural: boolean } {
    let structural = false;
    for (const p of replaced) {
      for (const child of this.children.get(p) ?? []) this.removeSubtree(child);
      this.children.set(p, []);
      structural = true;
    }
    for (const n of nodes) {
      if (this.byPath.has(n.path)) this.byPath.set(n.path, n);
      else {
        this.add(n);
        structural = true;
      }
    }
    if (structural) this.structure++;
    this.version++;
    return { structural };
  }

  private add(n: WebviewNode): void {
    this.byPath.set(n.path, n);
    const parent = parentPath(n.path);
    if (parent === null) return;
    let list = this.children.get(parent);
    if (!list) this.children.set(parent, (list = []));
    list.push(n.path);
  }

  private removeSubtree(path: string): void {
    const stack = [path];
    while (stack.length) {
      const p = stack.pop()!;
      this.byPath.delete(p);
      const kids = this.children.get(p);
      if (kids) stack.push(...kids);
      this.children.delete(p);
    }
  }

  childrenOf(path: string): readonly string[] {
    return this.children.get(path) ?? [];
  }

  hasChildren(path: string): boolean {
    return (this.children.get(path)?.length ?? 0) > 0 || (this.byPath.get(path)?.childCount ?? 0) > 0;
  }

  /** Children a large run's container has that the host has not sent yet. */
  unsent(path: string): number {
    const total = this.byPath.get(path)?.childCount;
    return total === undefined ? 0 : Math.max(0, total - this.childrenOf(path).length);
  }

  /** Sent a page at a time (the host said how many children its containers have). */
  get paged(): boolean {
    return this.root?.childCount !== undefined;
  }

  /** Skipped itself or through an ancestor: the nearest skipped node, or null. */
  skippedBy(path: string): string | null {
    for (let p: string | null = path; p !== null; p = parentPath(p)) if (this.byPath.get(p)?.skipped) return p;
    return null;
  }

  /** The rows of the tree with `expanded` containers open, depth-first. */
  rows(expanded: ReadonlySet<string>): Row[] {
    const rows: Row[] = [];
    if (!this.root) return rows;
    const stack: [string, number][] = [['/', 0]];
    while (stack.length) {
      const [path, depth] = stack.pop()!;
      if (path.endsWith(MORE)) {
        const container = path.slice(0, -MORE.length);
        rows.push({ path, depth, hasChildren: false, expanded: false, more: { container, loaded: this.childrenOf(container).length, remaining: this.unsent(container) } });
        continue;
      }
      const kids = this.children.get(path) ?? [];
      const hasChildren = this.hasChildren(path);
      const open = hasChildren && expanded.has(path);
      rows.push({ path, depth, hasChildren, expanded: open });
      if (!open) continue;
      if (this.unsent(path)) stack.push([path + MORE, depth + 1]);
      for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]!, depth + 1]);
    }
    return rows;
  }

  /** Every container: "expand all". */
  containers(): string[] {
    return [...this.children.keys()].filter((p) => this.hasChildren(p));
  }

  /** Ancestors of a path, root first (not the path itself). */
  ancestors(path: string): string[] {
    const out: string[] = [];
    for (let p = parentPath(path); p !== null; p = parentPath(p)) out.unshift(p);
    return out;
  }

  /** Exec nodes of a subtree, depth-first. */
  leaves(path: string): WebviewNode[] {
    const out: WebviewNode[] = [];
    const stack = [path];
    while (stack.length) {
      const p = stack.pop()!;
      const n = this.byPath.get(p);
      if (!n) continue;
      if (n.type === 'Exec') out.push(n);
      const kids = this.children.get(p);
      if (kids) for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
    }
    return out;
  }
}
