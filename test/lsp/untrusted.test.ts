// An untrusted workspace runs no user code: the outline comes from Python's ast; trusting the
// workspace (workspace/didChangeConfiguration) evaluates the open documents.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { examples, LspClient, symbolOutline } from './lspClient';

describe('language server, untrusted workspace', () => {
  let client: LspClient;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pipewright-lsp-untrusted-'));
    client = await LspClient.start({ settings: { trusted: false } });
  });
  after(async () => {
    await client?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('outlines build_and_test.py from its syntax: symbols, lenses, a notice, no documents', async () => {
    const uri = await client.open(path.join(examples, 'build_and_test.py'));
    const tree = await client.tree(uri);
    assert.equal(tree.isDefinition, true);
    assert.equal(tree.trusted, false);
    assert.match(tree.notice ?? '', /not run in an untrusted workspace/);
    assert.deepEqual(tree.pipelines, [{ name: 'run', line: 5, default: true }]);
    assert.deepEqual(symbolOutline(await client.symbols(uri)), ['run@5', '  /@15', '    Build@7', '    Test@10', '      [name]@12']);
    const lenses = await client.codeLenses(uri);
    assert.deepEqual(lenses.map((l) => [l.range.start.line, l.command?.title]), [[4, '▶ Run pipeline'], [4, 'Show tree']]);
    const { diagnostics } = await client.waitForDiagnostics(uri, 1);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]!.severity, 3, 'Information');
    assert.equal(diagnostics[0]!.range.start.line, 0);
    assert.match(diagnostics[0]!.message as string, /not run in an untrusted workspace/);
  });

  it('runs none of the definition\'s code; trusting the workspace evaluates it', async () => {
    const marker = path.join(dir, 'ran');
    const file = path.join(dir, 'marker.py');
    writeFileSync(
      file,
      `import conducto as co\nopen(${JSON.stringify(marker)}, "w").write("imported")\n\nroot = co.Serial()\nwith root:\n    co.Exec("echo a", name="a")\n`,
    );
    const uri = await client.open(file);
    const tree = await client.tree(uri);
    assert.deepEqual(tree.pipelines, [{ name: 'marker', line: 4, default: true }]);
    assert.deepEqual(symbolOutline(await client.symbols(uri)), ['/@4', '  a@6']);
    // A syntax error is found without running anything, too.
    const v2 = await client.change(uri, `import conducto as co\nopen(${JSON.stringify(marker)}, "w").write("x")\n\nroot = co.Serial(\nwith root:\n    co.Exec("echo a", name="a")\n`);
    const broken = await client.waitForDiagnostics(uri, v2);
    assert.deepEqual(broken.diagnostics.map((d) => [d.severity, d.code]), [[3, 'untrusted'], [1, 'syntax']]);
    assert.deepEqual(symbolOutline(await client.symbols(uri)), ['/@4', '  a@6'], 'the last outline stays');
    assert.equal(existsSync(marker), false, 'the definition was not run');

    const v3 = await client.change(uri, `import conducto as co\nopen(${JSON.stringify(marker)}, "w").write("imported")\nroot = co.Serial()\nroot["b"] = co.Exec("echo b")\n`);
    await client.waitForDiagnostics(uri, v3);
    assert.equal(existsSync(marker), false, 'the definition was not run');

    const seen = client.treeChanged.length;
    await client.configure({ trusted: true });
    await client.waitFor('treeChanged after trusting', () => client.treeChanged.slice(seen).find((p) => p.uri === uri));
    const trusted = await client.tree(uri);
    assert.equal(trusted.trusted, true);
    assert.equal(trusted.notice, undefined);
    assert.deepEqual(trusted.pipelines[0]!.document!.nodes.map((n) => n.path), ['/', '/b']);
    assert.equal(existsSync(marker), true, 'evaluated once trusted');
    const last = client.diagnostics.get(uri)!.at(-1)!;
    assert.deepEqual(last.diagnostics, [], 'the untrusted notice is gone');
  });
});
