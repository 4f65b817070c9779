// `pipewright tree` on definitions written as Conducto users write them (test/fixtures/conducto):
// a package folder, positional arguments, notebooks, Serials of more than ten steps.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { cli, ensureBuilt, repo } from '../helpers/cli';

const fixtures = path.join(repo, 'test', 'fixtures', 'conducto');
const fixture = (name: string) => path.join(fixtures, name);
before(ensureBuilt);

test('tree DIR loads DIR/__main__.py inside its package (relative imports work)', async () => {
  const result = await cli(['tree', fixture('ci_package')]);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.split('\n');
  assert.deepEqual(lines.slice(0, 4), ['/', '├─0 Build', '│ ├─ web   echo build web', '│ └─ api   echo build api']);
  assert.equal(lines.at(-2), '└─2 Ship   echo ship it');
  assert.match(result.stdout, /│ │ ├─ lint {3}conducto utils\.py run_check --component=web --check=lint\n/);
});

test('tree DIR FUNC ARG, and tree DIR/__main__.py, as python -m DIR FUNC ARG would', async () => {
  const viaDir = await cli(['tree', fixture('ci_package'), 'build', '["x", "y"]']);
  const viaFile = await cli(['tree', path.join(fixtures, 'ci_package', '__main__.py'), 'build', '["x", "y"]']);
  assert.equal(viaDir.code, 0, viaDir.stderr);
  assert.equal(viaDir.stdout, '/\n├─ x   echo build x\n└─ y   echo build y\n');
  assert.equal(viaFile.stdout, viaDir.stdout);
});

test('a folder without __main__.py is an error naming it', async () => {
  const result = await cli(['tree', fixtures]);
  assert.equal(result.code, 3);
  assert.match(result.stderr, /fixtures\/conducto:1: a folder without __main__\.py/);
});

test('positional arguments fill the function\'s parameters in order, among --name value flags', async () => {
  const result = await cli(['tree', fixture('primes.py'), 'primes_up_to', '200']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, '/\n├─0 sieve   echo sieve below 200\n└─1 check   echo check 200\n');
  const mixed = await cli(['tree', fixture('primes.py'), 'bounds', '--hi', '7', '3', '--eval-timeout', '30', '--no-verbose']);
  assert.equal(mixed.code, 0, mixed.stderr);
  assert.equal(mixed.stdout, '/\n└─ 3-7   echo 3 7 False\n');
});

test('too many positional arguments: an error naming the parameters, at the function', async () => {
  const result = await cli(['tree', fixture('primes.py'), 'primes_up_to', '200', '300']);
  assert.equal(result.code, 3);
  assert.equal(result.stderr, `${fixture('primes.py')}:4: primes_up_to() takes 1 positional argument (n), got 2: 200 300\n`);
  const wrong = await cli(['tree', fixture('primes.py'), 'primes_up_to', 'lots']);
  assert.equal(wrong.code, 3);
  assert.match(wrong.stderr, /argument n of primes_up_to\(\): 'lots' is not an int/);
});

test('a notebook: its code cells are the definition; an error names the .ipynb line holding the code', async () => {
  const result = await cli(['tree', fixture('notebook.ipynb')]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, '/\n├─0 hello   echo hello\n└─1 both\n  ├─ x   echo x\n  └─ y   echo y\n');
  const broken = await cli(['tree', fixture('notebook_error.ipynb')]);
  assert.equal(broken.code, 3);
  const m = /notebook_error\.ipynb:(\d+): NameError: name 'undefined_command' is not defined/.exec(broken.stderr);
  assert.ok(m, broken.stderr);
  const line = readFileSync(fixture('notebook_error.ipynb'), 'utf8').split('\n')[Number(m[1]) - 1]!;
  assert.match(line, /co\.Exec\(undefined_command\)/);
  assert.doesNotMatch(broken.stderr, /null/);
});

test('a Serial of 17 steps is numbered 00 … 16, as Conducto prints it', async () => {
  const result = await cli(['tree', fixture('sweep.py')]);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trimEnd().split('\n');
  assert.deepEqual([lines[1], lines[10], lines.at(-1)], ['├─00 step0   echo step 0', '├─09 step9   echo step 9', '└─16 step16   echo step 16']);
});

test('the three construction styles print one tree', async () => {
  const trees = await Promise.all(['as_dict', 'as_path', 'as_context'].map((f) => cli(['tree', fixture('tree_styles.py'), f])));
  for (const t of trees) assert.equal(t.code, 0, t.stderr);
  assert.equal(trees[0]!.stdout, ['/', '├─0 fetch', '│ ├─ a   echo fetch a', '│ └─ b   echo fetch b', '└─1 process', '  ├─0 c   echo process c', '  └─1 d   echo process d', ''].join('\n'));
  assert.equal(trees[1]!.stdout, trees[0]!.stdout);
  assert.equal(trees[2]!.stdout, trees[0]!.stdout);
});
