// A trusted workspace: the seed examples evaluated through a real LSP client over stdio.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COMMANDS } from '../../protocol/lsp';
import { examples, LspClient, sdk, symbolOutline, uriOf } from './lspClient';

const example = (name: string) => path.join(examples, name);

describe('language server, trusted workspace: the examples', () => {
  let client: LspClient;
  before(async () => {
    client = await LspClient.start({ settings: { trusted: true } });
  });
  after(async () => {
    await client?.stop();
  });

  it('initializes over stdio with CodeLens and document symbols', () => {
    const caps = client.initializeResult.capabilities;
    assert.ok(caps.codeLensProvider);
    assert.ok(caps.documentSymbolProvider);
    assert.equal(client.initializeResult.serverInfo?.name, 'pipewright-language-server');
  });

  it('build_and_test.py: CodeLenses, nested symbols at their lines, the tree as the CLI makes it', async () => {
    const file = example('build_and_test.py');
    const uri = await client.open(file);
    const lenses = await client.codeLenses(uri);
    assert.deepEqual(
      lenses.map((l) => [l.range.start.line, l.command?.title, l.command?.command, l.command?.arguments]),
      [
        [4, '▶ Run pipeline', COMMANDS.runPipeline, [uri, 'run']],
        [4, 'Show tree', COMMANDS.showTree, [uri, 'run']],
      ],
    );
    const symbols = await client.symbols(uri);
    assert.deepEqual(symbolOutline(symbols), ['run@5', '  /@15', '    Build@7', '    Test@10', '      app@12', '      backend@12', '      metrics@12']);
    assert.equal(symbols[0]!.range.start.line, 4);
    assert.ok(symbols[0]!.range.end.line >= 17, 'the function symbol spans its body');

    const tree = await client.tree(uri);
    assert.equal(tree.isDefinition, true);
    assert.equal(tree.trusted, true);
    assert.equal(tree.version, 1);
    assert.equal(tree.notice, undefined);
    assert.deepEqual(tree.pipelines.map((p) => [p.name, p.line, p.default, p.parameters, p.endLine]), [['run', 5, true, [], 18]]);
    const cli = sdk([file, '--json']);
    assert.equal(cli.status, 0, cli.stderr);
    assert.deepEqual(tree.pipelines[0]!.document, JSON.parse(cli.stdout));

    const published = await client.waitForDiagnostics(uri, 1);
    assert.deepEqual(published.diagnostics, []);
    await client.waitForTreeChanged(uri, 1);
  });

  it('leibniz.py: a pipeline needing arguments has a lens and an entry error, but no diagnostic', async () => {
    const uri = await client.open(example('leibniz.py'));
    const tree = await client.tree(uri);
    assert.equal(tree.pipelines.length, 1);
    const [entry] = tree.pipelines;
    assert.deepEqual([entry!.name, entry!.line, entry!.default, entry!.document], ['compute_pi', 19, true, undefined]);
    assert.match(entry!.error!.message, /needs --n/);
    // What the editor asks for when it runs it, and where the function ends (the cursor's pipeline).
    assert.deepEqual(entry!.parameters, [{ name: 'n', kind: 'int', required: true }]);
    assert.equal(entry!.endLine, 23);
    const lenses = await client.codeLenses(uri);
    assert.deepEqual(lenses.map((l) => [l.range.start.line, l.command?.title]), [[18, '▶ Run pipeline'], [18, 'Show tree']]);
    assert.deepEqual(symbolOutline(await client.symbols(uri)), ['compute_pi@19']);
    assert.deepEqual((await client.waitForDiagnostics(uri, 1)).diagnostics, []);
  });

  it('lazy_deploy_test.py: two pipelines, each as the CLI evaluates it', async () => {
    const file = example('lazy_deploy_test.py');
    const uri = await client.open(file);
    const tree = await client.tree(uri);
    assert.deepEqual(tree.pipelines.map((p) => [p.name, p.line, p.default]), [['pipe', 5, true], ['test_service', 20, false]]);
    assert.deepEqual(tree.pipelines[0]!.document, JSON.parse(sdk([file, '--json']).stdout));
    assert.deepEqual(tree.pipelines[1]!.document, JSON.parse(sdk([file, 'test_service', '--json']).stdout));
    const lenses = await client.codeLenses(uri);
    assert.deepEqual(
      lenses.map((l) => [l.range.start.line, l.command?.title, l.command?.arguments?.[1]]),
      [
        [4, '▶ Run pipeline', 'pipe'],
        [4, 'Show tree', 'pipe'],
        [19, '▶ Run pipeline', 'test_service'],
        [19, 'Show tree', 'test_service'],
      ],
    );
    assert.deepEqual(symbolOutline(await client.symbols(uri)), [
      'pipe@5',
      '  /@6',
      '    Deploy@7',
      '    Test@8',
      '      Generate@8',
      '      Execute@8',
      'test_service@20',
      '  /@26',
      '    RunTest_0@28',
    ]);
    assert.deepEqual((await client.waitForDiagnostics(uri, 1)).diagnostics, []);
  });

  for (const [name, outline] of [
    ['construct_with.py', ['/@3', '  Test@4', '    test1@5', '    test2@6']],
    ['inheritance.py', ['/@3', '  Node1@4']],
  ] as const) {
    it(`${name}: a module-level tree: its nodes are the symbols, one lens at the root`, async () => {
      const file = example(name);
      const uri = await client.open(file);
      const stem = path.basename(name, '.py');
      const tree = await client.tree(uri);
      assert.deepEqual(tree.pipelines.map((p) => [p.name, p.line, p.default]), [[stem, 3, true]]);
      assert.deepEqual(tree.pipelines[0]!.document, JSON.parse(sdk([file, '--json']).stdout));
      assert.deepEqual(symbolOutline(await client.symbols(uri)), outline);
      const lenses = await client.codeLenses(uri);
      assert.deepEqual(lenses.map((l) => [l.range.start.line, l.command?.title, l.command?.arguments]), [
        [2, '▶ Run pipeline', [uri, stem]],
        [2, 'Show tree', [uri, stem]],
      ]);
      assert.deepEqual((await client.waitForDiagnostics(uri, 1)).diagnostics, []);
    });
  }

  it('a Python file that is not a definition gets nothing', async () => {
    const uri = await client.open(path.join(examples, 'not_a_definition.py'), 'import os\n\ndef run():\n    return os.getcwd()\n');
    const tree = await client.tree(uri);
    assert.deepEqual([tree.isDefinition, tree.pipelines], [false, []]);
    assert.deepEqual(await client.codeLenses(uri), []);
    assert.deepEqual(await client.symbols(uri), []);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(client.diagnostics.get(uri), undefined, 'no diagnostics published');
    assert.equal(client.treeChanged.find((p) => p.uri === uri), undefined, 'no treeChanged');
  });

  it('answers pipewright/tree for a file that is not open, from disk (version 0)', async () => {
    const tree = await client.tree(uriOf(example('construct_dict.py')));
    assert.equal(tree.isDefinition, true);
    assert.equal(tree.version, 0);
    assert.equal(tree.pipelines.length, 1);
    assert.ok(tree.pipelines[0]!.document!.nodes.length > 1);
  });
});

describe('language server over IPC', () => {
  it('initializes and evaluates with --node-ipc', async () => {
    const client = await LspClient.start({ transport: 'ipc', settings: { trusted: true } });
    try {
      const uri = await client.open(example('inheritance.py'));
      const tree = await client.tree(uri);
      assert.equal(tree.pipelines[0]!.document!.nodes.length, 2);
    } finally {
      await client.stop();
    }
  });
});
