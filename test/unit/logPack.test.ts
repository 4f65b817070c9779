// Small logs of ended executions are packed into one file with a fixed-size index, and read back
// byte for byte through the same LogFile as unpacked ones: whole, by ranges across the pack and a
// note written after packing, their size, their last line. Big logs keep their own files.
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { SMALL_LOG_BYTES } from '../../runner/store/logPack';
import { PipelineSpace } from '../../runner/store/pipelineSpace';

const root = mkdtempSync(path.join(os.tmpdir(), 'pw-logpack-'));
after(() => rmSync(root, { recursive: true, force: true }));

function space(): PipelineSpace {
  const s = new PipelineSpace(mkdtempSync(path.join(root, 'p-')));
  s.ensure();
  return s;
}

/** What a node printed, through the writer a backend uses. */
function print(s: PipelineSpace, execId: string, parts: ['stdout' | 'stderr', string | Buffer][]): void {
  const writer = s.logWriter(execId);
  for (const [stream, text] of parts) writer.write(stream, Buffer.from(text));
  writer.close();
}

test('a thousand small logs become two files, and each reads back byte for byte', async () => {
  const s = space();
  for (let i = 1; i <= 1000; i++) {
    print(s, `e${i}`, [['stdout', `out ${i}\n`], ...(i % 3 ? [] : ([['stderr', `warn ${i} \u00e9\u0000\n`]] as ['stderr', string][])), ['stdout', 'end\n']]);
    s.packLogs(`e${i}`);
  }
  assert.deepEqual(readdirSync(s.execDir).sort(), ['logs.index', 'logs.pack']);
  for (const i of [1, 3, 500, 999, 1000]) {
    const warn = i % 3 ? '' : `warn ${i} \u00e9\u0000\n`;
    assert.equal((await s.log(`e${i}`).all()).toString(), `out ${i}\n${warn}end\n`);
    assert.equal((await s.log(`e${i}`, 'stderr').all()).toString(), warn);
    assert.equal(s.log(`e${i}`).size(), Buffer.byteLength(`out ${i}\n${warn}end\n`));
    assert.equal(s.log(`e${i}`).exists(), true);
    assert.equal(s.log(`e${i}`).lastLine(), 'end');
  }
  assert.equal(s.log('e1001').exists(), false, 'an execution never run has no log');
  assert.equal((await s.log('e1001').all()).length, 0);
});

test('a note written after packing reads after the packed bytes; ranges cross from the pack to the file', () => {
  const s = space();
  print(s, 'e7', [['stdout', 'abcdef\n']]);
  s.packLogs('e7');
  s.note('e7', 'the runner says why');
  const log = s.log('e7');
  assert.equal(log.size(), 7 + 20);
  assert.equal(log.read((read) => read(3, 12).toString()), 'def\nthe r');
  assert.equal(log.read((read, size) => read(0, size).toString()), 'abcdef\nthe runner says why\n');
  assert.equal(log.lastLine(), 'the runner says why');
});

test('a big log keeps its own file; an empty one leaves nothing; a restarted writer forgets the packed copy', async () => {
  const s = space();
  const big = Buffer.alloc(SMALL_LOG_BYTES + 1, 0x61);
  print(s, 'e1', [['stdout', big]]);
  s.packLogs('e1');
  assert.ok(existsSync(s.log('e1').path), 'kept as it was');
  assert.deepEqual(await s.log('e1').all(), big);
  s.packLogs('e2');
  assert.equal(s.log('e2').exists(), false);

  print(s, 'e3', [['stdout', 'first try\n']]);
  s.packLogs('e3');
  // A re-attach writes the whole output again: the packed copy must not show before it.
  const writer = s.logWriter('e3');
  writer.restart();
  writer.write('stdout', Buffer.from('whole output\n'));
  writer.close();
  assert.equal((await s.log('e3').all()).toString(), 'whole output\n');
});

test('the pack and its index are private to the user', () => {
  const s = space();
  print(s, 'e1', [['stdout', 'secret\n']]);
  s.packLogs('e1');
  for (const f of ['logs.pack', 'logs.index']) assert.equal(statSync(path.join(s.execDir, f)).mode & 0o777, 0o600, f);
});
