// The checks of test/e2e/editor.test.ts through the VS Code API (no DOM): CodeLenses from
// vscode.executeCodeLensProvider, node states from the store via the CLI (`pipewright show
// --json`), Problems from vscode.languages.getDiagnostics, Skip / Run-Reset through the CLI's
// control inbox to the extension's live run.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { BROKEN_LINE } from '../../e2e/fixtures';
import { test } from './runner';

const run = promisify(execFile);
const STORE = process.env.PIPEWRIGHT_E2E_STORE!;
const CLI = path.join(process.env.PIPEWRIGHT_E2E_REPO!, 'dist', 'cli.js');
const RUN_TIMEOUT = 240_000;

interface ShownNode {
  path: string;
  state: string;
  skipped: boolean;
  executions: unknown[];
}
interface Shown {
  pipeline: { id: string; file: string };
  nodes: ShownNode[];
}

async function cli(...args: string[]): Promise<string> {
  // The extension host's process.execPath is Electron: run it as plain Node.
  const { stdout } = await run(process.execPath, [CLI, ...args, '--store', STORE], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, timeout: 60_000 });
  return stdout;
}

async function pipelinesOf(file: string): Promise<Shown[]> {
  const fs = await import('node:fs');
  const dir = path.join(STORE, 'pipelines');
  const ids = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  const shown = await Promise.all(ids.map(async (id) => JSON.parse(await cli('show', id, '--json')) as Shown));
  return shown.filter((s) => s.pipeline.file.endsWith(file));
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeout = RUN_TIMEOUT): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function fileUri(rel: string): vscode.Uri {
  return vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0]!.uri, rel);
}

/** Opens the file and clicks (executes) its "▶ Run pipeline" lens above `def run()`. */
async function runViaCodeLens(rel: string): Promise<void> {
  const uri = fileUri(rel);
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc);
  const defLine = doc.getText().split('\n').findIndex((l) => l.startsWith('def run('));
  const lens = await until('CodeLens "▶ Run pipeline"', async () => {
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100);
    return lenses.find((l) => l.command?.title.includes('▶ Run pipeline') && l.range.start.line === defLine);
  }, 90_000);
  await vscode.commands.executeCommand(lens.command!.command, ...(lens.command!.arguments ?? []));
}

function node(p: Shown, nodePath: string): ShownNode {
  const n = p.nodes.find((x) => x.path === nodePath);
  assert.ok(n, `no node ${nodePath}`);
  return n;
}

let failing: Shown;

test('extension activates', async () => {
  const ext = vscode.extensions.getExtension('pipewright.pipewright');
  assert.ok(ext, 'installed');
  await ext.activate();
});

test('build_and_test.py: the CodeLens runs the pipeline and every node ends done', async () => {
  await runViaCodeLens('build_and_test.py');
  const done = await until('every node done', async () => {
    const [p] = await pipelinesOf('build_and_test.py');
    return p && ['/Build', '/Test', '/Test/app', '/Test/backend', '/Test/metrics'].every((x) => node(p, x).state === 'done') ? p : undefined;
  });
  assert.equal(node(done, '/').state, 'done');
});

test('failing.py: the failed node is a Problem at the line that defines it', async () => {
  await runViaCodeLens('failing.py');
  failing = await until('broken in error', async () => {
    const [p] = await pipelinesOf('failing.py');
    return p && node(p, '/broken').state === 'error' ? p : undefined;
  });
  assert.equal(node(failing, '/ok').state, 'done');
  const diag = await until('a diagnostic for /broken', async () => vscode.languages.getDiagnostics(fileUri('failing.py')).find((d) => d.message.includes('/broken')), 30_000);
  assert.equal(diag.range.start.line + 1, BROKEN_LINE);
  assert.equal(diag.severity, vscode.DiagnosticSeverity.Error);
});

test('controls: Skip the failed node, then Run / Reset the passed one', async () => {
  const id = failing.pipeline.id;
  await cli('skip', id, '/broken');
  await until('broken skipped', async () => {
    const [p] = await pipelinesOf('failing.py');
    return p && node(p, '/broken').skipped ? p : undefined;
  }, 60_000);
  await until('the /broken diagnostic cleared', async () => (vscode.languages.getDiagnostics(fileUri('failing.py')).some((d) => d.message.includes('/broken')) ? undefined : true), 30_000);

  await cli('reset', id, '/ok');
  const again = await until('ok ran a second time', async () => {
    const [p] = await pipelinesOf('failing.py');
    return p && node(p, '/ok').executions.length >= 2 && node(p, '/ok').state === 'done' ? p : undefined;
  });
  assert.ok(node(again, '/broken').skipped);
  assert.ok(!vscode.languages.getDiagnostics(fileUri('failing.py')).some((d) => d.message.includes('/broken') || d.message.includes('/ok')));
});

test('clearml/pipeline.py: a reset step reuses its cached result; "Run Without Cache" runs it for real', async () => {
  const doc = await vscode.workspace.openTextDocument(fileUri('clearml/pipeline.py'));
  await vscode.window.showTextDocument(doc);
  await vscode.commands.executeCommand('pipewright.runPipeline');
  const last = (p: Shown) => node(p, '/data').executions[node(p, '/data').executions.length - 1] as { cached?: boolean } | undefined;
  const first = await until('pick_best done', async () => {
    const [p] = await pipelinesOf('clearml/pipeline.py');
    return p && node(p, '/pick_best').state === 'done' ? p : undefined;
  });
  assert.ok(!last(first)?.cached, 'the first run computes');
  await cli('reset', first.pipeline.id, '/data');
  await until('data reused from the cache', async () => {
    const [p] = await pipelinesOf('clearml/pipeline.py');
    return p && node(p, '/data').executions.length === 2 && node(p, '/data').state === 'done' && last(p)?.cached ? p : undefined;
  });
  await vscode.commands.executeCommand('pipewright.node.refresh', first.pipeline.id, '/data');
  const refreshed = await until('data computed again', async () => {
    const [p] = await pipelinesOf('clearml/pipeline.py');
    return p && node(p, '/data').executions.length === 3 && node(p, '/data').state === 'done' ? p : undefined;
  });
  assert.ok(!last(refreshed)?.cached);
});
