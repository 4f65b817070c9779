// What the panel shows of a run, built from the runner's tree. Plain Node (no vscode): unit-tested.
import { parentPath, type ParamName } from '../../protocol/pipeline';
import type { ExecutionRecord } from '../../protocol/runner';
import type { ExecutionBrief, NodeDetails, ParamOrigin, WebviewNode } from '../../protocol/webviewMessages';
import { INHERITED_PARAMS } from '../../runner/model/inheritParams';
import type { RunNode, RunTree } from '../../runner/model/runTree';

export function brief(e: ExecutionRecord): ExecutionBrief {
  const b: ExecutionBrief = { id: e.id, startedAt: e.startedAt };
  if (e.endedAt !== undefined) b.endedAt = e.endedAt;
  if (e.exitCode !== undefined) b.exitCode = e.exitCode;
  if (e.reason !== undefined) b.reason = e.reason;
  if (e.peakMemoryBytes !== undefined) b.peakMemoryBytes = e.peakMemoryBytes;
  if (e.step?.metrics) b.metrics = e.step.metrics;
  return b;
}

export function toWebviewNode(node: RunNode): WebviewNode {
  const n: WebviewNode = {
    path: node.path,
    type: node.spec.type,
    state: node.state,
    skipped: node.skipped,
    counts: { ...node.leafCounts },
    executions: node.executions.map(brief),
  };
  if (node.spec.command !== undefined) n.command = node.spec.command;
  // Edges never change after definition; left out when none, to keep big snapshots small.
  if (node.spec.parents.length) n.parents = [...node.spec.parents];
  return n;
}

/** Every node of a subtree, depth-first, parents first (the order the webview builds its tree in). */
export function flatten(node: RunNode, out: WebviewNode[] = []): WebviewNode[] {
  const stack: RunNode[] = [node];
  while (stack.length) {
    const n = stack.pop()!;
    out.push(toWebviewNode(n));
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return out;
}

/**
 * The nodes to send for a batch of changed paths: each changed node and its ancestors (their
 * counts moved too). A changed path that is a container whose children were replaced (a Lazy's
 * Generate output) sends its whole subtree and is listed in `replaced`.
 */
export function delta(tree: RunTree, changed: Iterable<string>, replacedUnder: Iterable<string> = []): { nodes: WebviewNode[]; replaced: string[] } {
  const seen = new Set<string>();
  const nodes: WebviewNode[] = [];
  const replaced: string[] = [];
  for (const p of replacedUnder) {
    const node = tree.byPath.get(p);
    if (!node) continue;
    replaced.push(p);
    for (const n of flatten(node)) {
      seen.add(n.path);
      nodes.push(n);
    }
  }
  for (const p of changed) {
    for (let q: string | null = p; q !== null; q = parentPath(q)) {
      if (seen.has(q)) continue;
      const node = tree.byPath.get(q);
      if (!node) break;
      seen.add(q);
      nodes.push(toWebviewNode(node));
    }
  }
  return { nodes, replaced };
}

/** The nearest node, from this one up, whose own params (`set`) include `name`; else "default". */
export function paramOrigin(node: RunNode, name: ParamName): ParamOrigin {
  const inherited = INHERITED_PARAMS.includes(name);
  for (let n: RunNode | null = node; n; n = inherited ? n.parent : null) {
    if (n.spec.set?.includes(name)) return n.path;
  }
  return 'default';
}

/**
 * Where each env key comes from: the nearest node that sets env and gives the key a value its
 * parent did not have (env merges down the tree, so keys can come from different ancestors).
 */
export function envOrigins(node: RunNode): Record<string, ParamOrigin> {
  const out: Record<string, ParamOrigin> = {};
  for (const key of Object.keys(node.params.env)) {
    out[key] = 'default';
    for (let n: RunNode | null = node; n; n = n.parent) {
      if (!n.spec.set?.includes('env')) continue;
      const value = n.params.env[key];
      if (value === undefined) continue;
      const parentValue = n.parent?.params.env[key];
      if (parentValue !== value) {
        out[key] = n.path;
        break;
      }
    }
  }
  return out;
}

const SHOWN_PARAMS: ParamName[] = ['cpu', 'mem', 'gpu', 'env', 'image', 'max_time', 'skip', 'requires_docker', 'container_reuse_context', 'suppress_errors', 'stop_on_error', 'max_concurrent'];

export function details(node: RunNode): NodeDetails {
  const origins: NodeDetails['origins'] = {};
  for (const name of SHOWN_PARAMS) origins[name] = paramOrigin(node, name);
  let skippedByAncestor: string | null = null;
  for (let n = node.parent; n; n = n.parent) if (n.skipped) skippedByAncestor = n.path;
  const d: NodeDetails = {
    path: node.path,
    type: node.spec.type,
    state: node.state,
    skipped: node.skipped,
    skippedByAncestor,
    params: node.params,
    set: [...(node.spec.set ?? [])],
    origins,
    envOrigins: envOrigins(node),
    parents: node.spec.parents,
    source: node.spec.source,
    executions: node.executions.map((e) => ({ ...e })),
  };
  if (node.spec.command !== undefined) d.command = node.spec.command;
  return d;
}

/** Does a change at `changed` affect what `selected` shows (itself, or an ancestor's params)? */
export function affects(changed: string, selected: string): boolean {
  if (changed === selected || changed === '/') return true;
  return selected.startsWith(`${changed}/`);
}

/** An execution of a pipeline by id (ids are unique per pipeline), with its node. */
export function findExecution(tree: RunTree, path: string, id: string): ExecutionRecord | undefined {
  return tree.byPath.get(path)?.executions.find((e) => e.id === id);
}
