// A store folder that cannot be created fails at once, naming the folder and what chose it (Node's
// recursive mkdir spun at 100% CPU for ever under /proc).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { makeFolder } from '../../runner/store/storeFolder';
import { repo } from '../helpers/cli';

const dir = mkdtempSync(path.join(tmpdir(), 'pipewright-store-folder-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('makeFolder makes the missing parents, accepts an existing folder, refuses a file in the way', () => {
  const deep = path.join(dir, 'a', 'b', 'c');
  makeFolder(deep);
  assert.ok(statSync(deep).isDirectory());
  makeFolder(deep);
  writeFileSync(path.join(dir, 'file'), '');
  assert.throws(() => makeFolder(path.join(dir, 'file', 'x')), /ENOTDIR/);
  assert.throws(() => makeFolder(path.join(dir, 'file')), /is not a folder/);
});

/** Opens the store in a child process (the old spin never returned), with PIPEWRIGHT_HOME set. */
function openStore(home: string, given?: string) {
  const code = `const { PipelineStore } = require('./runner/store/pipelineStore'); new PipelineStore(${given ? JSON.stringify(given) : ''});`;
  return spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: repo, env: { ...process.env, PIPEWRIGHT_HOME: home }, encoding: 'utf8', timeout: 20_000 });
}

test('PIPEWRIGHT_HOME=/proc/x: the store fails at once, naming the folder and the variable', { skip: !existsSync('/proc/self') && 'needs procfs' }, () => {
  const started = Date.now();
  const result = openStore('/proc/x');
  assert.equal(result.signal, null, `ended by itself (took ${Date.now() - started} ms)`);
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /cannot create the pipeline store \/proc\/x\/pipelines: .*ENOENT.* \(the store folder is PIPEWRIGHT_HOME=\/proc\/x\)/);
  const given = openStore(dir, '/proc/y');
  assert.equal(given.signal, null);
  assert.match(given.stderr, /cannot create the pipeline store \/proc\/y\/pipelines: .*\(the store folder given \(--store or the pipewright\.storePath setting\) is \/proc\/y\)/);
});

test('a writable PIPEWRIGHT_HOME gets its pipelines folder', () => {
  const home = path.join(dir, 'home');
  const result = openStore(home);
  assert.equal(result.status, 0, result.stderr);
  assert.ok(statSync(path.join(home, 'pipelines')).isDirectory());
});
