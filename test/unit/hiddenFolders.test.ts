// Which folders of the store a worker must not see through the mounted definition folder.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { hiddenUnderDefinition } from '../../runner/localDocker/hiddenFolders';

const home = mkdtempSync(path.join(os.tmpdir(), 'pipewright-hidden-'));
after(() => rmSync(home, { recursive: true, force: true }));
mkdirSync(path.join(home, '.pipewright', 'pipelines'), { recursive: true });
mkdirSync(path.join(home, 'project'));

test('a store below the definition folder is hidden at its path under /pipewright/src', () => {
  assert.deepEqual(hiddenUnderDefinition(home, path.join(home, '.pipewright')), ['/pipewright/src/.pipewright']);
});

test('a store beside or above the definition folder hides nothing', () => {
  assert.deepEqual(hiddenUnderDefinition(path.join(home, 'project'), path.join(home, '.pipewright')), []);
  assert.deepEqual(hiddenUnderDefinition(path.join(home, '.pipewright', 'pipelines'), path.join(home, '.pipewright')), []);
});

test('a definition in the store root itself: the store folders there are hidden one by one', () => {
  assert.deepEqual(hiddenUnderDefinition(path.join(home, '.pipewright'), path.join(home, '.pipewright')), ['/pipewright/src/pipelines']);
});

test('paths are compared without links (a definition folder reached through a link still hides the store)', () => {
  symlinkSync(home, path.join(os.tmpdir(), path.basename(home) + '-link'));
  try {
    assert.deepEqual(hiddenUnderDefinition(path.join(os.tmpdir(), path.basename(home) + '-link'), path.join(home, '.pipewright')), ['/pipewright/src/.pipewright']);
  } finally {
    rmSync(path.join(os.tmpdir(), path.basename(home) + '-link'));
  }
});
