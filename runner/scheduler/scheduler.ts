import type { NodeState } from '../../protocol/runner';
import type { RunNode, RunTree } from '../model/runTree';
import { pendingReasons, type PendingReason } from './pendingReasons';
import { ResourceBudget } from './resourceBudget';

/** Starts an Exec node; the scheduler learns the outcome through `release` and the tree. */
export type StartLeaf = (leaf: RunNode) => void;

export type Dependencies = 'ready' | 'failed' | 'waiting' | 'skip';

/** Where a container's scheduling stands. Containers without one are not active. */
interface Progress {
  /** First child not yet looked at. */
  cursor: number;
  /** Parallel: children whose DAG parents have not finished yet. */
  waiting: RunNode[];
}

/**
 * Decides what runs next. Serial children go in order and stop at an unsuppressed failure when
 * `stop_on_error`; Parallel children go at once, after their DAG parents, at most `max_concurrent`;
 * queued Exec nodes start in order as their cpu and mem fit the budget. Work per change is
 * proportional to what changed (cursors, dirty set), not to the pipeline's size. All scheduling
 * state lives here; the tree holds only what the nodes are.
 */
export class Scheduler {
  /** The run toggle: off, nothing new starts; running nodes go on. */
  autorun = false;
  /** A sleeping pipeline starts nothing, whatever the toggle and whatever is reset or unskipped. */
  private asleep = false;
  private readonly queue: RunNode[] = [];
  private queueHead = 0;
  private readonly holding = new Map<RunNode, { cpu: number; mem: number; budget: ResourceBudget }>();
  /** Active containers; nodes a Lazy replaced drop out with their subtree. */
  private readonly progress = new WeakMap<RunNode, Progress>();
  /** Active containers whose children changed since the last pump. */
  private readonly dirty = new Set<RunNode>();
  /** A rule for some Parallel children (pipeline steps, runner/clearml); undefined: the default. */
  dependencyRule?: (parent: RunNode, child: RunNode) => Dependencies | undefined;
  /**
   * Leaves that run outside the engine and hold none of its resources: a decorated pipeline's
   * controller, which waits for the steps it starts and must not keep them from fitting.
   */
  unbudgeted?: (leaf: RunNode) => boolean;
  /** The budget a leaf draws on (a backend profile's, runner/backendProfiles.ts); undefined: the run's. */
  budgetOf?: (leaf: RunNode) => ResourceBudget | undefined;
  /** A child the rule said to skip. */
  onSkip?: (child: RunNode) => void;
  /**
   * Exec nodes with the same key run one at a time (a reuse context with one container, see
   * runner/run/reuseContext.ts): the others stay queued, and nodes behind them may start.
   */
  exclusiveKey?: (leaf: RunNode) => string | null;
  /** The node running under each exclusive key. */
  private readonly exclusive = new Map<string, RunNode>();
  /** Queued nodes waiting for their key, in queue order. */
  private readonly parked = new Map<string, RunNode[]>();

  constructor(
    private readonly tree: RunTree,
    readonly budget: ResourceBudget,
    private readonly startLeaf: StartLeaf,
  ) {
    tree.onContainerChange = (container, replaced) => {
      const active = this.progress.get(container);
      if (!active) return;
      if (replaced) this.progress.set(container, { cursor: 0, waiting: [] });
      this.dirty.add(container);
    };
  }

  /** May anything start now? */
  get starting(): boolean {
    return this.autorun && !this.asleep;
  }

  /** Turns the run toggle on or off. Off: nothing new starts; running nodes go on. */
  setAutorun(on: boolean): void {
    this.autorun = on;
    this.resume();
  }

  /** Asleep, nothing starts until woken (resets, skips and refreshes only change state). */
  setAsleep(asleep: boolean): void {
    this.asleep = asleep;
    this.resume();
  }

  /** Re-examines everything that changed since the last call, then starts what fits. */
  pump(): void {
    if (!this.starting) return;
    this.drain();
    this.dispatch();
  }

  /**
   * A subtree goes back to the start (reset): its containers are no longer active, so they start
   * their children from the first again when the containers above them reach them.
   */
  forget(node: RunNode): void {
    const stack = [node];
    while (stack.length) {
      const n = stack.pop()!;
      if (n.isLeaf) continue;
      this.progress.delete(n);
      this.dirty.delete(n);
      for (const child of n.children) stack.push(child);
    }
  }

