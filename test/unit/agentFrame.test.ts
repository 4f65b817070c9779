// How the runner frames a job for the worker's agent (runner/localDocker/agent.ts): the header
// counts the script's lines, so no line of it can end the job early or late; nonces are never reused.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { jobFrame, jobScript, newNonce } from '../../runner/localDocker/agent';

test("the header holds the nonce, the script's bytes and its lines", () => {
  const nonce = newNonce();
  const script = jobScript({ command: 'echo "a\nb"', env: { X: 'one\ntwo' }, workdir: '/w', inputs: [{ path: '/tmp/in', content: `${nonce} 5 1\nlast\n` }] });
  const frame = jobFrame(nonce, script).toString('utf8');
  const [header, ...rest] = frame.split('\n');
  const body = rest.join('\n');
  assert.equal(header, `${nonce} ${Buffer.byteLength(body)} ${body.split('\n').length - 1}`);
  assert.equal(body, script);
  // A script without a final newline gets one, and it is counted.
  assert.equal(jobFrame(nonce, 'true').toString(), `${nonce} 5 1\ntrue\n`);
});

test('nonces are 128 random bits in hex, none repeated, across the blocks they are drawn in', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const nonce = newNonce();
    assert.match(nonce, /^[0-9a-f]{32}$/);
    seen.add(nonce);
  }
  assert.equal(seen.size, 5000);
});
