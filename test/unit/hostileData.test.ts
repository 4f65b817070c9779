// The runner reading what nodes left in the shared data folder (references, the step cache), when
// a hostile node planted symbolic links, FIFOs or paths out of it: no host file is read, copied or
// written through them, and the refusal says why.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { Resolver } from '../../runner/clearml/references';
import { StepCache, type Place } from '../../runner/clearml/stepCache';
import { ConfinedFolder } from '../../runner/files/confinedFolder';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'pipewright-hostile-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let seq = 0;

/** A user's private file outside the store, shaped as a step result so that a leak would resolve. */
const TOKEN = 'TOPSECRET-8c1f4e';
const secretDir = path.join(scratch, 'home', '.ssh');
mkdirSync(secretDir, { recursive: true });
const secret = path.join(secretDir, 'result.json');
writeFileSync(secret, JSON.stringify({ id: TOKEN, name: 'x', parameters: { 'Args/key': TOKEN }, artifacts: { key: { file: 'result.json', sha256: TOKEN } } }));
chmodSync(secret, 0o600);

/** A fresh data folder with a well-behaved step `good`. */
function dataFolder(): string {
  const data = path.join(scratch, `data${++seq}`);
  mkdirSync(path.join(data, 'clearml', 'good', 'artifacts'), { recursive: true });
  writeFileSync(path.join(data, 'clearml', 'good', 'artifacts', 'out.txt'), 'fine\n');
  writeFileSync(path.join(data, 'clearml', 'good', 'result.json'), JSON.stringify({ id: 'p.e1', name: 'good', parameters: { 'Args/x': 1 }, artifacts: { out: { file: 'artifacts/out.txt', sha256: 'abc' } } }));
  return data;
}

/** Resolves `value` in `data`: the value, or the error's message. */
function resolve(data: string, value: string): string {
  try {
    return JSON.stringify(new Resolver(data, {}).resolve(value));
  } catch (err) {
    return `refused: ${(err as Error).message}`;
  }
}

