// What a modification may change (runner/model/validateModification.ts), the check every channel
// shares: the panel's `modify` and the control inbox (`pipewright modify`).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { ImageSpec } from '../../protocol/pipeline';
import { parseWebviewToHost } from '../../protocol/webviewMessages';
import { applyModification } from '../../runner/model/applyModification';
import { RunTree } from '../../runner/model/runTree';
import { validateModification } from '../../runner/model/validateModification';
import { node } from '../helpers/nodes';

const built: ImageSpec = { name: 'python:3.12-slim', dockerfile: null, dockerfile_text: null, context: null, copy_dir: '/home/me/project', install_packages: ['git'], install_pip: [], path_map: { '/home/me/project': '/pipewright/src' } };
const bare: ImageSpec = { name: 'alpine', dockerfile: null, dockerfile_text: null, context: null, copy_dir: null, install_packages: [], install_pip: [], path_map: {} };

function tree(): RunTree {
  // /built sets an image that copies a host folder; /built/child inherits it; /plain has none.
  return new RunTree([
    node('/', 'Serial'),
    { ...node('/built', 'Serial', undefined, { image: built }), set: ['image'] },
    node('/built/child', 'Exec', 'make', { image: built }),
    node('/plain', 'Exec', 'echo'),
  ]);
}

test('a modification may change an image name and its packages, keeping its host paths', () => {
  const t = tree();
  for (const path of ['/built', '/built/child']) {
    const n = t.get(path);
    for (const image of [{ ...built, name: 'python:3.13' }, { ...built, install_packages: ['git', 'curl'], install_pip: ['requests'] }, null]) {
      assert.doesNotThrow(() => validateModification(n, { image }), `${path} ${JSON.stringify(image)}`);
    }
  }
  assert.doesNotThrow(() => validateModification(t.get('/plain'), { image: { ...bare, name: 'python:3.13', install_pip: ['requests'] } }));
});

test('a modification cannot bring in or change a host path: the refusal names the node and the field', () => {
  const t = tree();
  const cases: [string, Partial<ImageSpec>, string][] = [
    ['/plain', { copy_dir: '/root/.ssh' }, 'copy_dir'],
    ['/plain', { context: '/etc', dockerfile_text: 'FROM alpine\nCOPY . /stolen\n' }, 'dockerfile_text'],
    ['/plain', { context: '/etc' }, 'context'],
    ['/plain', { dockerfile: '/etc/Dockerfile' }, 'dockerfile'],
    ['/plain', { path_map: { '/': '/host' } }, 'path_map'],
    ['/built', { copy_dir: '/etc' }, 'copy_dir'],
    ['/built', { copy_dir: null }, 'copy_dir'],
    ['/built/child', { path_map: { '/home/me/project': '/elsewhere' } }, 'path_map'],
    ['/built/child', { context: '/' }, 'context'],
  ];
  for (const [path, patch, field] of cases) {
    const base = path === '/plain' ? bare : built;
    const n = t.get(path);
    assert.throws(
      () => validateModification(n, { image: { ...base, ...patch } }),
      (err: Error) => err.message.startsWith(`${path}: image.${field} cannot be changed by a modification`),
      `${path} ${JSON.stringify(patch)} is refused naming ${field}`,
    );
  }
});

test('the panel channel: a modify message that passes the schema still meets the runner check', () => {
  const msg = parseWebviewToHost({ type: 'modify', path: '/plain', changes: { image: { ...bare, copy_dir: '/root/.ssh' } }, thenReset: true });
  assert.ok(msg.ok, 'the shape is valid; the values are the runner’s to judge');
  const t = tree();
  const changes = msg.ok && msg.value.type === 'modify' ? msg.value.changes : {};
  assert.throws(() => validateModification(t.get('/plain'), changes), /\/plain: image\.copy_dir cannot be changed/);
});

test('after a name change the host paths are still the definition’s, and stay frozen', () => {
  const t = tree();
  const n = t.get('/built');
  const renamed = { ...built, name: 'python:3.13' };
  validateModification(n, { image: renamed });
  applyModification(t, n, { image: renamed });
  assert.deepEqual(t.get('/built/child').params.image, renamed, 'the child inherits the new name');
  assert.throws(() => validateModification(t.get('/built/child'), { image: { ...renamed, copy_dir: '/etc' } }), /image\.copy_dir/);
});
