import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { renderTree } from '../../presentation/tree';
import { node } from '../helpers/nodes';

test('renders the seed build/test tree in Conducto format', () => {
  const nodes = [
    node('/', 'Serial'),
    node('/Build', 'Exec', 'echo docker build, make, npm i, etc.'),
    node('/Test', 'Parallel'),
    node('/Test/app', 'Exec', 'echo run test for app'),
    node('/Test/backend', 'Exec', 'echo run test for backend'),
    node('/Test/metrics', 'Exec', 'echo run test for metrics'),
  ];
  assert.equal(
    renderTree(nodes),
    [
      '/',
      '├─0 Build   echo docker build, make, npm i, etc.',
      '└─1 Test',
      '  ├─ app   echo run test for app',
      '  ├─ backend   echo run test for backend',
      '  └─ metrics   echo run test for metrics',
    ].join('\n'),
  );
});

test('continues the vertical bar under a non-last child and shows newlines as \\n', () => {
  const nodes = [
    node('/', 'Parallel'),
    node('/a', 'Serial'),
    node('/a/x', 'Exec', 'echo 1\necho 2'),
    node('/b', 'Exec', 'true'),
  ];
  assert.equal(renderTree(nodes), ['/', '├─ a', '│ └─0 x   echo 1\\necho 2', '└─ b   true'].join('\n'));
});

test('decorates lines after the name', () => {
  const nodes = [node('/', 'Serial'), node('/a', 'Exec', 'true')];
  assert.equal(renderTree(nodes, (n) => ` [${n.type}]`), ['/ [Serial]', '└─0 a [Exec]   true'].join('\n'));
});

test('pads Serial indices to the width of the last one, as Conducto does (├─00 … └─16)', () => {
  const serial = (n: number) => [node('/', 'Serial'), ...Array.from({ length: n }, (_, i) => node(`/s${i}`, 'Exec', `echo ${i}`))];
  const ten = renderTree(serial(10)).split('\n');
  assert.deepEqual([ten[1], ten.at(-1)], ['├─0 s0   echo 0', '└─9 s9   echo 9']);
  const seventeen = renderTree(serial(17)).split('\n');
  assert.deepEqual([seventeen[1], seventeen[10], seventeen.at(-1)], ['├─00 s0   echo 0', '├─09 s9   echo 9', '└─16 s16   echo 16']);
  const parallel = [node('/', 'Parallel'), ...Array.from({ length: 12 }, (_, i) => node(`/p${i}`, 'Exec', 'true'))];
  assert.equal(renderTree(parallel).split('\n')[1], '├─ p0   true');
});
