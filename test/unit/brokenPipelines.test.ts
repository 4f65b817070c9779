// One broken pipeline in the store (an empty meta.json: a write cut short) must not break the others:
// `list` names it, its file and what is wrong and goes on; `show` and `logs` of the others work, and
// of the broken one say which file is wrong.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type { ExecutionRecord, RunnerEvent } from '../../protocol/runner';
import { PipelineStore } from '../../runner/store/pipelineStore';
import { repo, runProcess } from '../helpers/cli';
import { defaultParams, node } from '../helpers/nodes';

const root = mkdtempSync(path.join(tmpdir(), 'pw-broken-'));
after(() => rmSync(root, { recursive: true, force: true }));
const store = new PipelineStore(root);

/** A pipeline whose /a ran once and printed `hello`, as a runner leaves it. */
function ranPipeline(name: string): string {
  const { id } = store.create({ pipewright: 1, name, file: `/x/${name}.py`, nodes: [node('/', 'Serial'), node('/a', 'Exec', 'echo hello')] });
  const execution: ExecutionRecord = { id: 'e1', path: '/a', command: 'echo hello', params: defaultParams, image: 'img', startedAt: 1};
  const log = store.openEventLog(id);
  const events: RunnerEvent[] = [
    { type: 'created', pipeline: id, time: 1, name, file: `/x/${name}.py` },
    { type: 'execution-start', pipeline: id, time: 1, path: '/a', execution },
    { type: 'execution-end', pipeline: id, time: 2, path: '/a', state: 'done', execution: { ...execution, endedAt: 2, exitCode: 0 } },
  ];
  log.append(events);
  log.close();
  writeFileSync(path.join(store.space(id).execDir, 'e1.log'), 'hello\n');
  return id;
}

const good = ranPipeline('good');
const alsoGood = ranPipeline('also-good');
const broken = ranPipeline('broken');
const brokenMeta = path.join(store.dir(broken), 'meta.json');
writeFileSync(brokenMeta, '');
const odd = ranPipeline('odd');
const oddMeta = path.join(store.dir(odd), 'meta.json');
writeFileSync(oddMeta, JSON.stringify({ id: odd, name: 'odd' }));

const pipewright = (...args: string[]) => runProcess(process.execPath, ['--import', 'tsx', path.join(repo, 'cli', 'main.ts'), ...args, '--store', root]);

test('the store lists the good pipelines and reports the broken ones with their file and what is wrong', () => {
  assert.deepEqual(store.list().map((m) => m.id).sort(), [good, alsoGood].sort());
  const { broken: reported } = store.scan();
  assert.deepEqual(
    reported.map((b) => [b.id, b.file]).sort(),
    [
      [broken, brokenMeta],
      [odd, oddMeta],
    ].sort(),
  );
  assert.match(reported.find((b) => b.id === broken)!.problem, /empty/);
  assert.match(reported.find((b) => b.id === odd)!.problem, /file/);
});

test('pipewright list shows the good pipelines and names the broken ones, their file and the problem', async () => {
  const result = await pipewright('list');
  assert.equal(result.code, 0, result.stderr);
  for (const id of [good, alsoGood]) assert.match(result.stdout, new RegExp(`^${id} .*/x/`, 'm'));
  assert.ok(result.stdout.split('\n').some((line) => line.startsWith(broken) && line.includes(brokenMeta) && /empty/.test(line)), result.stdout);
  assert.ok(result.stdout.split('\n').some((line) => line.startsWith(odd) && line.includes(oddMeta)), result.stdout);
});

test('show and logs of a good pipeline work; of the broken one they name its file', async () => {
  const show = await pipewright('show', good);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /a {2}✔ done/);
  const logs = await pipewright('logs', good, '/a');
  assert.equal(logs.code, 0, logs.stderr);
  assert.equal(logs.stdout, 'hello\n');

  for (const command of [['show', broken], ['logs', broken, '/a']]) {
    const refused = await pipewright(...command);
    assert.equal(refused.code, 1, command.join(' '));
    assert.ok(refused.stderr.includes(brokenMeta), refused.stderr);
    assert.doesNotMatch(refused.stderr, /Unexpected end of JSON input$/m);
  }
});
