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
