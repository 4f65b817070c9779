import { childPath, parentPath, type NodeParams, type ParamName, type PipelineNode } from '../../protocol/pipeline';
import { NODE_STATES, type ExecutionRecord, type NodeState, type StateCounts } from '../../protocol/runner';
import { inheritParams } from './inheritParams';
import { PathIndex } from './pathIndex';

export function emptyCounts(): StateCounts {
  return { pending: 0, queued: 0, running: 0, done: 0, error: 0, killed: 0 };
}

// What an Exec node has none of, shared (frozen: adding to one fails loudly instead of changing
// every node). At a million nodes, an empty array and a counts object per leaf are 100 MB.
const NO_CHILDREN = Object.freeze([]) as unknown as RunNode[];
const NO_COUNTS = Object.freeze(emptyCounts()) as StateCounts;
const NO_EXECUTIONS = Object.freeze([]) as unknown as ExecutionRecord[];
/** An Exec node's counts: one, in its state. */
const LEAF_COUNTS = Object.fromEntries(NODE_STATES.map((state) => [state, Object.freeze({ ...emptyCounts(), [state]: 1 })])) as Record<NodeState, StateCounts>;

/**
 * Where the executions of some Exec nodes are kept until first asked for: `load` gives each of those
 * nodes (still waiting for them) its own.
 */
export interface StoredExecutions {
  load(): void;
}

/** One node of a pipeline instance with its run-time state. */
export class RunNode {
  readonly children: RunNode[];
  /** Exec: own state. Containers: derived from `childCounts`. */
  state: NodeState = 'pending';
  skipped = false;
  /** Containers: how many children are in each state as their parent sees them. */
  readonly childCounts: StateCounts;
  /** Containers: the Exec nodes below by state (an Exec node's follow from its state). */
  private readonly ownCounts: StateCounts | null;
  /** Oldest first, or where to read them from when first asked for (a run reopened from its checkpoint). */
  private stored: ExecutionRecord[] | StoredExecutions = NO_EXECUTIONS;
  /** A Lazy's Execute whose Generate has not produced its children yet: pending, not an empty (done) container. */
  awaitingGeneration: boolean;

  constructor(
    public spec: PipelineNode,
    readonly parent: RunNode | null,
    readonly indexInParent: number,
  ) {
    this.awaitingGeneration = spec.lazy !== undefined && spec.type !== 'Exec';
    const leaf = spec.type === 'Exec';
    this.children = leaf ? NO_CHILDREN : [];
    this.childCounts = leaf ? NO_COUNTS : emptyCounts();
    this.ownCounts = leaf ? null : emptyCounts();
  }

  /** Exec nodes below (or this one) by state: Conducto's P/Q/R/D/E/K. */
  get leafCounts(): StateCounts {
    return this.ownCounts ?? LEAF_COUNTS[this.state];
  }

  /** Oldest first; added to with `addExecution`. */
  get executions(): ExecutionRecord[] {
    const stored = this.stored;
    if (Array.isArray(stored)) return stored;
    stored.load();
    return this.stored as ExecutionRecord[];
  }
  set executions(records: ExecutionRecord[]) {
    this.stored = records;
  }

  /** Are its executions in memory (not yet to be read from a checkpoint)? */
  get executionsAtHand(): boolean {
    return Array.isArray(this.stored);
  }

  /** Its executions are read from `source` when first asked for. */
  storedIn(source: StoredExecutions): void {
    this.stored = source;
  }

  /** Records an execution (the first in an array of its own size: a pushed-to empty array reserves 17 slots). */
  addExecution(execution: ExecutionRecord): void {
    if (this.executions.length) this.executions.push(execution);
    else this.executions = [execution];
  }

  get path(): string {
    return this.spec.path;
  }
  get isLeaf(): boolean {
    return this.spec.type === 'Exec';
  }
  get params(): NodeParams {
    return this.spec.params;
  }

  /** The state this node contributes to its parent: skipped counts as done, suppressed errors too. */
  get viewState(): NodeState {
    if (this.skipped) return 'done';
    if (this.spec.params.suppress_errors && (this.state === 'error' || this.state === 'killed')) return 'done';
    // A pipeline step with continue_on_abort (ClearML): being aborted does not fail the pipeline.
    if (this.state === 'killed' && this.spec.step?.continue_on_abort) return 'done';
    return this.state;
  }
}

/** Derives a container's state from its children's view states. */
export function deriveState(counts: StateCounts): NodeState {
  if (counts.running) return 'running';
  if (counts.queued) return 'queued';
  if (counts.error) return 'error';
  if (counts.killed) return 'killed';
  if (counts.pending) return 'pending';
  return 'done';
}

/** Listener for state changes, to persist and publish them. */
export type StateListener = (node: RunNode, state: NodeState) => void;

/**
 * Listener for containers whose children changed (a child's view state, or the children
 * themselves when `replaced`): the scheduler looks at them again.
 */
export type ContainerListener = (container: RunNode, replaced: boolean) => void;

