// Why Exec nodes are still pending once nothing runs: what a run that ends early tells its user
// ("stopped at the failure of /a (stop_on_error)") instead of ending without a word.
import type { RunNode, RunTree } from '../model/runTree';
import type { Dependencies } from './scheduler';

/** A pending subtree (an Exec node or a container whose pending nodes share the reason) and why. */
export interface PendingReason {
  path: string;
  /** Its pending Exec nodes. */
  pending: number;
  reason: string;
}

/** What the scheduler says about a node's chances. */
export interface SchedulingView {
  tree: RunTree;
  autorun: boolean;
  asleep: boolean;
  dependencies(parent: RunNode, child: RunNode): Dependencies;
}

/** The reason the scheduler has none for: it should have started the node. */
export const NO_REASON = 'nothing started it, though nothing stops it (a runner bug: reset the node to run it)';

/** Pending Exec nodes that are not skipped, by the highest subtree that shares a reason. */
export function pendingReasons(view: SchedulingView): PendingReason[] {
  const { tree } = view;
  const root = tree.root;
  if (!pendingIn(root)) return [];
  const all = (reason: string) => [{ path: root.path, pending: root.leafCounts.pending, reason }];
  if (view.asleep) return all('the pipeline is asleep');
  if (!view.autorun) return all('the Run toggle is off');
  const out: PendingReason[] = [];
  const visit = (node: RunNode) => {
    if (node.isLeaf) return out.push({ path: node.path, pending: 1, reason: NO_REASON });
    const reasons = node.spec.type === 'Parallel' ? parallelReasons(view, node) : serialReasons(node);
    for (const child of node.children) {
      if (!pendingIn(child)) continue;
      const reason = reasons.get(child);
      if (reason) out.push({ path: child.path, pending: child.leafCounts.pending, reason });
      else visit(child);
    }
  };
  visit(root);
  return out;
}

/** Has this subtree pending Exec nodes that are not skipped? */
function pendingIn(node: RunNode): boolean {
  if (node.skipped || node.leafCounts.pending === 0) return false;
  return node.isLeaf || node.children.some(pendingIn);
}

/** A Serial's children after its first unfinished one: stopped at a failure, or waiting for it. */
function serialReasons(node: RunNode): Map<RunNode, string> {
  const reasons = new Map<RunNode, string>();
  let blocker: string | undefined;
  for (const child of node.children) {
    if (blocker) {
      reasons.set(child, blocker);
      continue;
    }
    const view = child.viewState;
    if ((view === 'error' || view === 'killed') && node.params.stop_on_error) blocker = `stopped at ${view === 'killed' ? `${child.path}, killed` : `the failure of ${child.path}`} (stop_on_error)`;
    else if (view === 'pending') blocker = `waits for ${child.path}`;
  }
  return reasons;
}

/** A Parallel's children whose DAG parents failed or have yet to run. */
function parallelReasons(view: SchedulingView, node: RunNode): Map<RunNode, string> {
  const reasons = new Map<RunNode, string>();
  for (const child of node.children) {
    if (!pendingIn(child)) continue;
    const deps = view.dependencies(node, child);
    const parents = child.spec.parents.map((p) => view.tree.byPath.get(p)).filter((p): p is RunNode => p?.parent === node);
    if (deps === 'failed') {
      const failed = parents.find((p) => p.viewState === 'error' || p.viewState === 'killed');
      // Without a failed parent, a pipeline step's rule stopped it: abort_on_failure (runner/clearml).
      reasons.set(child, failed ? `its parent ${failed.path} ${failed.viewState === 'killed' ? 'was killed' : 'failed'}` : 'a step failed and the pipeline starts no more (abort_on_failure)');
    } else if (deps === 'waiting') {
      const first = parents.find((p) => p.viewState !== 'done');
      reasons.set(child, `waits for ${first?.path ?? 'its parents'}`);
    }
  }
  return reasons;
}

