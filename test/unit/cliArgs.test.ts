import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseArgs, UsageError } from '../../cli/args';

test('separates known flags, flags with values and pipeline arguments', () => {
  const args = parseArgs(['p.py', 'run', '--json', '--image', 'alpine', '--n=5', '--verbose'], ['json'], ['image']);
  assert.deepEqual(args.positionals, ['p.py', 'run']);
  assert.equal(args.flags.get('json'), true);
  assert.equal(args.flags.get('image'), 'alpine');
  assert.deepEqual(args.passthrough, ['--n=5', '--verbose']);
});

test('takes --flag=value too', () => {
  assert.equal(parseArgs(['--image=busybox'], [], ['image']).flags.get('image'), 'busybox');
});

test('a flag missing its value is a usage error', () => {
  assert.throws(() => parseArgs(['--image'], [], ['image']), UsageError);
});