/**
 * The node tree of a pipeline instance. Keeps every container's child counts current in O(depth) per
 * change, so deriving states stays cheap at a million nodes.
 */
export class RunTree {
  /** Every node by path; its `values()` in pre-order. */
  readonly byPath = new PathIndex<RunNode>(() => preOrder(this.root));
  readonly root: RunNode;
  onState: StateListener = () => {};
  onContainerChange: ContainerListener = () => {};

  constructor(nodes: readonly PipelineNode[]) {
    const first = nodes[0];
    if (!first) throw new Error('a pipeline needs at least a root node');
    this.root = new RunNode(first, null, 0);
    this.byPath.add(this.root);
    this.addNodes(nodes.slice(1));
    this.recount(this.root);
  }

  get(path: string): RunNode {
    const node = this.byPath.get(path);
    if (!node) throw new Error(`no node ${path} in this pipeline`);
    return node;
  }

  /** Adds nodes (depth-first, parents before children) under existing ones. */
  private addNodes(nodes: readonly PipelineNode[]): RunNode[] {
    const added: RunNode[] = [];
    // Siblings come one after the other: their parent is looked up once.
    let parent: RunNode | undefined;
    for (const spec of nodes) {
      const parentP = parentPath(spec.path);
      if (parent?.path !== parentP) parent = parentP === null ? undefined : this.byPath.get(parentP);
      if (!parent) throw new Error(`node ${spec.path} comes before its parent`);
      if (parent.isLeaf) throw new Error(`node ${spec.path} is under an Exec node`);
      const node = new RunNode(spec, parent, parent.children.length);
      if (!this.byPath.add(node)) throw new Error(`duplicate node ${spec.path}`);
      parent.children.push(node);
      if (spec.params.skip) node.skipped = true;
      added.push(node);
    }
    return added;
  }

  /**
   * Grafts a generated pipeline (a Lazy's output) under `under`: the generated root's type and own
   * params go to `under`, its children become `under`'s. Returns the nodes as added.
   */
  graft(under: RunNode, generated: readonly PipelineNode[]): PipelineNode[] {
    const [genRoot] = generated;
    if (!genRoot) return [];
    const set = [...new Set([...(under.spec.set ?? []), ...(genRoot.set ?? [])])];
    under.spec = { ...under.spec, type: genRoot.type, params: inheritParams(under.params, genRoot.params, genRoot.set ?? []), set };
    const specs = resolveGenerated(under, generated);
    this.replaceChildren(under, specs);
    return [under.spec, ...specs];
  }

  /** Adds nodes after a container's children (a decorated pipeline's steps as its body calls them; replay too). */
  append(under: RunNode, specs: readonly PipelineNode[]): RunNode[] {
    for (const spec of specs) if (!spec.path.startsWith(under.path === '/' ? '/' : `${under.path}/`)) throw new Error(`node ${spec.path} is not under ${under.path}`);
    const added = this.addNodes(specs);
    this.recount(under);
    this.onContainerChange(under, false);
    return added;
  }

  /** Replaces a container's children with nodes whose paths and params are final (replay too). */
  replaceChildren(under: RunNode, specs: readonly PipelineNode[]): void {
    if (specs[0]?.path === under.path) {
      under.spec = specs[0];
      specs = specs.slice(1);
    }
    for (const child of under.children) this.removeSubtree(child);
    under.children.length = 0;
    under.awaitingGeneration = false;
    this.addNodes(specs);
    this.recount(under);
    this.onContainerChange(under, true);
  }

  private removeSubtree(node: RunNode): void {
    for (const n of subtree(node)) this.byPath.delete(n);
  }

  /** Rebuilds the counts of a subtree from scratch and pushes the difference up. */
  recount(node: RunNode): void {
    const before = { ...node.leafCounts };
    const oldView = node.viewState;
    // Children before their parents: the reverse of a pre-order of the containers (an Exec node is
    // counted by its parent: no list of a million).
    const order = containers(node);
    for (let i = order.length - 1; i >= 0; i--) {
      const n = order[i]!;
      Object.assign(n.childCounts, emptyCounts());
      Object.assign(n.leafCounts, emptyCounts());
      const counts = n.leafCounts;
      for (const child of n.children) {
        n.childCounts[child.viewState]++;
        // An Exec node counts one, in its state (most of a large tree: a state each, not all seven).
        if (child.isLeaf) counts[child.state]++;
        else for (const s of NODE_STATES) counts[s] += child.leafCounts[s];
      }
      n.state = n.awaitingGeneration ? 'pending' : deriveState(n.childCounts);
    }
    const up = node.parent;
    for (const s of NODE_STATES) {
      const delta = node.leafCounts[s] - before[s];
      if (delta) for (let p = up; p; p = p.parent) p.leafCounts[s] += delta;
    }
    if (up) this.childViewChanged(node, oldView);
  }

