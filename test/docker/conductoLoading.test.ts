// How Conducto users call their definitions, run on the real engine: a package folder whose
// __main__.py uses relative imports (`python -m PACKAGE`), and positional function arguments.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { cli, cliJs, ensureBuilt } from '../helpers/cli';
import { TEST_IMAGE } from '../helpers/runnerHarness';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'pipewright-conducto-loading-'));
const store = path.join(scratch, 'store');
const env = { PIPEWRIGHT_HOME: store, PIPEWRIGHT_DEFAULT_IMAGE: TEST_IMAGE, PIPEWRIGHT_CLI: cliJs };
before(ensureBuilt);
after(() => rmSync(scratch, { recursive: true, force: true }));

// The package's own function and its helper module's run in the node: both need the package.
const pkg = path.join(scratch, 'greeter');
mkdirSync(pkg);
writeFileSync(path.join(pkg, '__init__.py'), '');
writeFileSync(path.join(pkg, 'words.py'), 'LOUD = "!!"\n\ndef greet(name):\n    print("hello " + name)\n');
writeFileSync(
  path.join(pkg, '__main__.py'),
  [
    'import conducto as co',
    'from . import words',
    '',
    'def shout(word):',
    '    print(word.upper() + words.LOUD)',
    '',
    'def greetings(first, second="bob") -> co.Serial:',
    '    root = co.Serial()',
    '    root["greet"] = co.Exec(words.greet, first)',
    '    root["shout"] = co.Exec(shout, second)',
    '    return root',
    '',
    'if __name__ == "__main__":',
    '    co.main(default=greetings)',
    '',
  ].join('\n'),
);

test('run PACKAGE_DIR FUNC ARG ARG: positional arguments, and nodes calling the package\'s functions', async () => {
  const result = await cli(['run', pkg, 'greetings', 'ann', 'cyd', '--json'], env);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const id = (JSON.parse(result.stdout.split('\n')[0]!) as { pipeline: string }).pipeline;
  const greet = await cli(['logs', id, '/greet'], env);
  assert.equal(greet.stdout, 'hello ann\n', greet.stderr);
  const shout = await cli(['logs', id, '/shout'], env);
  assert.equal(shout.stdout, 'CYD!!\n', shout.stderr);
});
