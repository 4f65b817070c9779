import type { NodeParams, ParamName } from '../../protocol/pipeline';
import type { NodeModification } from '../../protocol/runner';
import type { RunNode, RunTree } from './runTree';

/** A node's new command or params (checked by validateModification), and what descendants inherit. */
export function applyModification(tree: RunTree, node: RunNode, changes: NodeModification): void {
  const { command, ...params } = changes;
  if (command !== undefined && node.isLeaf) node.spec = { ...node.spec, command };
  const keys = Object.keys(params) as ParamName[];
  if (!keys.length) return;
  const merged: NodeParams = { ...node.params, ...params } as NodeParams;
  const set = [...new Set([...(node.spec.set ?? []), ...keys])];
  tree.updateParams(node, merged, set);
  if ('skip' in params && params.skip !== undefined) tree.setSkipped(node, params.skip);
}