  /** A node was reset or unskipped: let the containers above it start it again. */
  reopened(node: RunNode): void {
    // The root has no container above it to start it again.
    if (!node.parent && this.starting) this.activate(node);
    for (let child = node, parent = node.parent; parent; child = parent, parent = parent.parent) {
      const p = this.progress.get(parent);
      if (!p) continue;
      p.cursor = Math.min(p.cursor, child.indexInParent);
      this.dirty.add(parent);
    }
    this.pump();
  }

  /** Called by the runner when an Exec node left `running` (or was taken out of the queue). */
  release(leaf: RunNode): void {
    const held = this.holding.get(leaf);
    if (held) {
      held.budget.give(held.cpu, held.mem);
      this.holding.delete(leaf);
    }
    const key = this.exclusiveKey?.(leaf);
    if (key && this.exclusive.get(key) === leaf) {
      this.exclusive.delete(key);
      // Its waiting nodes go back to the front of the queue, in their order.
      const waiting = this.parked.get(key);
      this.parked.delete(key);
      if (waiting?.length) this.queue.splice(this.queueHead, 0, ...waiting);
    }
  }

  /** A node a previous runner started holds its resources until it ends (re-attach). */
  hold(leaf: RunNode): void {
    const { cpu, mem } = leaf.params;
    if (!this.unbudgeted?.(leaf)) {
      const budget = this.budgetFor(leaf);
      budget.take(cpu, mem);
      this.holding.set(leaf, { cpu, mem, budget });
    }
    const key = this.exclusiveKey?.(leaf);
    if (key) this.exclusive.set(key, leaf);
  }

