import { renderTree } from '../../presentation/tree';
import { evaluateDefinition } from '../../evaluator/evaluateDefinition';
import { parseArgs, UsageError } from '../args';
import { EVALUATION_FLAGS, evaluationLimits } from '../evaluationFlags';
import type { CliIO } from '../io';

export const treeUsage = 'pipewright tree FILE|DIR [FUNC [ARG ...]] [--arg=v ...] [--json] [--eval-timeout S] [--eval-memory MB]';

export async function treeCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, { flags: { ...EVALUATION_FLAGS, json: 'boolean' }, passthrough: true, ownPositionals: 2 });
  const [file, func, ...extra] = args.positionals;
  if (!file || extra.length) throw new UsageError(treeUsage);
  const doc = await evaluateDefinition(file, { func, args: [...args.passthrough], limits: evaluationLimits(args) });
  if (args.has('json')) {
    // Same line-per-node layout the SDK writes, so the output streams into other tools.
    const { nodes, ...header } = doc;
    io.out(`${JSON.stringify(header).slice(0, -1)}, "nodes": [\n`);
    nodes.forEach((node, i) => io.out(`${JSON.stringify(node)}${i < nodes.length - 1 ? ',' : ''}\n`));
    io.out(']}\n');
  } else {
    io.out(`${renderTree(doc.nodes)}\n`);
  }
  return 0;
}
