// A run tree's nodes by path (runner/model/pathIndex.ts: a map per container of its Exec children):
// every node is found, duplicates are refused whatever their types, and nodes taken out are gone.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { RunTree } from '../../runner/model/runTree';
import { node } from '../helpers/nodes';

const paths = (tree: RunTree) => [...tree.byPath.values()].map((n) => n.path);

test('every node is found by its path; values() are in pre-order, whatever order they were added in', () => {
  const tree = new RunTree([node('/', 'Serial'), node('/a', 'Parallel'), node('/a/x', 'Exec', 'x'), node('/b', 'Exec', 'b')]);
  tree.append(tree.get('/a'), [node('/a/y', 'Exec', 'y'), node('/a/z', 'Serial'), node('/a/z/q', 'Exec', 'q')]);
  assert.deepEqual(paths(tree), ['/', '/a', '/a/x', '/a/y', '/a/z', '/a/z/q', '/b']);
  assert.equal(tree.byPath.size, 7);
  for (const p of paths(tree)) assert.equal(tree.byPath.get(p)?.path, p);
  for (const missing of ['/c', '/a/q', '/a/x/y', '/b/x', 'a', '']) assert.equal(tree.byPath.has(missing), false, missing);
});

test('a duplicate path is refused: two Exec siblings, two containers, or one of each', () => {
  const dup = (nodes: Parameters<typeof node>[]) => () => new RunTree(nodes.map((args) => node(...args)));
  assert.throws(dup([['/', 'Serial'], ['/a', 'Exec', 'a'], ['/b', 'Exec', 'b'], ['/a', 'Exec', 'again']]), /duplicate node \/a$/);
  assert.throws(dup([['/', 'Serial'], ['/g', 'Parallel'], ['/g/x', 'Exec', 'x'], ['/g', 'Parallel']]), /duplicate node \/g$/);
  assert.throws(dup([['/', 'Serial'], ['/g', 'Exec', 'g'], ['/g', 'Parallel']]), /duplicate node \/g$/);
  assert.throws(dup([['/', 'Serial'], ['/g', 'Parallel'], ['/g', 'Exec', 'g']]), /duplicate node \/g$/);
  const tree = new RunTree([node('/', 'Serial'), node('/a', 'Exec', 'a')]);
  assert.throws(() => tree.append(tree.root, [node('/a', 'Exec', 'a')]), /duplicate node \/a$/);
  assert.equal(tree.byPath.size, 2);
});

test('children replaced (a Lazy generated, a replay): the old ones are gone, the new ones found, the count right', () => {
  const tree = new RunTree([node('/', 'Serial'), node('/g', 'Parallel'), node('/g/old', 'Exec', 'o'), node('/g/sub', 'Serial'), node('/g/sub/deep', 'Exec', 'd'), node('/h', 'Exec', 'h')]);
  tree.replaceChildren(tree.get('/g'), [node('/g/new', 'Exec', 'n'), node('/g/sub', 'Parallel'), node('/g/sub/other', 'Exec', 'o')]);
  assert.deepEqual(paths(tree), ['/', '/g', '/g/new', '/g/sub', '/g/sub/other', '/h']);
  assert.equal(tree.byPath.size, 6);
  for (const gone of ['/g/old', '/g/sub/deep']) assert.equal(tree.byPath.get(gone), undefined, gone);
  assert.equal(tree.get('/g/sub').spec.type, 'Parallel');
  // The replaced paths can be used again, and only once.
  tree.append(tree.get('/g'), [node('/g/old', 'Exec', 'o')]);
  assert.equal(tree.byPath.size, 7);
  assert.throws(() => tree.append(tree.get('/g'), [node('/g/old', 'Exec', 'o')]), /duplicate/);
});

test('a pipeline of one Exec node is found by "/"', () => {
  const tree = new RunTree([node('/', 'Exec', 'true')]);
  assert.equal(tree.get('/'), tree.root);
  assert.equal(tree.byPath.size, 1);
  assert.deepEqual(paths(tree), ['/']);
});
