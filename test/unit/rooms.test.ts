// The walls between rooms (eslint.config.mjs) stop a wrong import at build time.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const repo = path.resolve(__dirname, '..', '..');
const eslint = new ESLint({ cwd: repo });

async function refusals(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(repo, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

test('the runner, the CLI, the evaluator and the language server cannot import vscode', async () => {
  for (const file of ['runner/x.ts', 'runner/docker/x.ts', 'cli/x.ts', 'evaluator/x.ts', 'language-server/src/x.ts', 'protocol/x.ts', 'webview/x.ts']) {
    const found = await refusals(file, "import * as vscode from 'vscode';\nexport const v = vscode;\n");
    assert.equal(found.length, 1, `${file}: ${JSON.stringify(found)}`);
  }
  assert.deepEqual(await refusals('extension/x.ts', "import * as vscode from 'vscode';\nexport const v = vscode;\n"), []);
});

test('protocol/, presentation/ and webview/ are plain TypeScript: no Node.js modules', async () => {
  for (const file of ['protocol/x.ts', 'presentation/x.ts', 'webview/x.ts']) {
    for (const spec of ['node:fs', 'fs', 'path', 'node:child_process']) {
      const found = await refusals(file, `import * as m from '${spec}';\nexport const v = m;\n`);
      assert.equal(found.length, 1, `${file} importing ${spec}: ${JSON.stringify(found)}`);
    }
  }
});

test('imports go down the rooms, never up', async () => {
  const refused: [string, string][] = [
    ['protocol/x.ts', '../runner/pipelineRun'],
    ['runner/x.ts', '../cli/args'],
    ['runner/store/x.ts', '../../extension/settings'],
    ['evaluator/x.ts', '../runner/pipelineRun'],
    ['evaluator/x.ts', '../language-server/src/settings'],
    ['cli/x.ts', '../extension/settings'],
    ['extension/treeViews/x.ts', '../../cli/statusDisplay'],
    ['language-server/src/x.ts', '../../runner/pipelineRun'],
    ['webview/x.ts', '../runner/model/runTree'],
  ];
  for (const [file, spec] of refused) {
    const found = await refusals(file, `import { x } from '${spec}';\nexport const v = x;\n`);
    assert.equal(found.length, 1, `${file} importing ${spec} should be refused`);
  }
  const allowed: [string, string][] = [
    ['runner/x.ts', '../protocol/pipeline'],
    ['cli/commands/x.ts', '../../runner/pipelineRun'],
    ['extension/x.ts', '../runner/pipelineRun'],
    ['extension/client/x.ts', '../../protocol/lsp'],
    ['webview/x.ts', '../presentation/format'],
    ['language-server/src/x.ts', '../../evaluator/evaluator'],
  ];
  for (const [file, spec] of allowed) assert.deepEqual(await refusals(file, `import { x } from '${spec}';\nexport const v = x;\n`), [], `${file} importing ${spec}`);
});
