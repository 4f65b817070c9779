// The .vsix holds only what runs: the bundles, the SDK beside them, the manifest.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { ensureBuilt, repo } from '../helpers/cli';

before(ensureBuilt);

test('vsce packages the bundles and the SDK, and no sources, tests or maps', () => {
  const vsce = path.join(repo, 'node_modules', '.bin', 'vsce');
  const files = execFileSync(vsce, ['ls', '--no-dependencies'], { cwd: repo, encoding: 'utf8' }).trim().split('\n');
  for (const needed of ['package.json', 'dist/extension.js', 'dist/server.js', 'dist/cli.js', 'dist/webview.js', 'dist/sdk/pipewright/__init__.py', 'dist/sdk/conducto/__init__.py', 'dist/sdk/bin/conducto']) {
    assert.ok(files.includes(needed), `${needed} is packaged`);
  }
  const strays = files.filter((f) => /\.(ts|map|pyc)$/.test(f) || /^(test|extension|language-server|webview|examples|bench|scripts|node_modules|protocol|presentation|evaluator|runner|cli|sdk)\//.test(f) || f.endsWith('.vsix'));
  assert.deepEqual(strays, []);
});

test('the manifest is a real extension manifest', () => {
  const manifest = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { name: string; main: string; engines: { vscode: string }; activationEvents: string[]; capabilities: { untrustedWorkspaces: { supported: unknown } } };
  assert.equal(manifest.name, 'pipewright');
  assert.equal(manifest.main, './dist/extension.js');
  assert.match(manifest.engines.vscode, /^\^1\.\d+\.\d+$/);
  assert.ok(manifest.activationEvents.includes('onLanguage:python'));
  assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
});
