// A run tree's nodes by path. One Map of a million paths costs most of a second to fill on this
// machine (each insert a cache miss in a table of tens of MB); a map per container of its Exec
// children, and one of the containers, hold the same and fill about four times faster (each table
// stays in cache while its siblings go in). A lookup is then one or two of them.
import { parentPath } from '../../protocol/pipeline';

/** What the index needs of a node. */
export interface IndexedNode {
  readonly path: string;
  readonly isLeaf: boolean;
  readonly parent: IndexedNode | null;
}

interface Container<N> {
  node: N;
  /** Its Exec children, by path. */
  leaves: Map<string, N> | null;
}

export class PathIndex<N extends IndexedNode> {
  private readonly containers = new Map<string, Container<N>>();
  /** An Exec root (a pipeline of one node). */
  private leafRoot: N | null = null;
  private count = 0;

  constructor(
    /** Every node, parents first (what `values` walks). */
    private readonly all: () => Iterable<N>,
  ) {}

  get size(): number {
    return this.count;
  }

  get(path: string): N | undefined {
    const container = this.containers.get(path);
    if (container) return container.node;
    if (this.leafRoot?.path === path) return this.leafRoot;
    const parent = parentPath(path);
    return parent === null ? undefined : this.containers.get(parent)?.leaves?.get(path);
  }

  has(path: string): boolean {
    return this.get(path) !== undefined;
  }

  /** Every node, parents before their children. */
  values(): Iterable<N> {
    return this.all();
  }

  /** Adds a node whose parent is already in (false, adding nothing: a node of that path is). */
  add(node: N): boolean {
    const path = node.path;
    if (this.containers.has(path) || this.leafRoot?.path === path) return false;
    const siblings = node.parent ? this.containers.get(node.parent.path) : undefined;
    if (!node.isLeaf) {
      if (siblings?.leaves?.has(path)) return false;
      this.containers.set(path, { node, leaves: null });
    } else if (!node.parent) this.leafRoot = node;
    else if (!siblings) throw new Error(`node ${path} is under a node not indexed as a container`);
    else {
      const leaves = (siblings.leaves ??= new Map());
      if (leaves.has(path)) return false;
      leaves.set(path, node);
    }
    this.count++;
    return true;
  }

  /** Takes a node out (a container's Exec children with it). */
  delete(node: N): void {
    // Where it went in, whatever its type now (a Lazy's node takes its generated root's).
    const container = this.containers.get(node.path);
    if (container?.node === node) {
      this.containers.delete(node.path);
      this.count -= container.leaves?.size ?? 0;
    } else if (this.leafRoot === node) this.leafRoot = null;
    else if (!node.parent || !this.containers.get(node.parent.path)?.leaves?.delete(node.path)) return;
    this.count--;
  }
}
