import type { RunNode, RunTree } from '../model/runTree';
import { ResourceBudget } from './resourceBudget';

/** Starts an Exec node; the scheduler learns the outcome through `finished`. */
export type StartLeaf = (leaf: RunNode) => void;

/**
 * Decides what runs next. Serial children go in order and stop at an unsuppressed failure when
 * `stop_on_error`; Parallel children go at once, after their DAG parents, at most `max_concurrent`;
 * queued Exec nodes start in order as their cpu and mem fit the budget. Work per change is
 * proportional to what changed (cursors, dirty set), not to the pipeline's size.
 */
export class Scheduler {
  autorun = false;
  private readonly queue: RunNode[] = [];
  private queueHead = 0;
  private readonly holding = new Map<RunNode, { cpu: number; mem: number }>();
  /** A rule for some Parallel children (pipeline steps, runner/clearml); undefined: the default. */
  dependencyRule?: (parent: RunNode, child: RunNode) => 'ready' | 'failed' | 'waiting' | 'skip' | undefined;
  /** A child the rule said to skip. */
  onSkip?: (child: RunNode) => void;

  constructor(
    private readonly tree: RunTree,
    readonly budget: ResourceBudget,
    private readonly startLeaf: StartLeaf,
  ) {}

  /** Turns the run toggle on or off. Off: nothing new starts; running nodes go on. */
  setAutorun(on: boolean): void {
    this.autorun = on;
    if (on) {
      this.activate(this.tree.root);
      this.pump();
    }
  }

  /** Re-examines everything that changed since the last call, then starts what fits. */
  pump(): void {
    if (!this.autorun) return;
    this.drain();
    this.dispatch();
  }

  /** A node was reset or unskipped: let the containers above it start it again. */
  reopened(node: RunNode): void {
    // The root has no container above it to start it again.
    if (!node.parent && this.autorun) this.activate(node);
    for (let child = node, parent = node.parent; parent; child = parent, parent = parent.parent) {
      parent.cursor = Math.min(parent.cursor, child.indexInParent);
      this.tree.dirty.add(parent);
    }
    this.pump();
  }

  /** Called by the runner when an Exec node left `running` (or was taken out of the queue). */
  release(leaf: RunNode): void {
    const held = this.holding.get(leaf);
    if (held) {
      this.budget.give(held.cpu, held.mem);
      this.holding.delete(leaf);
    }
  }

  /** Takes queued Exec nodes of a subtree out of the queue (kill, reset, sleep). */
  dequeue(predicate: (leaf: RunNode) => boolean): RunNode[] {
    const removed: RunNode[] = [];
    const kept: RunNode[] = [];
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const leaf = this.queue[i]!;
      (predicate(leaf) ? removed : kept).push(leaf);
    }
    this.queue.length = 0;
    this.queue.push(...kept);
    this.queueHead = 0;
    return removed;
  }

  get queuedCount(): number {
    return this.queue.length - this.queueHead;
  }

  private activate(node: RunNode): void {
    if (this.tree.isSkipped(node)) return;
    if (node.isLeaf) {
      if (node.state !== 'pending') return;
      this.tree.setLeafState(node, 'queued');
      this.queue.push(node);
      return;
    }
    node.activated = true;
    this.tree.dirty.add(node);
  }

  private drain(): void {
    const dirty = this.tree.dirty;
    while (dirty.size) {
      const node = dirty.values().next().value as RunNode;
      dirty.delete(node);
      if (node.activated && !this.tree.isSkipped(node)) this.startChildren(node);
    }
  }

  private startChildren(node: RunNode): void {
    if (node.spec.type === 'Parallel') this.startParallel(node);
    else this.startSerial(node);
  }

  private startSerial(node: RunNode): void {
    const kids = node.children;
    while (node.cursor < kids.length) {
      const child = kids[node.cursor]!;
      const view = child.viewState;
      if (view === 'done') {
        node.cursor++;
        continue;
      }
      if (view === 'error' || view === 'killed') {
        if (node.params.stop_on_error) return;
        node.cursor++;
        continue;
      }
      if (view === 'pending') this.activateOrResume(child);
      return;
    }
  }

  private startParallel(node: RunNode): void {
    const limit = node.params.max_concurrent ?? Infinity;
    const active = () => node.childCounts.running + node.childCounts.queued;
    // Children that waited on DAG parents first: they are older.
    if (node.waiting.length) {
      const still: RunNode[] = [];
      for (const child of node.waiting) {
        const deps = this.dependencies(node, child);
        if (deps === 'skip') this.onSkip?.(child);
        else if (deps === 'ready' && active() < limit) this.activateOrResume(child);
        else if (deps !== 'failed') still.push(child);
      }
      node.waiting = still;
    }
    while (node.cursor < node.children.length && active() < limit) {
      const child = node.children[node.cursor++]!;
      if (child.viewState !== 'pending') continue;
      const deps = this.dependencies(node, child);
      if (deps === 'ready') this.activateOrResume(child);
      else if (deps === 'waiting') node.waiting.push(child);
      else if (deps === 'skip') this.onSkip?.(child);
    }
  }

  private activateOrResume(child: RunNode): void {
    if (child.isLeaf) this.activate(child);
    else {
      child.activated = true;
      this.startChildren(child);
    }
  }

  /** DAG parents of a Parallel's child: all done, one failed for good, or some still to finish. */
  private dependencies(parent: RunNode, child: RunNode): 'ready' | 'failed' | 'waiting' | 'skip' {
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

  /** Starts queued nodes in order while their resources fit. */
  private dispatch(): void {
    while (this.queueHead < this.queue.length) {
      const leaf = this.queue[this.queueHead]!;
      if (leaf.state !== 'queued') {
        this.queueHead++;
        continue;
      }
      const { cpu, mem } = leaf.params;
      if (!this.budget.fits(cpu, mem)) break;
      this.queueHead++;
      this.budget.take(cpu, mem);
      this.holding.set(leaf, { cpu, mem });
      this.tree.setLeafState(leaf, 'running');
      this.startLeaf(leaf);
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }
}
