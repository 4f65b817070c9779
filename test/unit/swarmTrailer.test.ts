// What a swarm task says after its job (runner/swarm/taskScript.ts), read from its stdout however
// the log splits it: the OOM-kill count and the output files, base64, up to the closing marker.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { TrailerReader } from '../../runner/swarm/taskScript';

const nonce = 'ab'.repeat(16);
const file = Buffer.from('{"type": "Parallel"}\n\0binary\xff', 'latin1');
const stdout = Buffer.concat([
  Buffer.from('node output \0PWEND:fake 0\n'),
  Buffer.from(`\0PWEND:${nonce} 0 1700000000 12345\noom 2\nfile node.json\n${file.toString('base64')}\n\0PWDONE:${nonce}\nafter`),
]);

for (const size of [1, 7, 16384]) {
  test(`read in chunks of ${size} bytes: the OOM kills and the file, byte for byte`, async () => {
    const reader = new TrailerReader(nonce);
    for (let at = 0; at < stdout.length; at += size) reader.feed(stdout.subarray(at, at + size));
    const trailer = await reader.done;
    assert.equal(trailer.oomKills, 2);
    assert.deepEqual(trailer.files.get('node.json'), file);
    assert.deepEqual([...trailer.files.keys()], ['node.json']);
  });
}

test('a stream that ends before the closing marker gives what came', async () => {
  const reader = new TrailerReader(nonce);
  reader.feed(Buffer.from(`x\0PWEND:${nonce} 137 1 2\noom 1\n`));
  reader.streamEnded();
  assert.deepEqual(await reader.done, { oomKills: 1, files: new Map() });
});