  /**
   * Gives every Exec node, in tree order, its state and where its executions are (a checkpoint read
   * back), then counts once: a million setLeafState calls would walk every ancestor each time.
   */
  restoreLeaves(states: readonly NodeState[], storedIn: (index: number, leaf: RunNode) => StoredExecutions): void {
    let i = 0;
    for (const leaf of this.leaves(this.root)) {
      leaf.state = states[i]!;
      leaf.storedIn(storedIn(i++, leaf));
    }
    this.recount(this.root);
  }

  /** Back to the tree `nodes` describe, nothing run (what a checkpoint that did not fit had changed is undone). */
  rebuild(nodes: readonly PipelineNode[]): void {
    const root = this.root;
    const [first] = nodes;
    if (!first || first.path !== root.path) throw new Error('a pipeline is rebuilt from its own nodes');
    if (root.isLeaf) {
      root.spec = first;
      root.state = 'pending';
      root.executions = NO_EXECUTIONS;
    } else this.replaceChildren(root, nodes);
    root.awaitingGeneration = first.lazy !== undefined && first.type !== 'Exec';
    root.skipped = !!first.params.skip;
    this.recount(root);
  }

  /** Sets an Exec node's state and keeps every ancestor's counts and state current. */
  setLeafState(leaf: RunNode, state: NodeState): void {
    if (!leaf.isLeaf) throw new Error(`${leaf.path} is not an Exec node`);
    if (leaf.state === state) return;
    const oldView = leaf.viewState;
    for (let p = leaf.parent; p; p = p.parent) {
      p.leafCounts[leaf.state]--;
      p.leafCounts[state]++;
    }
    leaf.state = state;
    this.onState(leaf, state);
    this.childViewChanged(leaf, oldView);
  }

  setSkipped(node: RunNode, skipped: boolean): void {
    if (node.skipped === skipped) return;
    const oldView = node.viewState;
    node.skipped = skipped;
    this.childViewChanged(node, oldView);
  }

  /** A child's view state may have changed: update its parent's counts, state, and so on up. */
  private childViewChanged(child: RunNode, oldView: NodeState): void {
    let node = child;
    let before = oldView;
    for (let parent = node.parent; parent; parent = parent.parent) {
      const after = node.viewState;
      if (after === before) return;
      parent.childCounts[before]--;
      parent.childCounts[after]++;
      this.onContainerChange(parent, false);
      const parentBefore = parent.viewState;
      const derived = deriveState(parent.childCounts);
      if (derived === parent.state) return;
      parent.state = derived;
      this.onState(parent, derived);
      node = parent;
      before = parentBefore;
    }
  }

  /** Every Exec node in a subtree, depth-first. */
  *leaves(node: RunNode): Generator<RunNode> {
    const stack = [node];
    while (stack.length) {
      const n = stack.pop()!;
      if (n.isLeaf) yield n;
      else for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
    }
  }

  /** Is this node, or an ancestor, skipped? */
  isSkipped(node: RunNode): boolean {
    for (let n: RunNode | null = node; n; n = n.parent) if (n.skipped) return true;
    return false;
  }

  /** Applies changed params to a node and re-derives what its descendants inherit. */
  updateParams(node: RunNode, params: NodeParams, set: readonly ParamName[]): void {
    node.spec = { ...node.spec, params, set: [...set] };
    // Pre-order: each parent's params are final before its children inherit from them.
    for (const n of subtree(node)) {
      for (const child of n.children) child.spec = { ...child.spec, params: inheritParams(n.params, child.params, child.spec.set ?? []) };
    }
  }
}

/** A subtree's nodes in pre-order (parents before children), without recursion: trees may be thousands of levels deep. */
export function subtree(node: RunNode): RunNode[] {
  return Array.from(preOrder(node));
}

/** A subtree's containers (not its Exec nodes) in pre-order. */
function containers(node: RunNode): RunNode[] {
  return Array.from(preOrder(node, (n) => !n.isLeaf));
}

/** A subtree's nodes in pre-order, one at a time (no array of a million); only those `take` keeps, and below them. */
function* preOrder(node: RunNode, take: (n: RunNode) => boolean = () => true): Generator<RunNode> {
  const stack = take(node) ? [node] : [];
  while (stack.length) {
    const n = stack.pop()!;
    yield n;
    for (let i = n.children.length - 1; i >= 0; i--) if (take(n.children[i]!)) stack.push(n.children[i]!);
  }
}

/** Moves a generated pipeline's descendants under a node: paths prefixed, params inherited from it. */
export function resolveGenerated(under: RunNode, generated: readonly PipelineNode[]): PipelineNode[] {
  const [genRoot, ...rest] = generated;
  if (!genRoot) return [];
  const prefix = (path: string) => (path === '/' ? under.path : childPath(under.path, path.slice(1)));
  const effective = new Map<string, NodeParams>([[genRoot.path, under.params]]);
  return rest.map((spec) => {
    const parentParams = effective.get(parentPath(spec.path) ?? '/') ?? under.params;
    const params = inheritParams(parentParams, spec.params, spec.set ?? []);
    effective.set(spec.path, params);
    return { ...spec, path: prefix(spec.path), params, parents: spec.parents.map(prefix) };
  });
}