  /** Takes queued Exec nodes of a subtree out of the queue (kill, reset, sleep). */
  dequeue(predicate: (leaf: RunNode) => boolean): RunNode[] {
    const removed: RunNode[] = [];
    const kept: RunNode[] = [];
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const leaf = this.queue[i]!;
      (predicate(leaf) ? removed : kept).push(leaf);
    }
    for (const [key, waiting] of this.parked) {
      const stay = waiting.filter((leaf) => !predicate(leaf));
      removed.push(...waiting.filter((leaf) => predicate(leaf)));
      if (stay.length) this.parked.set(key, stay);
      else this.parked.delete(key);
    }
    this.queue.length = 0;
    this.queue.push(...kept);
    this.queueHead = 0;
    return removed;
  }

  /** Once nothing runs: the pending nodes and why none of them starts. */
  whyPending(): PendingReason[] {
    return pendingReasons({ tree: this.tree, autorun: this.autorun, asleep: this.asleep, dependencies: (parent, child) => this.dependencies(parent, child) });
  }

  get queuedCount(): number {
    let parked = 0;
    for (const waiting of this.parked.values()) parked += waiting.length;
    return this.queue.length - this.queueHead + parked;
  }

  /** Toggle on and awake: the root is active again (containers keep where they were). */
  private resume(): void {
    if (!this.starting) return;
    this.activate(this.tree.root);
    this.pump();
  }

  private activate(node: RunNode): void {
    if (this.tree.isSkipped(node)) return;
    if (node.isLeaf) {
      if (node.state !== 'pending') return;
      this.tree.setLeafState(node, 'queued');
      this.queue.push(node);
      return;
    }
    this.track(node);
    this.dirty.add(node);
  }

  /**
   * Makes a container active. Its children already under way become active with it: in a runner
   * that opened a stopped pipeline, nothing is active, yet some containers are half run (a child
   * re-attached, or failed with the rest still due); each must go on by itself when its children
   * end, as it did before the stop, whatever the cursors above it say.
   */
  private track(node: RunNode): Progress {
    const known = this.progress.get(node);
    if (known) return known;
    const made: Progress = { cursor: 0, waiting: [] };
    this.progress.set(node, made);
    // A stack, not recursion: trees may be thousands of levels deep.
    const stack = [node];
    while (stack.length) {
      for (const child of stack.pop()!.children) {
        if (child.isLeaf || !underWay(child.viewState) || this.progress.has(child)) continue;
        this.progress.set(child, { cursor: 0, waiting: [] });
        this.dirty.add(child);
        stack.push(child);
      }
    }
    return made;
  }

  private drain(): void {
    const dirty = this.dirty;
    while (dirty.size) {
      const node = dirty.values().next().value as RunNode;
      dirty.delete(node);
      const p = this.progress.get(node);
      if (p && !this.tree.isSkipped(node)) this.startChildren(node, p);
    }
  }

  /**
   * Starts what a container's children allow, going into each child container it starts before
   * going on (so leaves queue depth-first). A stack of generators rather than recursion: each
   * yields the child container to go into, and a tree thousands of levels deep cannot overflow
   * the call stack.
   */
  private startChildren(node: RunNode, p: Progress): void {
    const stack = [this.childSteps(node, p)];
    while (stack.length) {
      const next = stack[stack.length - 1]!.next();
      if (next.done) {
        stack.pop();
        continue;
      }
      const child = next.value;
      const cp = this.track(child);
      this.dirty.delete(child);
      stack.push(this.childSteps(child, cp));
    }
  }

  /** Queues the leaves a container may start now; yields each child container to start. */
  private childSteps(node: RunNode, p: Progress): Generator<RunNode, void, void> {
    return node.spec.type === 'Parallel' ? this.startParallel(node, p) : this.startSerial(node, p);
  }

  private *startSerial(node: RunNode, p: Progress): Generator<RunNode, void, void> {
    const kids = node.children;
    while (p.cursor < kids.length) {
      const child = kids[p.cursor]!;
      const view = child.viewState;
      if (view === 'done') {
        p.cursor++;
        continue;
      }
      if (view === 'error' || view === 'killed') {
        if (node.params.stop_on_error) return;
        p.cursor++;
        continue;
      }
      if (view === 'pending') {
        if (child.isLeaf) this.activate(child);
        else yield child;
      }
      return;
    }
  }

  private *startParallel(node: RunNode, p: Progress): Generator<RunNode, void, void> {
    const limit = node.params.max_concurrent ?? Infinity;
    const active = () => node.childCounts.running + node.childCounts.queued;
    // Children that waited on DAG parents first: they are older.
    if (p.waiting.length) {
      const still: RunNode[] = [];
      for (const child of p.waiting) {
        const deps = this.dependencies(node, child);
        if (deps === 'skip') this.onSkip?.(child);
        else if (deps === 'ready' && active() < limit) {
          if (child.isLeaf) this.activate(child);
          else yield child;
        } else if (deps !== 'failed') still.push(child);
      }
      p.waiting = still;
    }
    while (p.cursor < node.children.length && active() < limit) {
      const child = node.children[p.cursor++]!;
      if (child.viewState !== 'pending') continue;
      const deps = this.dependencies(node, child);
      if (deps === 'ready') {
        if (child.isLeaf) this.activate(child);
        else yield child;
      } else if (deps === 'waiting') p.waiting.push(child);
      else if (deps === 'skip') this.onSkip?.(child);
    }
  }

  /** DAG parents of a Parallel's child: all done, one failed for good, or some still to finish. */
  private dependencies(parent: RunNode, child: RunNode): Dependencies {
    const ruled = this.dependencyRule?.(parent, child);
    if (ruled) return ruled;
    let waiting = false;
    for (const path of child.spec.parents) {
      const dep = this.tree.byPath.get(path);
      if (!dep || dep.parent !== parent) continue;
      const view = dep.viewState;
      if (view === 'error' || view === 'killed') return 'failed';
      if (view !== 'done') waiting = true;
    }
    return waiting ? 'waiting' : 'ready';
  }

  private budgetFor(leaf: RunNode): ResourceBudget {
    return this.budgetOf?.(leaf) ?? this.budget;
  }

  /** Starts queued nodes in order while their resources fit. */
  private dispatch(): void {
    while (this.queueHead < this.queue.length) {
      const leaf = this.queue[this.queueHead]!;
      if (leaf.state !== 'queued') {
        this.queueHead++;
        continue;
      }
      const key = this.exclusiveKey?.(leaf);
      if (key && this.exclusive.has(key)) {
        // Another node of its key runs: it waits aside, queued; the ones behind it may start.
        this.queueHead++;
        const waiting = this.parked.get(key);
        if (waiting) waiting.push(leaf);
        else this.parked.set(key, [leaf]);
        continue;
      }
      const { cpu, mem } = leaf.params;
      const free = this.unbudgeted?.(leaf) === true;
      const budget = this.budgetFor(leaf);
      if (!free && !budget.fits(cpu, mem)) break;
      this.queueHead++;
      if (!free) {
        budget.take(cpu, mem);
        this.holding.set(leaf, { cpu, mem, budget });
      }
      if (key) this.exclusive.set(key, leaf);
      this.tree.setLeafState(leaf, 'running');
      this.startLeaf(leaf);
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }
}

/** A container some of whose children started and that has not ended: running, or failed with more due. */
function underWay(view: NodeState): boolean {
  return view === 'running' || view === 'queued' || view === 'error' || view === 'killed';
}
