// Hostile nodes and the shared data folder, on the real engine: steps that plant symbolic links in
// /pipewright/data (their own result.json, another step's result or folder, an artifact, the
// clearml folder itself) to make the runner, which reads that folder on the host as the user,
// hand a host file to other nodes or to the cache, or write into a host folder. The host file's
// content must appear nowhere (events, logs, parameters, results, cache entries, other nodes'
// output), and the step fails or the reference is refused, saying why.
import { strict as assert } from 'node:assert';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { PipelineRun } from '../../runner/pipelineRun';
import type { RunnerEvent } from '../../protocol/runner';
import { dockerSuite } from '../helpers/runnerHarness';

const h = dockerSuite();

/** The user's private file, outside the store; JSON shaped as a step result so that a leak resolves. */
const TOKEN = 'TOPSECRET-b7d2a9';
const secretDir = path.join(h.dir, 'home', '.ssh');
const secret = path.join(secretDir, 'result.json');
mkdirSync(secretDir, { recursive: true });
writeFileSync(secret, JSON.stringify({ id: TOKEN, name: 'good', parameters: { 'Args/x': TOKEN }, artifacts: {} }));
chmodSync(secret, 0o600);

function states(run: PipelineRun): Record<string, string> {
  return Object.fromEntries(run.tree.root.children.map((c) => [c.path.slice(1), c.skipped ? 'skipped' : c.state]));
}

function message(run: PipelineRun, nodePath: string): string {
  const e = run.tree.get(nodePath).executions;
  return e[e.length - 1]?.message ?? '';
}

/** Every regular file under `dir`, found without following a link: [path, text]. */
function files(dir: string): [string, string][] {
  const out: [string, string][] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) out.push(...files(p));
    else if (st.isFile()) out.push([p, readFileSync(p, 'latin1')]);
  }
  return out;
}

/** The secret is nowhere: not in an event, nor in any file of the store (logs, event log, inputs, results, data, cache). */
function assertNoLeak(events: RunnerEvent[]): void {
  assert.ok(!JSON.stringify(events).includes(TOKEN), 'an event carries the host file');
  const leaked = files(h.storeRoot).filter(([, text]) => text.includes(TOKEN));
  assert.deepEqual(leaked.map(([p]) => path.relative(h.storeRoot, p)), [], 'store files holding the host file');
}

const header = `from pipewright import PipelineController, Task
Task.create(project_name="p", task_name="ok", command="echo ok")
Task.create(project_name="p", task_name="echo", command="echo got \${Args/x}", parameters={"x": ""})
`;

test('a step that leaves its result.json as a link to a host file fails, and the steps after it never see the file', async () => {
  // The wrapper writes result.json.tmp, then renames it: a link planted as .tmp becomes result.json.
  const file = h.write(
    'own_result.py',
    `${header}Task.create(project_name="p", task_name="evil", command="mkdir -p ${secretDir} && ln -s ${secret} $PIPEWRIGHT_STEP_ARTIFACTS/../result.json.tmp")
pipe = PipelineController("own", "p", "1")
pipe.add_step("evil", base_task_project="p", base_task_name="evil")
pipe.add_step("reader", base_task_project="p", base_task_name="echo", parameter_override={"Args/x": "\${evil.id} \${evil.parameters.Args/x}"})
`,
  );
  const { run, events } = await h.run(file);
  assertNoLeak(events);
  assert.deepEqual(states(run), { evil: 'error', reader: 'pending' });
  assert.match(message(run, '/evil'), /^step evil left a result the runner refuses: clearml\/evil\/result\.json in the shared data folder is a symbolic link/);
  await run.close();
});

