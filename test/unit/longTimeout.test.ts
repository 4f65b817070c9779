import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { setLongTimeout } from '../../runner/longTimeout';

test('a delay past 2^31-1 ms waits (setTimeout would fire at once); a short one fires; clear stops it', async () => {
  let long = false;
  let short = false;
  let cleared = false;
  const a = setLongTimeout(() => (long = true), 30 * 24 * 3600 * 1000);
  setLongTimeout(() => (short = true), 20);
  const c = setLongTimeout(() => (cleared = true), 30);
  c.clear();
  await new Promise((r) => setTimeout(r, 100));
  a.clear();
  assert.deepEqual({ long, short, cleared }, { long: false, short: true, cleared: false });
});
