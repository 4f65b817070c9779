// The seed pipelines, run in real containers on the real engine.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { test } from 'node:test';
import { dockerSuite, lastLog } from '../helpers/runnerHarness';

const examples = path.resolve(__dirname, '..', '..', 'examples');
const h = dockerSuite();

test('build and test: every node runs and the root is done', async () => {
  const { run } = await h.run(path.join(examples, 'build_and_test.py'));
  assert.equal(run.tree.root.state, 'done');
  assert.deepEqual(run.tree.root.leafCounts, { pending: 0, queued: 0, running: 0, done: 4, error: 0, killed: 0 });
  assert.match(lastLog(run, '/Test/backend'), /run test for backend/);
  await run.close();
});

test('inheritance: Node1 runs with the parent cpu=2 and LOG_LEVEL=1', async () => {
  const { run } = await h.run(path.join(examples, 'inheritance.py'));
  assert.equal(run.tree.root.state, 'done');
  assert.equal(lastLog(run, '/Node1').trim(), 'I run with 2 cores, and with LOG_LEVEL=1');
  const execution = run.tree.get('/Node1').executions[0]!;
  assert.equal(execution.params.cpu, 2);
  await run.close();
});

test('Leibniz: the callables run in their container and print pi', async () => {
  const { run } = await h.run(path.join(examples, 'leibniz.py'), { args: ['--n=100000'] });
  assert.equal(run.tree.root.state, 'done');
  for (const node of ['/Leibniz1', '/Leibniz2']) assert.match(lastLog(run, node), /^3\.1415\d+/);
  await run.close();
});

test('Lazy: Generate makes five tests and Execute runs them', async () => {
  const file = h.write(
    'lazy_tests.py',
    `import conducto as co

def pipe() -> co.Serial:
    root = co.Serial()
    root["Deploy"] = co.Exec("echo Deploy service")
    root["Test"] = co.Lazy(test_service, num_tests=5)
    return root

def test_service(url: str = None, num_tests: int = 1) -> co.Parallel:
    url = url or "https://example.com/look_up_url_at_runtime"
    output = co.Parallel(env={"URL": url})
    for i in range(num_tests):
        output[f"RunTest_{i}"] = co.Exec(f"echo Testing deployment $URL number {i}")
    return output

if __name__ == "__main__":
    co.main(default=pipe)
`,
  );
  const { run, events } = await h.run(file);
  assert.equal(run.tree.root.state, 'done');
  const execute = run.tree.get('/Test/Execute');
  assert.equal(execute.spec.type, 'Parallel');
  assert.deepEqual(execute.children.map((c) => c.path), [0, 1, 2, 3, 4].map((i) => `/Test/Execute/RunTest_${i}`));
  for (const child of execute.children) assert.equal(child.state, 'done');
  assert.match(lastLog(run, '/Test/Execute/RunTest_3'), /Testing deployment https:\/\/example.com\/look_up_url_at_runtime number 3/);
  assert.ok(events.some((e) => e.type === 'nodes-added' && e.under === '/Test/Execute' && e.nodes.filter((n) => n.type === 'Exec').length === 5));
  await run.close();
});
