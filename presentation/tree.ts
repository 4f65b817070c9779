import { nodeName, parentPath, type PipelineNode } from '../protocol/pipeline';

/** Extra text after a node's name, e.g. its state and duration in `pipewright run`. */
export type Decorate = (node: PipelineNode) => string;

/**
 * Renders a flat, depth-first node list as Conducto prints a tree:
 *   /
 *   ├─0 Build   echo build        (Serial children numbered from 0)
 *   └─1 Test
 *     ├─ app   echo test app      (Parallel children unnumbered)
 */
export function renderTree(nodes: readonly PipelineNode[], decorate?: Decorate): string {
  const children = childrenByPath(nodes);
  const out: string[] = [];
  const line = (node: PipelineNode, label: string) => {
    const extra = decorate ? decorate(node) : '';
    const command = node.type === 'Exec' && node.command !== undefined ? `   ${node.command.replace(/\n/g, '\\n')}` : '';
    out.push(`${label}${extra}${command}`);
  };
  const walk = (node: PipelineNode, indent: string) => {
    const kids = children.get(node.path) ?? [];
    const numbered = node.type !== 'Parallel';
    kids.forEach((kid, i) => {
      const last = i === kids.length - 1;
      line(kid, `${indent}${last ? '└─' : '├─'}${numbered ? i : ''} ${nodeName(kid.path)}`);
      walk(kid, indent + (last ? '  ' : '│ '));
    });
  };
  const root = nodes[0];
  if (!root) return '';
  line(root, root.path);
  walk(root, '');
  return out.join('\n');
}

export function childrenByPath(nodes: readonly PipelineNode[]): Map<string, PipelineNode[]> {
  const children = new Map<string, PipelineNode[]>();
  for (const node of nodes) {
    const parent = parentPath(node.path);
    if (parent === null) continue;
    let list = children.get(parent);
    if (!list) children.set(parent, (list = []));
    list.push(node);
  }
  return children;
}
