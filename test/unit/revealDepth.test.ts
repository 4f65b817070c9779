import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { revealDepth } from '../../extension/treeViews/revealDepth';

const container = (children: number) => ({ children: Array.from({ length: children }, () => ({})) });

test('a started run opens two levels when they are a screenful or so, one level when they are large', () => {
  assert.equal(revealDepth({ children: [container(3), container(10)] }), 2);
  assert.equal(revealDepth({ children: Array.from({ length: 20 }, () => container(24)) }), 2, '500 rows');
  assert.equal(revealDepth({ children: Array.from({ length: 100 }, () => container(1000)) }), 1, '100 Parallels of 1,000');
  assert.equal(revealDepth({ children: [container(600)] }), 1);
});
