// The build-context archive (runner/docker/tar.ts) read back with tar-stream's extract(): exactly
// the entries given, with their types, modes and sizes, whatever the files on disk did meanwhile.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import * as tar from 'tar-stream';
import { tarStream, type TarEntry } from '../../runner/docker/tar';

const temp = mkdtempSync(join(tmpdir(), 'pw-tar-'));
after(() => rmSync(temp, { recursive: true, force: true }));

interface ReadEntry {
  name: string;
  type: string;
  mode: number;
  size: number;
  mtime: number;
  linkname: string | null;
  content: Buffer;
}

async function readBack(archive: Readable): Promise<ReadEntry[]> {
  const extract = tar.extract();
  archive.on('error', (error) => extract.destroy(error)).pipe(extract);
  const out: ReadEntry[] = [];
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    const { name, type, mode, size, mtime, linkname } = entry.header;
    out.push({ name, type, mode, size, mtime: mtime.getTime() / 1000, linkname, content: Buffer.concat(chunks) });
  }
  return out;
}

function byName(entries: ReadEntry[], name: string): ReadEntry {
  const found = entries.find((e) => e.name === name);
  assert.ok(found, `${name} is not in the archive: ${entries.map((e) => e.name).join(', ')}`);
  return found;
}

test('packs exactly the entries given, with their types, modes, sizes and contents', async () => {
  const grown = join(temp, 'grown.bin');
  const shrunk = join(temp, 'shrunk.bin');
  const big = Buffer.alloc(300_000, 'b'); // more than a read chunk and a stream buffer
  writeFileSync(grown, big);
  writeFileSync(shrunk, 'shrinking file');
  const longName = `${'d'.repeat(90)}/${'é'.repeat(80)}/grüße-${'f'.repeat(120)}.txt`;
  const longTarget = `../${'ü'.repeat(70)}/target`;
  const entries: TarEntry[] = [
    { name: 'dir', type: 'dir', mode: 0o750, mtime: 1_700_000_000 },
    { name: 'dir/run.sh', type: 'file', mode: 0o755, mtime: 1_700_000_001, content: Buffer.from('#!/bin/sh\n') },
    // Listed (size taken), then changed on disk before they are packed.
    { name: 'grown.bin', type: 'file', mode: 0o644, mtime: 1_700_000_002, size: big.length, source: grown },
    { name: 'shrunk.bin', type: 'file', mode: 0o600, mtime: 1_700_000_003, size: 14, source: shrunk },
    { name: longName, type: 'file', mode: 0o644, mtime: 1_700_000_004, content: Buffer.from('long') },
    { name: 'link', type: 'symlink', mode: 0o777, mtime: 1_700_000_005, linkname: 'dir/run.sh' },
    { name: 'far-link', type: 'symlink', mode: 0o777, mtime: 1_700_000_006, linkname: longTarget },
    { name: 'near-link', type: 'symlink', mode: 0o777, mtime: 1_700_000_007, linkname: 'grüße.txt' },
    { name: 'locked', type: 'dir', mode: 0, mtime: 1_700_000_008 },
  ];
  writeFileSync(grown, Buffer.concat([big, Buffer.from('appended after listing')]));
  truncateSync(shrunk, 5);

  const read = await readBack(tarStream(entries));
  assert.deepEqual(read.map((e) => e.name), ['dir/', 'dir/run.sh', 'grown.bin', 'shrunk.bin', longName, 'link', 'far-link', 'near-link', 'locked/']);
  assert.deepEqual(read.map((e) => e.type), ['directory', 'file', 'file', 'file', 'file', 'symlink', 'symlink', 'symlink', 'directory']);
  assert.deepEqual(read.map((e) => e.mode), [0o750, 0o755, 0o644, 0o600, 0o644, 0o777, 0o777, 0o777, 0]);
  assert.deepEqual(read.map((e) => e.mtime), entries.map((e) => e.mtime));

  assert.equal(byName(read, 'dir/run.sh').content.toString(), '#!/bin/sh\n');
  const grownRead = byName(read, 'grown.bin');
  assert.equal(grownRead.size, big.length);
  assert.ok(grownRead.content.equals(big), 'a file that grew is cut at the size listed');
  const shrunkRead = byName(read, 'shrunk.bin');
  assert.equal(shrunkRead.size, 14);
  assert.deepEqual(shrunkRead.content, Buffer.concat([Buffer.from('shrin'), Buffer.alloc(9)]), 'a file that shrank is zero-padded');
  assert.equal(byName(read, longName).content.toString(), 'long');
  assert.equal(byName(read, 'link').linkname, 'dir/run.sh');
  assert.equal(byName(read, 'far-link').linkname, longTarget);
  assert.equal(byName(read, 'near-link').linkname, 'grüße.txt');
});

test('a file gone before it is packed fails the archive', async () => {
  const archive = tarStream([
    { name: 'a.txt', type: 'file', mode: 0o644, mtime: 0, content: Buffer.from('a') },
    { name: 'gone.txt', type: 'file', mode: 0o644, mtime: 0, size: 3, source: join(temp, 'never-written') },
  ]);
  await assert.rejects(readBack(archive), { code: 'ENOENT' });
});
