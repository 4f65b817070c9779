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
  const root = nodes[0];
  if (!root) return '';
  line(root, root.path);
  // Depth-first with a stack of open containers, not recursion: a tree thousands of levels deep
  // must not overflow the call stack.
  const open: { kids: PipelineNode[]; next: number; indent: string; numbered: boolean; width: number }[] = [];
  const enter = (node: PipelineNode, indent: string) => {
    const kids = children.get(node.path);
    if (kids?.length) open.push({ kids, next: 0, indent, numbered: node.type !== 'Parallel', width: String(kids.length - 1).length });
  };
  enter(root, '');
  while (open.length) {
    const at = open[open.length - 1]!;
    if (at.next === at.kids.length) {
      open.pop();
      continue;
    }
    const i = at.next++;
    const kid = at.kids[i]!;
    const last = i === at.kids.length - 1;
    line(kid, `${at.indent}${last ? '└─' : '├─'}${at.numbered ? String(i).padStart(at.width, '0') : ''} ${nodeName(kid.path)}`);
    enter(kid, at.indent + (last ? '  ' : '│ '));
  }
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
