// A pipeline thousands of levels deep (a definition nesting Serial/Parallel in a loop) goes through
// every walk of the tree without overflowing the call stack: reading its JSON, the run tree, the
// scheduler, the printed tree and the run's status, the editor's outline. The recursive walks
// these replaced overflowed between 3,000 and 4,000 levels; 5,000 leaves no doubt.
import { strict as assert } from 'node:assert';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { CancellationToken } from 'vscode-languageserver/node';
import { renderStatus } from '../../cli/statusDisplay';
import { readPipelineStream } from '../../evaluator/readPipeline';
import { DocumentSymbolProvider, MAX_SYMBOL_DEPTH } from '../../language-server/src/documentSymbolProvider';
import type { DocumentStore, Snapshot } from '../../language-server/src/documentModel';
import { SourceLines } from '../../language-server/src/sourceText';
import { renderTree } from '../../presentation/tree';
import type { PipelineNode } from '../../protocol/pipeline';
import { applyModification } from '../../runner/model/applyModification';
import { nodeSpan } from '../../runner/model/nodeSpan';
import { RunTree } from '../../runner/model/runTree';
import { ResourceBudget } from '../../runner/scheduler/resourceBudget';
import { Scheduler } from '../../runner/scheduler/scheduler';
import { node } from '../helpers/nodes';

const DEPTH = 5000;

/** Root, then DEPTH containers each inside the last (Serial and Parallel by turns), then one Exec. */
function deepNodes(): PipelineNode[] {
  const nodes = [node('/', 'Serial')];
  let path = '';
  for (let i = 0; i < DEPTH; i++) {
    path += '/a';
    nodes.push(node(path, i % 2 ? 'Parallel' : 'Serial'));
  }
  nodes.push(node(`${path}/leaf`, 'Exec', 'echo deep'));
  return nodes;
}
const leafPath = `${'/a'.repeat(DEPTH)}/leaf`;

test('deep tree: its pipeline JSON reads back', async () => {
  const nodes = deepNodes();
  const text = ['{"pipewright": 1, "name": "deep", "file": "/x/deep.py", "nodes": [', ...nodes.map((n, i) => JSON.stringify(n) + (i < nodes.length - 1 ? ',' : '')), ']}', ''].join('\n');
  const doc = await readPipelineStream(Readable.from([text]));
  assert.equal(doc.nodes.length, DEPTH + 2);
  assert.equal(doc.nodes.at(-1)!.path, leafPath);
});

test('deep tree: the run tree counts, inherits, replaces and schedules it', () => {
  const tree = new RunTree(deepNodes());
  assert.equal(tree.root.leafCounts.pending, 1);
  assert.equal(tree.root.state, 'pending');

  applyModification(tree, tree.root, { cpu: 0.5 });
  assert.equal(tree.get(leafPath).params.cpu, 0.5, 'the leaf inherits from the root, 5,000 levels up');

  const started: string[] = [];
  const scheduler = new Scheduler(tree, new ResourceBudget({ cpu: 4, mem: 4 }), (leaf) => started.push(leaf.path));
  scheduler.setAutorun(true);
  assert.deepEqual(started, [leafPath]);
  assert.equal(tree.root.state, 'running');
  scheduler.release(tree.get(leafPath));
  tree.setLeafState(tree.get(leafPath), 'done');
  scheduler.pump();
  assert.equal(tree.root.state, 'done');

  // A Lazy's output replaces a subtree: removing the old one walks it too.
  tree.replaceChildren(tree.root, deepNodes().slice(1));
  assert.equal(tree.byPath.size, DEPTH + 2);
  assert.equal(tree.root.state, 'pending');
  tree.recount(tree.root);
  assert.equal(tree.root.leafCounts.pending, 1);
});

test('deep tree: printed as a tree, and as a run’s status', () => {
  const nodes = deepNodes();
  const lines = renderTree(nodes).split('\n');
  assert.equal(lines.length, DEPTH + 2);
  assert.equal(lines[1], '└─0 a');
  assert.equal(lines.at(-1), `${'  '.repeat(DEPTH)}└─${(DEPTH - 1) % 2 ? '' : '0'} leaf   echo deep`);

  const tree = new RunTree(nodes);
  const leaf = tree.get(leafPath);
  leaf.addExecution({ id: 'e1', path: leafPath, command: 'echo deep', params: leaf.params, image: 'alpine', startedAt: 1000, endedAt: 3000, exitCode: 0});
  tree.setLeafState(leaf, 'done');
  assert.equal(nodeSpan(tree.root), 2000);
  const status = renderStatus(tree).split('\n');
  assert.equal(status.length, DEPTH + 2);
  assert.match(status.at(-1)!, /└─0? leaf {2}✔ done 2\.0s {3}echo deep$/);
});

test('deep tree: the editor’s outline stops at MAX_SYMBOL_DEPTH levels and can be sent', async () => {
  const text = 'import conducto as co\n\ndef run() -> co.Serial:\n    return deep()\n';
  const document = { pipewright: 1 as const, name: 'run', file: '/x/deep.py', nodes: deepNodes() };
  const snapshot: Snapshot = { uri: 'file:///x/deep.py', version: 1, trusted: true, isDefinition: true, file: '/x/deep.py', source: new SourceLines(text), pipelines: [{ name: 'run', line: 3, default: true, document }], problems: [], signature: '' };
  const store = { current: async () => snapshot } as unknown as DocumentStore;
  const symbols = await new DocumentSymbolProvider(store).provide({ textDocument: { uri: snapshot.uri } }, {} as CancellationToken);
  assert.doesNotThrow(() => JSON.stringify(symbols), 'symbols travel to the editor as JSON');
  let depth = 0;
  for (let s = symbols[0]!.children?.[0]; s; s = s.children?.[0]) depth++;
  assert.equal(depth, MAX_SYMBOL_DEPTH + 1, 'the root and MAX_SYMBOL_DEPTH levels below it');
});
