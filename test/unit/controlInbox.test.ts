// The control inbox on a real folder: any process can file a request, so the owner checks each one
// on receipt; a malformed one gets a reply saying what is wrong and never reaches the handler.
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControlRequest } from '../../protocol/control';
import { ControlInbox } from '../../runner/store/controlInbox';

const dir = mkdtempSync(path.join(tmpdir(), 'pw-control-'));
const owner = new ControlInbox(dir);
const handled: ControlRequest[] = [];
owner.listen((request) => {
  if (request.op === 'kill') throw new Error(`${request.path} is not running`);
  handled.push(request);
});
after(() => {
  owner.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `file` whole, as both ends do: the other side may look at any moment. */
function put(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

async function waitFor(file: string): Promise<string> {
  for (let i = 0; i < 500 && !existsSync(file); i++) await sleep(10);
  return readFileSync(file, 'utf8');
}

let filed = 0;
/** Files a request by hand, as another process could, and reads the owner's reply. */
async function ask(text: string): Promise<unknown> {
  const file = path.join(dir, 'control', `by-hand-${++filed}`);
  put(`${file}.request`, text);
  return JSON.parse(await waitFor(`${file}.reply`));
}

test('a malformed request gets a reply naming what is wrong, and is not handled', async () => {
  const cases: [string, RegExp][] = [
    ['{"op": "reset", "path": ', /^malformed control request: not JSON \(.+\)$/],
    [JSON.stringify({ op: 'reset' }), /^malformed control request: path is missing$/],
    [JSON.stringify({ op: 'drop-table' }), /^malformed control request: op: Invalid type: Expected \("reset" \| .*"wake"\) but received "drop-table"$/],
    [JSON.stringify({ path: '/a' }), /^malformed control request: op: .* but received undefined$/],
    [JSON.stringify({ op: 'skip', path: '/a', skipped: 'yes' }), /^malformed control request: skipped: Invalid type: Expected boolean but received "yes"$/],
    [JSON.stringify({ op: 'reset', path: 'a' }), /^malformed control request: path: must start with "\/", got "a"$/],
    [JSON.stringify({ op: 'reset', path: '/a', force: true }), /^malformed control request: force: not one of op, path$/],
    [JSON.stringify({ op: 'modify', path: '/a', changes: { cpu: '4' } }), /^malformed control request: changes\.cpu: Invalid type: Expected number but received "4"$/],
    [JSON.stringify({ op: 'modify', path: '/a', changes: { requires_docker: true } }), /^malformed control request: changes\.requires_docker: not one of command, /],
    [JSON.stringify([{ op: 'reset', path: '/a' }]), /^malformed control request: op: .* but received undefined$/],
    ['null', /^malformed control request: Invalid type: Expected Object but received null$/],
  ];
  for (const [text, why] of cases) {
    const reply = (await ask(text)) as { ok: unknown; error: unknown };
    assert.equal(reply.ok, false, text);
    assert.match(String(reply.error), why, text);
  }
  assert.deepEqual(handled, []);
});

test('a well-formed request is handled, whoever wrote it', async () => {
  handled.length = 0;
  assert.deepEqual(await ask(JSON.stringify({ op: 'skip', path: '/a', skipped: true })), { ok: true });
  assert.deepEqual(await new ControlInbox(dir).send({ op: 'modify', path: '/a', changes: { cpu: 4, env: { A: '1' } } }), { ok: true });
  assert.deepEqual(await new ControlInbox(dir).send({ op: 'sleep' }), { ok: true });
  assert.deepEqual(handled, [
    { op: 'skip', path: '/a', skipped: true },
    { op: 'modify', path: '/a', changes: { cpu: 4, env: { A: '1' } } },
    { op: 'sleep' },
  ]);
  // The handler's own refusal still reaches the sender.
  assert.deepEqual(await new ControlInbox(dir).send({ op: 'kill', path: '/a' }), { ok: false, error: '/a is not running' });
});

test('the sender checks the reply too', async () => {
  const elsewhere = mkdtempSync(path.join(tmpdir(), 'pw-control-'));
  try {
    const sent = new ControlInbox(elsewhere).send({ op: 'reset', path: '/a' }, 5000);
    // A stand-in owner that answers in another dialect.
    const control = path.join(elsewhere, 'control');
    let request: string | undefined;
    for (let i = 0; i < 500 && !request; i++) {
      request = readdirSync(control).find((name) => name.endsWith('.request'));
      if (!request) await sleep(10);
    }
    assert.ok(request, 'the request was filed');
    put(path.join(control, request.replace(/\.request$/, '.reply')), JSON.stringify({ ok: 'yes' }));
    assert.deepEqual(await sent, { ok: false, error: 'the process running this pipeline sent a malformed reply: ok: Invalid type: Expected boolean but received "yes"' });
  } finally {
    rmSync(elsewhere, { recursive: true, force: true });
  }
});
