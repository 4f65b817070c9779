// Edits: a new text gives a new tree and pipewright/treeChanged; a broken edit keeps the last
// good tree while the diagnostics show what is wrong.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LspClient, symbolOutline } from './lspClient';

const pipeline = (extra = '') => `import conducto as co


def run() -> co.Serial:
    root = co.Serial()
    root["Build"] = co.Exec("make")
    root["Test"] = co.Exec("make test")${extra}
    return root
`;

const paths = (nodes: Array<{ path: string }> | undefined) => (nodes ?? []).map((n) => n.path);

describe('language server: edits', () => {
  let client: LspClient;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pipewright-lsp-edits-'));
    client = await LspClient.start({ settings: { trusted: true, debounceMs: 50 } });
  });
  after(async () => {
    await client?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('evaluates the buffer, not the file on disk, and re-evaluates each edit', async () => {
    const file = path.join(dir, 'edit.py');
    writeFileSync(file, pipeline());
    const uri = await client.open(file);
    await client.waitForTreeChanged(uri, 1);
    assert.deepEqual(paths((await client.tree(uri)).pipelines[0]!.document?.nodes), ['/', '/Build', '/Test']);

    const v2 = await client.change(uri, pipeline('\n    root["Deploy"] = co.Exec("make deploy")'));
    const changed = await client.waitForTreeChanged(uri, v2);
    assert.equal(changed.version, v2);
    const tree = await client.tree(uri);
    assert.equal(tree.version, v2);
    assert.deepEqual(paths(tree.pipelines[0]!.document?.nodes), ['/', '/Build', '/Test', '/Deploy']);
    const deploy = tree.pipelines[0]!.document!.nodes[3]!;
    assert.deepEqual(deploy.source, { file, line: 8 }, 'source lines point at FILE');
    assert.deepEqual(symbolOutline(await client.symbols(uri)), ['run@4', '  /@5', '    Build@6', '    Test@7', '    Deploy@8']);
    assert.deepEqual((await client.waitForDiagnostics(uri, v2)).diagnostics, []);
  });

  it('a broken edit keeps the last good tree; fixing it clears the diagnostic', async () => {
    const file = path.join(dir, 'broken.py');
    writeFileSync(file, pipeline());
    const uri = await client.open(file);
    await client.waitForTreeChanged(uri, 1);

    // A function's error: its last good tree stays, with the error beside it.
    const v2 = await client.change(uri, pipeline('\n    root["Build"] = co.Exec("again")'));
    const d2 = await client.waitForDiagnostics(uri, v2);
    assert.equal(d2.diagnostics.length, 1);
    assert.match(d2.diagnostics[0]!.message as string, /duplicate child name 'Build'/);
    assert.equal(d2.diagnostics[0]!.range.start.line, 7);
    let tree = await client.tree(uri);
    assert.equal(tree.version, v2);
    assert.deepEqual(paths(tree.pipelines[0]!.document?.nodes), ['/', '/Build', '/Test'], 'the last good tree');
    assert.match(tree.pipelines[0]!.error!.message, /duplicate child name/);
    assert.match(tree.notice ?? '', /last tree that evaluated/);
    await client.waitForTreeChanged(uri, v2);

    // A syntax error: the whole file fails; the last good pipelines stay.
    const v3 = await client.change(uri, pipeline('\n    root["Oops" = co.Exec("x")'));
    const d3 = await client.waitForDiagnostics(uri, v3);
    assert.equal(d3.diagnostics.length, 1);
    assert.equal(d3.diagnostics[0]!.code, 'syntax');
    assert.equal(d3.diagnostics[0]!.range.start.line, 7);
    tree = await client.tree(uri);
    assert.equal(tree.version, v3);
    assert.deepEqual(paths(tree.pipelines[0]!.document?.nodes), ['/', '/Build', '/Test']);
    assert.match(tree.notice ?? '', /showing the last pipelines that evaluated/);
    assert.equal((await client.codeLenses(uri)).length, 2, 'the lenses stay');

    const v4 = await client.change(uri, pipeline('\n    root["Fixed"] = co.Exec("x")'));
    assert.deepEqual((await client.waitForDiagnostics(uri, v4)).diagnostics, []);
    tree = await client.tree(uri);
    assert.equal(tree.notice, undefined);
    assert.deepEqual(paths(tree.pipelines[0]!.document?.nodes), ['/', '/Build', '/Test', '/Fixed']);
  });

  it('edits in quick succession: one evaluation of the last text, the stale ones cancelled', async () => {
    const file = path.join(dir, 'burst.py');
    const marker = path.join(dir, 'evaluations');
    const counted = (n: number) =>
      `import conducto as co\nwith open(${JSON.stringify(marker)}, "a") as f:\n    f.write("${n}\\n")\nroot = co.Serial()\n` +
      Array.from({ length: n }, (_, i) => `root["n${i}"] = co.Exec("echo ${i}")\n`).join('');
    writeFileSync(file, counted(1));
    const uri = await client.open(file);
    await client.waitForTreeChanged(uri, 1);
    let version = 1;
    for (let n = 2; n <= 10; n++) version = await client.change(uri, counted(n)); // well inside the debounce
    await client.waitForTreeChanged(uri, version);
    const tree = await client.tree(uri);
    assert.equal(tree.pipelines[0]!.document!.nodes.length, 11);
    const { readFileSync } = await import('node:fs');
    const runs = readFileSync(marker, 'utf8').trim().split('\n');
    assert.deepEqual(runs, ['1', '10'], 'only the first and the last text were evaluated');
  });

  it('closing a document clears its diagnostics', async () => {
    const file = path.join(dir, 'closing.py');
    writeFileSync(file, `import conducto as co\nroot = co.Serial()\nroot["a"] = co.Exec("x", cpu=-1)\n`);
    const uri = await client.open(file);
    assert.equal((await client.waitForDiagnostics(uri, 1)).diagnostics.length, 1);
    const before = client.diagnostics.get(uri)!.length;
    await client.close(uri);
    const cleared = await client.waitFor('cleared diagnostics', () => client.diagnostics.get(uri)!.slice(before).find((p) => p.diagnostics.length === 0));
    assert.deepEqual(cleared.diagnostics, []);
    assert.ok(existsSync(file));
  });
});
