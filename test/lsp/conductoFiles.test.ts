// The language server on files Conducto users have: a package's __main__.py (relative imports,
// as `python -m PACKAGE` runs it) and a Jupyter notebook opened as text.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { examples, LspClient, repo } from './lspClient';

const fixtures = path.join(repo, 'test', 'fixtures', 'conducto');

describe('language server, trusted: Conducto-style files', () => {
  let client: LspClient;
  before(async () => {
    client = await LspClient.start({ settings: { trusted: true } });
  });
  after(async () => {
    await client?.stop();
  });

  it("a package's __main__.py evaluates inside its package: `from . import utils` works", async () => {
    const uri = await client.open(path.join(fixtures, 'ci_package', '__main__.py'));
    const published = await client.waitForDiagnostics(uri, 1);
    assert.deepEqual(published.diagnostics, []);
    const tree = await client.tree(uri);
    assert.equal(tree.isDefinition, true);
    const ci = tree.pipelines.find((p) => p.name === 'ci');
    assert.ok(ci?.document, JSON.stringify(tree.pipelines));
    assert.equal(ci.default, true);
    assert.equal(ci.document.nodes.length, 13);
    assert.deepEqual((await client.codeLenses(uri)).filter((l) => l.command?.arguments?.[1] === 'ci').length, 2);
  });

  it('a notebook opened as a Python text is no definition (no lens, no diagnostic), and the server goes on', async () => {
    const file = path.join(fixtures, 'notebook.ipynb');
    const uri = await client.open(file, readFileSync(file, 'utf8'));
    const tree = await client.tree(uri);
    assert.equal(tree.isDefinition, false);
    assert.deepEqual(await client.codeLenses(uri), []);
    const next = await client.open(path.join(examples, 'build_and_test.py'));
    assert.equal((await client.tree(next)).isDefinition, true);
  });
});
