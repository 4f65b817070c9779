// What a node takes from its parent when the runner places nodes under another (a Lazy's generated
// pipeline, a modify of a parent): Conducto's inherited params and Pipewright's backend/placement.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { RunTree, resolveGenerated } from '../../runner/model/runTree';
import { node } from '../helpers/nodes';

test("a Lazy's generated nodes take the Lazy's backend and placement, unless they set their own; absent stays absent", () => {
  const tree = new RunTree([
    node('/', 'Serial'),
    node('/Heavy', 'Lazy', undefined, { backend: 'cluster', placement: ['node.labels.gpu==true'], cpu: 2 }),
    node('/Plain', 'Lazy'),
  ]);
  const generated = [node('/', 'Parallel'), node('/a', 'Exec', 'echo a'), { ...node('/b', 'Exec', 'echo b', { backend: 'local' }), set: ['backend' as const] }];
  const heavy = resolveGenerated(tree.get('/Heavy'), generated);
  assert.deepEqual(heavy.map((n) => [n.path, n.params.backend, n.params.placement, n.params.cpu]), [
    ['/Heavy/a', 'cluster', ['node.labels.gpu==true'], 2],
    ['/Heavy/b', 'local', ['node.labels.gpu==true'], 2],
  ]);
  const plain = resolveGenerated(tree.get('/Plain'), generated);
  assert.equal('backend' in plain[0]!.params, false, 'no backend key when no one set one');
  assert.equal('placement' in plain[0]!.params, false);
});
