import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { importsPipelineSdk } from '../../protocol/definitionFiles';

test('a definition imports pipewright, conducto or clearml, in any import form', () => {
  for (const text of ['import conducto as co\n', 'from pipewright import Serial\n', 'import os, conducto\n', '  from clearml import PipelineController\n', '"""Doc."""\nimport conducto as co\n']) {
    assert.ok(importsPipelineSdk(text), JSON.stringify(text));
  }
});

test('an import inside a docstring, a comment or another name is not one', () => {
  for (const text of ['"""\nUsage:\n    import conducto as co\n"""\nimport os\n', "'''\nfrom pipewright import Exec\n'''\n", '# import conducto\n', 'import conductor\n', 'from pipewright_extra import x\n', '"""unterminated\nimport conducto\n']) {
    assert.ok(!importsPipelineSdk(text), JSON.stringify(text));
  }
});
