// What the store writes. Nodes' env values (secrets) are in clear in pipeline.json, events.jsonl,
// control requests: whatever the umask, only the user may read them (folders 0700, files 0600).
// And a file is replaced whole, never rewritten in place where another process could read half of it.
import { strict as assert } from 'node:assert';
import { chmodSync, closeSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { ConfinedFolder } from '../../runner/files/confinedFolder';
import { StepCache } from '../../runner/clearml/stepCache';
import { PipelineRun } from '../../runner/pipelineRun';
import { ControlInbox } from '../../runner/store/controlInbox';
import { PipelineStore } from '../../runner/store/pipelineStore';
import { node } from '../helpers/nodes';
import { noEngineContext } from '../helpers/noEngineContext';

const scratch = mkdtempSync(path.join(tmpdir(), 'pw-modes-'));
const storeRoot = path.join(scratch, 'store');
const umask = process.umask(0o022);
after(() => {
  process.umask(umask);
  rmSync(scratch, { recursive: true, force: true });
});

const SECRET = 'hunter2-do-not-share';

const context = (store: PipelineStore) => noEngineContext(store, scratch);

/**
 * Every file and folder under `dir` with its permission bits; `exec/` (and a cached step's folder)
 * only as a folder: containers write the files in them.
 */
function modes(dir: string, out: Map<string, number> = new Map()): Map<string, number> {
  out.set(dir, lstatSync(dir).mode & 0o777);
  for (const name of readdirSync(dir)) {
    const entry = path.join(dir, name);
    const stat = lstatSync(entry);
    if (stat.isDirectory() && name !== 'exec' && name !== 'step') modes(entry, out);
    else out.set(entry, stat.mode & 0o777);
  }
  return out;
}

function assertPrivate(what: string, under = storeRoot): void {
  const wrong = [...modes(under)].filter(([entry, mode]) => mode !== (lstatSync(entry).isDirectory() ? 0o700 : 0o600)).map(([entry, mode]) => `${path.relative(storeRoot, entry) || '.'} ${mode.toString(8)}`);
  assert.deepEqual(wrong, [], `${what}: every folder 0700 and file 0600`);
}

test('under umask 022 a pipeline with an env secret is written to folders 0700 and files 0600', async () => {
  const store = new PipelineStore(storeRoot);
  const doc = { pipewright: 1 as const, name: 'secret', file: path.join(scratch, 'secret.py'), nodes: [node('/', 'Serial'), node('/deploy', 'Exec', 'deploy.sh', { env: { API_TOKEN: SECRET } })] };
  const run = PipelineRun.create(doc, context(store));
  try {
    assert.ok(readFileSync(path.join(store.dir(run.id), 'pipeline.json'), 'utf8').includes(SECRET), 'the secret is in the store');
    // Another process files a control request: it lands in the store too.
    const reply = await new ControlInbox(store.dir(run.id)).send({ op: 'modify', path: '/deploy', changes: { env: { API_TOKEN: `${SECRET}-2` } } });
    assert.deepEqual(reply, { ok: true });
    run.space.note('e1', 'a line from the runner');
    run.space.writeInput('e1', 'step.json', JSON.stringify({ token: SECRET }));
    const writer = run.space.logWriter('e2');
    writer.write('stderr', Buffer.from(`${SECRET}\n`));
    writer.close();
    assertPrivate('while it runs');
    // Every file in exec/ is the runner's own now (no container writes there).
    for (const file of [run.space.log('e1').path, run.space.resultFile('e1', 'step.json'), run.space.log('e2').path, run.space.log('e2', 'stderr').path]) assert.equal(lstatSync(file).mode & 0o777, 0o600, file);
  } finally {
    await run.close();
  }
  assertPrivate('after it is closed');
  assert.ok(readFileSync(path.join(store.dir(run.id), 'events.jsonl'), 'utf8').includes(`${SECRET}-2`));
  assert.equal(lstatSync(store.space(run.id).execDir).mode & 0o777, 0o700);
});

test('a store made before (folders 0755) gets its pipelines folder made private when opened', () => {
  chmodSync(path.join(storeRoot, 'pipelines'), 0o755);
  const store = new PipelineStore(storeRoot);
  assert.equal(lstatSync(store.root).mode & 0o777, 0o700);
});

test('the ClearML step cache in the store is private too', () => {
  const stepDir = path.join(scratch, 'step-out');
  mkdirSync(stepDir);
  writeFileSync(path.join(stepDir, 'result.json'), JSON.stringify({ token: SECRET }));
  const logFile = path.join(scratch, 'step.log');
  writeFileSync(logFile, `printed ${SECRET}\n`);
  const from = new ConfinedFolder(scratch);
  new StepCache(path.join(storeRoot, 'cache', 'clearml')).save('k1', { folder: from, rel: 'step-out' }, { folder: from, rel: 'step.log' }, { pipeline: 'p', step: 's' });
  assertPrivate('the cache', path.join(storeRoot, 'cache'));
  const exec = new ConfinedFolder(scratch, 'the executions folder', 0o600);
  assert.ok(new StepCache(path.join(storeRoot, 'cache', 'clearml')).restore('k1', { folder: exec, rel: 'restored-step' }, { folder: exec, rel: 'restored.log' }, path.join(scratch, 'staging')));
  assert.equal(lstatSync(path.join(scratch, 'restored.log')).mode & 0o777, 0o600);
});

test('meta.json is replaced whole (a reader never sees it half-written) and no temporary file is left', () => {
  const store = new PipelineStore(storeRoot);
  const good = store.create({ pipewright: 1, name: 'whole', file: '/x/whole.py', nodes: [node('/', 'Exec', 'echo')] }).id;
  const file = path.join(store.dir(good), 'meta.json');
  const before = readFileSync(file, 'utf8');
  const inode = statSync(file).ino;
  const reader = openSync(file, 'r');
  try {
    store.touch(good, 'sleeping');
    const buffer = Buffer.alloc(before.length + 100);
    const n = readSync(reader, buffer, 0, buffer.length, 0);
    assert.equal(buffer.subarray(0, n).toString('utf8'), before, 'a reader that opened the old file reads it whole');
  } finally {
    closeSync(reader);
  }
  assert.notEqual(statSync(file).ino, inode, 'a new file took its place');
  assert.equal(store.meta(good).status, 'sleeping');
  assert.deepEqual(readdirSync(store.dir(good)).filter((f) => /tmp/.test(f)), []);
});
