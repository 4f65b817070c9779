// States as people read them, from real runs (issue 13): a Lazy's Execute is pending while its
// Generate runs (not an empty, done container); a sleeping pipeline reads "sleeping" in the CLI's
// `list` and `show`, not "pending"; a killed node reads "killed" once.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { cli, ensureBuilt } from '../helpers/cli';
import { dockerSuite, until } from '../helpers/runnerHarness';

const h = dockerSuite();

test("Lazy: Execute is pending while Generate runs, and the pipeline is not done before Execute's children ran", async () => {
  const file = h.write(
    'lazy_slow.py',
    `import time
import conducto as co

def pipe() -> co.Serial:
    root = co.Serial()
    root["Test"] = co.Lazy(make)
    return root

def make() -> co.Serial:
    time.sleep(3)
    out = co.Serial()
    out["generated"] = co.Exec("echo generated")
    return out
`,
  );
  const { run } = await h.create(file, { func: 'pipe' });
  const roots: string[] = [];
  const executes: string[] = [];
  const sample = setInterval(() => {
    roots.push(run.tree.root.state);
    executes.push(run.tree.get('/Test/Execute').state);
  }, 20);
  try {
    assert.equal(run.tree.get('/Test/Execute').state, 'pending', 'before the run');
    run.setAutorun(true);
    await until('Generate running', () => run.tree.get('/Test/Generate').state === 'running');
    assert.equal(run.tree.get('/Test/Execute').state, 'pending');
    assert.equal(run.tree.get('/Test').state, 'running');
    await run.settled();
  } finally {
    clearInterval(sample);
  }
  assert.equal(run.tree.get('/Test/Execute/generated').state, 'done');
  assert.equal(run.tree.root.state, 'done');
  // Done only at the end: never before the generated node had run.
  const firstDone = executes.indexOf('done');
  assert.ok(firstDone === -1 || executes.slice(firstDone).every((s) => s === 'done'), executes.join(' '));
  assert.ok(!roots.slice(0, roots.lastIndexOf('running')).includes('done'), roots.join(' '));
  await run.close();
});

test('a sleeping pipeline reads "sleeping" in `pipewright list` and `show`; a killed node reads "killed" once', async () => {
  ensureBuilt();
  const file = h.write('napping.py', `import conducto as co\nroot = co.Serial()\nroot["killed_one"] = co.Exec("sleep 60", suppress_errors=True)\nroot["dozing"] = co.Exec("sleep 60")\n`);
  const { run } = await h.create(file);
  run.setAutorun(true);
  await until('killed_one running', () => run.tree.get('/killed_one').state === 'running');
  // Its errors suppressed, the kill lets the Serial go on to the next node.
  run.kill('/killed_one');
  await until('dozing running', () => run.tree.get('/dozing').state === 'running');
  await run.sleep();
  const id = run.id;
  await run.close();
  const list = await cli(['list', '--store', h.storeRoot]);
  assert.equal(list.code, 0, list.stderr);
  const row = list.stdout.split('\n').find((l) => l.startsWith(id)) ?? '';
  assert.match(row, new RegExp(`^${id}\\s+sleeping\\s+sleeping\\s`), list.stdout);
  const show = await cli(['show', id, '--store', h.storeRoot]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /dozing {2}z sleeping/, show.stdout);
  assert.match(show.stdout, /killed_one {2}☠ killed\b/, show.stdout);
  assert.doesNotMatch(show.stdout, /killed \(killed\)/, show.stdout);
  assert.doesNotMatch(show.stdout, /pending/, show.stdout);
});
