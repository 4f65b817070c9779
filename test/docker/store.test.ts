// The store under the CLI on the real engine: one owner per pipeline however many `start` at once,
// a broken pipeline does not stop the others, and what a run writes is private to the user.
import { strict as assert } from 'node:assert';
import { lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { PipelineRun } from '../../runner/pipelineRun';
import { PipelineStore } from '../../runner/store/pipelineStore';
import { repo, runProcess, type CliResult } from '../helpers/cli';
import { pipewrightChild, pipewrightToEnd } from '../helpers/cliChild';
import { node } from '../helpers/nodes';
import { dockerSuite, TEST_IMAGE, until } from '../helpers/runnerHarness';

const h = dockerSuite();
const cliMain = path.join(repo, 'cli', 'main.ts');
const env = { PIPEWRIGHT_DEFAULT_IMAGE: TEST_IMAGE };

/** `pipewright ARGS --store <the suite's store>` from the sources, as its own process. */
const pipewright = (...args: string[]) => pipewrightToEnd(args, h.storeRoot);

interface Started extends CliResult {
  pid: number;
  exited: boolean;
}

/** Starts `pipewright start ID`; its result fills in as it runs. */
function startProcess(id: string): { result: Started; done: Promise<void> } {
  const child = pipewrightChild(['start', id], h.storeRoot);
  const result: Started = { pid: child.pid!, code: null, stdout: '', stderr: '', exited: false };
  child.stdout.on('data', (d) => (result.stdout += d));
  child.stderr.on('data', (d) => (result.stderr += d));
  const done = new Promise<void>((resolve) =>
    child.on('close', (code) => {
      Object.assign(result, { code, exited: true });
      resolve();
    }),
  );
  return { result, done };
}

test('five `pipewright start` of one pipeline at once: one process runs it, every node runs once and ends done', async () => {
  const file = h.write(
    'gated.py',
    `import conducto as co
root = co.Parallel()
root["gate"] = co.Exec("while [ ! -e /pipewright/data/go ]; do sleep 0.1; done; echo through")
root["a"] = co.Exec("echo a")
root["b"] = co.Exec("echo b", container_reuse_context="b")
`,
  );
  const { run: made } = await h.create(file);
  await made.close();
  const id = made.id;

  const starts = Array.from({ length: 5 }, () => startProcess(id));
  const results = starts.map((s) => s.result);
  // The gate holds the runner until the other four have had their answer.
  await until('four of the five starts to end', () => results.filter((r) => r.exited).length >= 4, 90_000, 100).catch(() => undefined);
  const owner = new PipelineStore(h.storeRoot).liveOwner(id);
  const ctx = await h.context();
  if (owner) await assert.rejects(PipelineRun.open(id, ctx), new RegExp(`pipeline ${id} is being run by another process \\(pid ${owner.pid}\\)`));
  writeFileSync(path.join(new PipelineStore(h.storeRoot).space(id).dataDir, 'go'), '');
  await until('every start to end (none hangs)', () => results.every((r) => r.exited), 120_000, 100);

  const report = results.map((r) => `pid ${r.pid} exit ${r.code}\n${r.stdout}${r.stderr}`).join('\n---\n');
  for (const r of results) assert.doesNotMatch(r.stderr, /Unexpected end of JSON input/, report);
  const runners = results.filter((r) => /^done +\/gate/m.test(r.stdout));
  assert.equal(runners.length, 1, `exactly one process ran it:\n${report}`);
  const runner = runners[0]!;
  assert.equal(runner.code, 0, report);
  assert.equal(owner?.pid, runner.pid, 'the owner the store named is the process that ran it');
  for (const r of results.filter((x) => x !== runner)) {
    const refused = r.code !== 0 && r.stderr.includes(`pipeline ${id} is being run by another process (pid ${runner.pid})`);
    const handedOver = r.code === 0 && r.stdout.includes(`autorun sent to the process running ${id}`);
    assert.ok(refused || handedOver, `refused naming the runner, or handed to it:\n${report}`);
  }

  const stored = await PipelineRun.inspect(id, { store: new PipelineStore(h.storeRoot) });
  for (const p of ['/gate', '/a', '/b']) {
    const leaf = stored.tree.get(p);
    assert.equal(leaf.state, 'done', `${p}\n${report}`);
    assert.equal(leaf.executions.length, 1, `${p} ran once\n${report}`);
    assert.equal(leaf.executions[0]!.exitCode, 0, p);
  }
  assert.equal(new PipelineStore(h.storeRoot).liveOwner(id), null, 'the runner let go when it ended');
});

test('a pipeline with an empty meta.json: the others still list and start; starting it names the file', async () => {
  const file = h.write('neighbour.py', `import conducto as co\nroot = co.Serial()\nroot["hi"] = co.Exec("echo hi")\n`);
  const { run: made } = await h.create(file);
  await made.close();
  const store = new PipelineStore(h.storeRoot);
  const broken = store.create({ pipewright: 1, name: 'broken', file: '/x/broken.py', nodes: [node('/', 'Exec', 'echo')] }).id;
  const brokenMeta = path.join(store.dir(broken), 'meta.json');
  writeFileSync(brokenMeta, '');

  const list = await pipewright('list');
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, new RegExp(`^${made.id} `, 'm'));
  assert.ok(list.stdout.includes(brokenMeta), list.stdout);

  const start = await pipewright('start', made.id);
  assert.equal(start.code, 0, start.stderr);
  assert.match(start.stdout, /^done +\/hi/m);

  const refused = await pipewright('start', broken);
  assert.equal(refused.code, 1);
  assert.ok(refused.stderr.includes(brokenMeta), refused.stderr);
});

test('a run under umask 022 with an env secret leaves every folder 0700 and file 0600', async () => {
  const secret = 'hunter2-top-secret';
  const file = h.write('secret.py', `import conducto as co\nroot = co.Serial(env={"API_TOKEN": "${secret}"})\nroot["use"] = co.Exec("test -n \\"$API_TOKEN\\" && echo used")\n`);
  const home = path.join(h.dir, 'private-store');
  const shell = `umask 022 && exec ${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(cliMain)} run ${JSON.stringify(file)} --store ${JSON.stringify(home)}`;
  const result = await runProcess('sh', ['-c', shell], env);
  assert.equal(result.code, 0, result.stderr);
  const id = /^pipeline ([a-z-]+)/m.exec(result.stdout)![1]!;
  assert.ok(readFileSync(path.join(home, 'pipelines', id, 'events.jsonl'), 'utf8').includes(secret), 'the secret is in the store');

  const wrong: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const entry = path.join(dir, name);
      const stat = lstatSync(entry);
      const mode = stat.mode & 0o777;
      if (mode !== (stat.isDirectory() ? 0o700 : 0o600)) wrong.push(`${path.relative(home, entry)} ${mode.toString(8)}`);
      // exec/'s files are written by the containers (their channel is being replaced): the folder only.
      if (stat.isDirectory() && name !== 'exec') walk(entry);
    }
  };
  if ((lstatSync(home).mode & 0o777) !== 0o700) wrong.push(`. ${(lstatSync(home).mode & 0o777).toString(8)}`);
  walk(home);
  assert.deepEqual(wrong, []);
});
