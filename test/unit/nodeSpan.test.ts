// nodeSpan: a group's wall time over its nodes' last executions. With `atHandOnly` (the sidebar's
// rows) it reads no executions left in a checkpoint: a reopened run of a million nodes would read
// them all to describe its groups.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { ExecutionRecord } from '../../protocol/runner';
import { nodeSpan } from '../../runner/model/nodeSpan';
import { RunTree } from '../../runner/model/runTree';
import { defaultParams, node } from '../helpers/nodes';

const execution = (path: string, startedAt: number, endedAt: number): ExecutionRecord => ({ id: `e${startedAt}`, path, command: 'true', params: defaultParams, image: 'i', startedAt, endedAt });

function group(): RunTree {
  return new RunTree([node('/', 'Parallel'), node('/a', 'Exec', 'true'), node('/b', 'Exec', 'true')]);
}

test("a group's span runs from its first start to its last end", () => {
  const tree = group();
  tree.get('/a').executions = [execution('/a', 1000, 1500)];
  tree.get('/b').executions = [execution('/b', 1200, 3000)];
  assert.equal(nodeSpan(tree.root), 2000);
  assert.equal(nodeSpan(tree.root, Date.now(), { atHandOnly: true }), 2000);
});

test('atHandOnly: a node whose executions are still on disk leaves the span unknown, and is not read', () => {
  const tree = group();
  tree.get('/a').executions = [execution('/a', 1000, 1500)];
  let reads = 0;
  tree.get('/b').storedIn({
    load: () => {
      reads++;
      tree.get('/b').executions = [execution('/b', 1200, 3000)];
    },
  });
  assert.equal(nodeSpan(tree.root, Date.now(), { atHandOnly: true }), null);
  assert.equal(reads, 0);
  // Without it, the executions are read.
  assert.equal(nodeSpan(tree.root), 2000);
  assert.equal(reads, 1);
  assert.equal(nodeSpan(tree.root, Date.now(), { atHandOnly: true }), 2000);
});
