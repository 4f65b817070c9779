import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { parseArgs, UsageError, type ArgSpec } from '../../cli/args';
import { runCli } from '../../cli/main';
import { RUNNER_FLAGS, runnerOptions } from '../../cli/runToEnd';

const RUN: ArgSpec = { flags: { ...RUNNER_FLAGS, json: 'boolean', pending: 'boolean', param: 'repeated' }, passthrough: true };
// Commands that read the store get an empty one of their own, never the user's.
const scratch = mkdtempSync(path.join(os.tmpdir(), 'pipewright-cli-args-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

test('separates the command flags, positionals and the pipeline arguments', () => {
  const args = parseArgs(['p.py', 'run', '--json', '--image', 'alpine', '--n=5', '--verbose'], RUN);
  assert.deepEqual(args.positionals, ['p.py', 'run']);
  assert.equal(args.has('json'), true);
  assert.equal(args.has('pending'), false);
  assert.equal(args.value('image'), 'alpine');
  assert.deepEqual(args.passthrough, ['--n=5', '--verbose']);
});

test('pipeline arguments pass through as written, wherever they are', () => {
  const args = parseArgs(['--mode=fast', 'p.py', '--n=5', 'main', '--name=a=b', '--flag', '--json'], RUN);
  assert.deepEqual(args.positionals, ['p.py', 'main']);
  assert.deepEqual(args.passthrough, ['--mode=fast', '--n=5', '--name=a=b', '--flag']);
  assert.equal(args.has('json'), true);
});

test('an unknown --name takes no value: the next word stays a positional, as before', () => {
  const args = parseArgs(['p.py', '--n', '5'], RUN);
  assert.deepEqual(args.positionals, ['p.py', '5']);
  assert.deepEqual(args.passthrough, ['--n']);
});

test('every word after -- is a pipeline argument, even one named like a command flag', () => {
  const args = parseArgs(['p.py', 'main', '--', '--json', 'x'], RUN);
  assert.deepEqual(args.positionals, ['p.py', 'main']);
  assert.deepEqual(args.passthrough, ['--json', 'x']);
  assert.equal(args.has('json'), false);
});

test('a value flag takes --x v and --x=v, the last one given wins', () => {
  assert.equal(parseArgs(['--image', 'busybox'], RUN).value('image'), 'busybox');
  assert.equal(parseArgs(['--image=busybox'], RUN).value('image'), 'busybox');
  assert.equal(parseArgs(['--image=a', '--image', 'b'], RUN).value('image'), 'b');
  assert.equal(parseArgs(['--store', '/tmp/s', 'p.py'], RUN).value('store'), '/tmp/s');
});

test('a value may start with a dash: the runner, not the parser, says what is wrong with --mem -2', () => {
  const args = parseArgs(['id', '/n', '--mem', '-2', '--command', '--help'], { flags: { mem: 'string', command: 'string' } });
  assert.equal(args.value('mem'), '-2');
  assert.equal(args.value('command'), '--help');
  assert.deepEqual(args.positionals, ['id', '/n']);
});

test('--param repeats, in both forms, in order', () => {
  const args = parseArgs(['p.py', '--param', 'a=1', '--n=2', '--param=b=x y', '--param', 'c='], RUN);
  assert.deepEqual(args.values('param'), ['a=1', 'b=x y', 'c=']);
  assert.deepEqual(args.passthrough, ['--n=2']);
  assert.deepEqual(parseArgs(['p.py'], RUN).values('param'), []);
});

test('a value flag missing its value is a usage error naming it', () => {
  assert.throws(() => parseArgs(['p.py', '--image'], RUN), { name: 'UsageError', message: '--image needs a value' });
  assert.throws(() => parseArgs(['p.py', '--param'], RUN), { name: 'UsageError', message: '--param needs a value' });
});

test('a switch given a value is a usage error', () => {
  assert.throws(() => parseArgs(['p.py', '--json=no'], RUN), { name: 'UsageError', message: '--json takes no value, got "no"' });
});

test('a command without pipeline arguments refuses a flag it does not know', () => {
  assert.throws(() => parseArgs(['id', '--jsn'], { flags: { json: 'boolean' } }), { name: 'UsageError', message: 'unknown option --jsn' });
});

test('words with one dash stay positionals', () => {
  assert.deepEqual(parseArgs(['p.py', '-x', '-ab', '-'], RUN).positionals, ['p.py', '-x', '-ab', '-']);
});

test('a bad number is a usage error naming the flag and the value', () => {
  const options = (argv: string[]) => runnerOptions(parseArgs(argv, RUN));
  assert.deepEqual(options(['--cpus', '1.5', '--memory=2']).budget, { cpu: 1.5, mem: 2 });
  assert.deepEqual(options([]).budget, { cpu: undefined, mem: undefined });
  assert.throws(() => options(['--cpus', 'x']), { name: 'UsageError', message: '--cpus needs a number > 0, got "x"' });
  assert.throws(() => options(['--memory=0']), { name: 'UsageError', message: '--memory needs a number > 0, got "0"' });
  assert.throws(() => options(['--cpus=']), { name: 'UsageError', message: '--cpus needs a number > 0, got ""' });
  assert.ok(new UsageError('x') instanceof Error);
});

test('a usage error exits 2 with the message and one usage header', async () => {
  const result = await cli(['run', 'p.py', '--cpus', 'x']);
  assert.equal(result.code, 2);
  assert.match(result.err, /^pipewright run: --cpus needs a number > 0, got "x"\nusage:\n {2}pipewright tree /);
  assert.equal(result.err.match(/usage:/g)?.length, 1, result.err);
  assert.equal(result.out, '');
});

test('a bad flag value of the other commands exits 2 naming the flag', async () => {
  const store = ['--store', scratch];
  for (const [argv, message] of [
    [['modify', 'id', '/n', '--cpu', 'lots', ...store], '--cpu needs a number, got "lots"'],
    [['modify', 'id', '/n', '--max-time='], '--max-time needs a number, got ""'],
    [['modify', 'id', '/n', '--mem'], '--mem needs a value'],
    [['logs', 'id', '/n', '--execution', '0', ...store], '--execution needs a whole number >= 1, got "0"'],
    [['wake', 'id', '--memory', 'x', ...store], '--memory needs a number > 0, got "x"'],
    [['show', 'id', '--jsn', ...store], 'unknown option --jsn'],
    [['sleep', ...store], 'pipewright sleep ID'],
  ] as const) {
    const result = await cli([...argv]);
    assert.equal(result.code, 2, `${argv.join(' ')}: ${result.err}`);
    assert.ok(result.err.startsWith(`pipewright ${argv[0]}: ${message}\nusage:\n`), result.err);
  }
});

test('the usage lists sleep and wake', async () => {
  const help = await cli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /^ {2}pipewright sleep ID$/m);
  assert.match(help.out, /^ {2}pipewright wake ID \[--json\]$/m);
});

test('with ownPositionals, later bare words are the pipeline\'s, in the order written among its flags', () => {
  const args = parseArgs(['p.py', 'primes', '200', '--eval-timeout', '5', '--name', 'x', '--json', '300', '-4'], { ...RUN, flags: { ...RUN.flags, 'eval-timeout': 'string' }, ownPositionals: 2 });
  assert.deepEqual(args.positionals, ['p.py', 'primes']);
  assert.deepEqual(args.passthrough, ['200', '--name', 'x', '300', '-4']);
  assert.equal(args.value('eval-timeout'), '5');
  assert.equal(args.has('json'), true);
});

test('tree and run take positional arguments after FUNC, not a usage error', async () => {
  const result = await cli(['tree', path.join(scratch, 'missing.py'), 'f', '200']);
  assert.doesNotMatch(result.err, /usage:/);
  assert.match(result.err, /no such file/);
});
