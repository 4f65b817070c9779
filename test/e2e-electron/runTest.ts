// The editor checks of test/e2e/editor.test.ts through the VS Code API, in desktop VS Code
// downloaded by @vscode/test-electron. For machines that can download VS Code (this project's
// build machine cannot: see docs/e2e.md). Not part of `npm test` or `npm run test:e2e`.
//
//   npm run build && node --import tsx test/e2e-electron/runTest.ts
//
// Env: PIPEWRIGHT_VSCODE_VERSION (default 'stable'), PIPEWRIGHT_VSCODE_EXECUTABLE (use an
// installed VS Code instead of downloading one).
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { FAILING_PY } from '../e2e/fixtures';

const repo = path.resolve(__dirname, '..', '..');

async function main(): Promise<number> {
  if (!existsSync(path.join(repo, 'dist', 'extension.js'))) throw new Error('dist/extension.js missing: run npm run build');
  const root = mkdtempSync(path.join(os.tmpdir(), 'pipewright-electron-'));
  try {
    // VS Code require()s the suite: bundle the TypeScript suite to one CommonJS file.
    const suite = path.join(root, 'suite.js');
    await build({ entryPoints: [path.join(__dirname, 'suite', 'index.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], outfile: suite, logLevel: 'warning' });

    const workspace = path.join(root, 'workspace');
    cpSync(path.join(repo, 'examples'), workspace, { recursive: true });
    writeFileSync(path.join(workspace, 'failing.py'), FAILING_PY);
    const store = path.join(root, 'store');
    const userData = path.join(root, 'user-data');
    mkdirSync(path.join(userData, 'User'), { recursive: true });
    writeFileSync(
      path.join(userData, 'User', 'settings.json'),
      JSON.stringify({
        'security.workspace.trust.enabled': false,
        'pipewright.defaultImage': process.env.PIPEWRIGHT_TEST_IMAGE || 'pipewright/python:latest',
        'pipewright.storePath': store,
        'workbench.startupEditor': 'none',
        'extensions.autoUpdate': false,
        'update.mode': 'none',
        'telemetry.telemetryLevel': 'off',
      }),
    );

    await runTests({
      version: process.env.PIPEWRIGHT_VSCODE_VERSION || 'stable',
      vscodeExecutablePath: process.env.PIPEWRIGHT_VSCODE_EXECUTABLE || undefined,
      extensionDevelopmentPath: repo,
      extensionTestsPath: suite,
      launchArgs: [workspace, '--user-data-dir', userData, '--extensions-dir', path.join(root, 'extensions'), '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', '--disable-gpu'],
      extensionTestsEnv: { PIPEWRIGHT_HOME: store, PIPEWRIGHT_E2E_STORE: store, PIPEWRIGHT_E2E_REPO: repo },
    });
    return 0;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