test('links another node plants in finished steps (a result, a whole step folder) and a linked artifact are refused to the steps that refer to them', async () => {
  const file = h.write(
    'planted.py',
    `${header}Task.create(project_name="p", task_name="plant", command="cd $PIPEWRIGHT_DATA/clearml && rm good/result.json && ln -s ${secret} good/result.json && rm -rf good2 && ln -s ${secretDir} good2")
Task.create(project_name="p", task_name="art", command="mkdir -p ${secretDir} && echo decoy > ${secret} && ln -s ${secret} $PIPEWRIGHT_STEP_ARTIFACTS/key")
pipe = PipelineController("planted", "p", "1")
pipe.add_step("good", base_task_project="p", base_task_name="ok")
pipe.add_step("good2", base_task_project="p", base_task_name="ok")
pipe.add_step("plant", base_task_project="p", base_task_name="plant", parents=["good", "good2"])
pipe.add_step("art", base_task_project="p", base_task_name="art", cache_executed_step=True)
pipe.add_step("result_reader", base_task_project="p", base_task_name="echo", parents=["plant"], parameter_override={"Args/x": "\${good.id}"})
pipe.add_step("folder_reader", base_task_project="p", base_task_name="echo", parents=["plant"], parameter_override={"Args/x": "\${good2.parameters.Args/x}"})
pipe.add_step("artifact_reader", base_task_project="p", base_task_name="echo", parameter_override={"Args/x": "\${art.artifacts.key.url}"})
`,
  );
  const { run, events } = await h.run(file);
  assertNoLeak(events);
  assert.deepEqual(states(run), { good: 'done', good2: 'done', plant: 'done', art: 'done', result_reader: 'error', folder_reader: 'error', artifact_reader: 'error' });
  assert.match(message(run, '/result_reader'), /^cannot start step result_reader: step good's result is refused: clearml\/good\/result\.json in the shared data folder is a symbolic link/);
  assert.match(message(run, '/folder_reader'), /^cannot start step folder_reader: step good2's result is refused: clearml\/good2 in the shared data folder is a symbolic link/);
  assert.match(message(run, '/artifact_reader'), /^cannot start step artifact_reader: step art's artifact "key" is refused: clearml\/art\/artifacts\/key in the shared data folder is a symbolic link/);
  for (const reader of ['/result_reader', '/folder_reader', '/artifact_reader']) assert.equal(run.tree.get(reader).executions[0]!.containerId, undefined, `${reader} ran no container`);
  // The cached step's entry keeps the link as a link: no content of the host file.
  const cache = path.join(h.storeRoot, 'cache', 'clearml');
  const linked = files(cache).length > 0 && readdirSync(cache).some((key) => lstatSync(path.join(cache, key, 'step', 'artifacts', 'key'), { throwIfNoEntry: false })?.isSymbolicLink());
  assert.ok(linked, 'the artifact link is cached as a link');
  await run.close();
});

test('a cached step is not restored through a clearml folder a node replaced with a link to a host folder', async () => {
  const cached = `Task.create(project_name="p", task_name="c", command="echo cached > $PIPEWRIGHT_STEP_ARTIFACTS/out.txt")\n`;
  const first = await h.run(h.write('cache_first.py', `${header}${cached}pipe = PipelineController("c1", "p", "1")\npipe.add_step("c", base_task_project="p", base_task_name="c", cache_executed_step=True)\n`));
  assert.deepEqual(states(first.run), { c: 'done' });
  await first.run.close();

  // A host folder the user keeps; the node links the pipeline's clearml folder to it (and makes
  // the same path in its container, so that its own step can end normally there).
  const host = path.join(h.dir, 'home', 'projects');
  mkdirSync(path.join(host, 'c'), { recursive: true });
  writeFileSync(path.join(host, 'c', 'keep.txt'), "the user's\n");
  const file = h.write(
    'cache_second.py',
    `${header}${cached}Task.create(project_name="p", task_name="swap", command="mkdir -p ${host}/swap && mv $PIPEWRIGHT_DATA/clearml $PIPEWRIGHT_DATA/moved && ln -s ${host} $PIPEWRIGHT_DATA/clearml")
pipe = PipelineController("c2", "p", "1")
pipe.add_step("swap", base_task_project="p", base_task_name="swap")
pipe.add_step("c", base_task_project="p", base_task_name="c", parents=["swap"], cache_executed_step=True)
`,
  );
  const { run, events } = await h.run(file);
  assert.deepEqual(readdirSync(host).sort(), ['c'], 'nothing written into the host folder');
  assert.deepEqual(readdirSync(path.join(host, 'c')), ['keep.txt'], 'nothing removed from it');
  assert.equal(run.tree.get('/swap').state, 'error');
  assert.match(message(run, '/swap'), /^step swap left a result the runner refuses: clearml in the shared data folder is a symbolic link/);
  assert.equal(run.tree.get('/c').executions.length, 0);
  assertNoLeak(events);
  await run.close();
});