test('references: a result.json that is a link to a host file is refused, not read', () => {
  const data = dataFolder();
  rmSync(path.join(data, 'clearml', 'good', 'result.json'));
  symlinkSync(secret, path.join(data, 'clearml', 'good', 'result.json'));
  for (const ref of ['${good.id}', '${good.parameters.Args/key}', '${good.artifacts.key.url}']) {
    const got = resolve(data, ref);
    assert.ok(!got.includes(TOKEN), `${ref} resolved to the host file's content: ${got}`);
    assert.match(got, /^refused: step good's result is refused: clearml\/good\/result\.json in the shared data folder is a symbolic link/);
  }
});

test('references: a step folder, or the clearml folder, that is a link out of the data folder is refused', () => {
  const data = dataFolder();
  rmSync(path.join(data, 'clearml', 'good'), { recursive: true });
  symlinkSync(secretDir, path.join(data, 'clearml', 'good'));
  assert.match(resolve(data, '${good.id}'), /^refused: step good's result is refused: clearml\/good in the shared data folder is a symbolic link/);
  const other = dataFolder();
  rmSync(path.join(other, 'clearml'), { recursive: true });
  mkdirSync(path.join(scratch, 'home', 'clearml', 'good'), { recursive: true });
  symlinkSync(secret, path.join(scratch, 'home', 'clearml', 'good', 'result.json'));
  symlinkSync(path.join(scratch, 'home', 'clearml'), path.join(other, 'clearml'));
  assert.match(resolve(other, '${good.id}'), /^refused: step good's result is refused: clearml in the shared data folder is a symbolic link/);
});

test('references: an artifact that is a link, or a path out of its folder, is refused', () => {
  const data = dataFolder();
  const result = (file: string) => JSON.stringify({ id: 'p.e1', name: 'good', parameters: {}, artifacts: { key: { file, sha256: 'abc' } } });
  symlinkSync(secret, path.join(data, 'clearml', 'good', 'artifacts', 'key'));
  writeFileSync(path.join(data, 'clearml', 'good', 'result.json'), result('artifacts/key'));
  assert.match(resolve(data, '${good.artifacts.key.url}'), /^refused: step good's artifact "key" is refused: clearml\/good\/artifacts\/key in the shared data folder is a symbolic link/);
  writeFileSync(path.join(data, 'clearml', 'good', 'result.json'), result('../../../home/.ssh/result.json'));
  assert.match(resolve(data, '${good.artifacts.key}'), /^refused: step good's artifact "key" is refused: .* leads out of it/);
  writeFileSync(path.join(data, 'clearml', 'good', 'result.json'), result('artifacts/out.txt'));
  assert.equal(resolve(data, '${good.artifacts.key.url}'), '"/pipewright/data/clearml/good/artifacts/out.txt"', 'a regular file resolves as before');
});

test('references: a result.json that is a FIFO is refused at once (the runner does not hang on it)', () => {
  const data = dataFolder();
  rmSync(path.join(data, 'clearml', 'good', 'result.json'));
  assert.equal(spawnSync('mkfifo', [path.join(data, 'clearml', 'good', 'result.json')]).status, 0);
  // In a child process: a runner stuck in a read would hang this test for good.
  const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', `
    const { Resolver } = require(${JSON.stringify(path.resolve(__dirname, '../../runner/clearml/references.ts'))});
    try { new Resolver(${JSON.stringify(data)}, {}).resolve('\${good.id}'); console.log('resolved'); } catch (err) { console.log(err.message); }
  `], { timeout: 20_000, encoding: 'utf8' });
  assert.equal(child.signal, null, 'the runner hung on the FIFO');
  assert.match(child.stdout, /clearml\/good\/result\.json in the shared data folder is a FIFO/);
});

/** Every regular file's text under `dir`, found without following any link. */
function contents(dir: string): string {
  let all = '';
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) all += contents(p);
    else if (st.isFile()) all += readFileSync(p, 'utf8');
  }
  return all;
}

/** A step `good` of a fresh data folder and its execution's log, as the cache sees them. */
function stepAndLog(data: string): { step: Place; log: Place; exec: string } {
  const exec = path.join(path.dirname(data), `exec${seq}`);
  mkdirSync(exec, { recursive: true });
  writeFileSync(path.join(exec, 'e1.log'), 'ran\n');
  return { step: { folder: new ConfinedFolder(data), rel: 'clearml/good' }, log: { folder: new ConfinedFolder(exec, 'the executions folder'), rel: 'e1.log' }, exec };
}

test('the step cache keeps links as links and copies no host file into an entry', () => {
  const data = dataFolder();
  const { step, log } = stepAndLog(data);
  const good = path.join(data, 'clearml', 'good');
  symlinkSync(secret, path.join(good, 'artifacts', 'key'));
  symlinkSync(secretDir, path.join(good, 'artifacts', 'dir'));
  const cache = new StepCache(path.join(scratch, `cache${seq}`));
  cache.save('k1', step, log, {});
  const entry = path.join(cache.root, 'k1');
  assert.equal(readlinkSync(path.join(entry, 'step', 'artifacts', 'key')), secret, 'the link, as it was');
  assert.ok(lstatSync(path.join(entry, 'step', 'artifacts', 'dir')).isSymbolicLink());
  assert.equal(readFileSync(path.join(entry, 'step', 'artifacts', 'out.txt'), 'utf8'), 'fine\n');
  assert.equal(readFileSync(path.join(entry, 'log'), 'utf8'), 'ran\n');
  assert.ok(!contents(cache.root).includes(TOKEN));

  // The step folder itself, a result.json, a log, or a FIFO in place of a file: nothing is stored.
  const plants: [string, (d: string, exec: string) => void, RegExp][] = [
    ['a linked step folder', (d) => (rmSync(path.join(d, 'clearml', 'good'), { recursive: true }), symlinkSync(secretDir, path.join(d, 'clearml', 'good'))), /clearml\/good in the shared data folder is a symbolic link/],
    ['a linked log', (_d, exec) => (rmSync(path.join(exec, 'e1.log')), symlinkSync(secret, path.join(exec, 'e1.log'))), /e1\.log in the executions folder is a symbolic link/],
    ['a FIFO', (d) => spawnSync('mkfifo', [path.join(d, 'clearml', 'good', 'artifacts', 'pipe')]), /clearml\/good\/artifacts\/pipe in the shared data folder is a FIFO/],
  ];
  for (const [what, plant, refusal] of plants) {
    const d = dataFolder();
    const places = stepAndLog(d);
    plant(d, places.exec);
    assert.throws(() => cache.save(what, places.step, places.log, {}), refusal, what);
    assert.equal(cache.has(what), false, what);
  }
  assert.deepEqual(readdirSync(cache.root).sort(), ['k1'], 'no half-made entry is left');
  assert.ok(!contents(cache.root).includes(TOKEN));
});

test('the step cache restores only inside the data folder, and never writes through a link', () => {
  const cache = new StepCache(path.join(scratch, `cache${++seq}`));
  const source = dataFolder();
  cache.save('k', ...((p) => [p.step, p.log] as const)(stepAndLog(source)), {});

  // Another pipeline's node made its clearml folder a link to a host folder.
  const data = dataFolder();
  const { step, log, exec } = stepAndLog(data);
  const host = path.join(scratch, 'home', `projects${seq}`);
  mkdirSync(path.join(host, 'good'), { recursive: true });
  writeFileSync(path.join(host, 'good', 'keep.txt'), 'the user\'s\n');
  rmSync(path.join(data, 'clearml'), { recursive: true });
  symlinkSync(host, path.join(data, 'clearml'));
  const staging = path.join(path.dirname(data), `staging${seq}`);
  assert.throws(() => cache.restore('k', step, log, staging), /clearml in the shared data folder is a symbolic link/);
  assert.deepEqual(readdirSync(path.join(host, 'good')), ['keep.txt'], 'the host folder is untouched');

  // A node left a link where the next execution's log goes: it is replaced, not written through.
  rmSync(path.join(data, 'clearml'));
  const hostFile = path.join(scratch, 'home', `.bashrc${seq}`);
  writeFileSync(hostFile, 'the user\'s\n');
  symlinkSync(hostFile, path.join(exec, 'e2.log'));
  assert.equal(cache.restore('k', step, { ...log, rel: 'e2.log' }, staging), true);
  assert.equal(readFileSync(hostFile, 'utf8'), 'the user\'s\n');
  assert.equal(readFileSync(path.join(exec, 'e2.log'), 'utf8'), 'ran\n');
  assert.ok(lstatSync(path.join(exec, 'e2.log')).isFile());
  assert.equal(readFileSync(path.join(data, 'clearml', 'good', 'artifacts', 'out.txt'), 'utf8'), 'fine\n', 'restored in place');
  assert.deepEqual(readdirSync(staging), [], 'nothing left staged');
});
