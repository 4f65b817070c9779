// What comes home from a volume on an engine elsewhere: a hostile node's links, devices and names
// that climb out stay out; folders and regular files arrive byte-exact.
import { strict as assert } from 'node:assert';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { pack } from 'tar-stream';
import { packFolder, unpackInto } from '../../runner/localDocker/volumeArchive';

function archive(entries: { name: string; type?: 'file' | 'directory' | 'symlink' | 'fifo'; content?: string; linkname?: string }[]): NodeJS.ReadableStream {
  const p = pack();
  for (const e of entries) p.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, size: e.content ? Buffer.byteLength(e.content) : 0 }, e.content ?? '');
  p.finalize();
  return Readable.from(p);
}

test('folders and regular files come home; links, fifos and names out of the folder do not', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-volume-'));
  const dest = path.join(root, 'data');
  const outside = path.join(root, 'outside');
  mkdirSync(dest);
  mkdirSync(outside);
  // A link already in the destination (as a hostile node could not make one here, but be sure).
  symlinkSync(outside, path.join(dest, 'escape'));
  const summary = await unpackInto(
    archive([
      { name: 'data/', type: 'directory' },
      { name: 'data/sub/', type: 'directory' },
      { name: 'data/sub/model.bin', content: 'weights\u0000\u00ff' },
      { name: 'data/link', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'data/pipe', type: 'fifo' },
      { name: 'data/../../evil', content: 'x' },
      { name: 'data/escape/planted', content: 'x' },
    ]),
    dest,
  );
  assert.equal(readFileSync(path.join(dest, 'sub', 'model.bin'), 'utf8'), 'weights\u0000\u00ff');
  assert.equal(existsSync(path.join(dest, 'link')), false);
  assert.equal(existsSync(path.join(dest, 'pipe')), false);
  assert.equal(existsSync(path.join(root, 'evil')), false);
  assert.equal(existsSync(path.join(outside, 'planted')), false, 'nothing is written through a link');
  assert.equal(summary.files, 1);
  assert.equal(summary.refused.length, 4, summary.refused.join('; '));
  assert.ok(lstatSync(path.join(dest, 'escape')).isSymbolicLink());
  rmSync(root, { recursive: true, force: true });
});

test('a folder packed and unpacked again is the same, .git and the left-out folders excepted', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-volume-'));
  const src = path.join(root, 'src');
  mkdirSync(path.join(src, 'pkg'), { recursive: true });
  mkdirSync(path.join(src, '.git'));
  mkdirSync(path.join(src, 'store'));
  writeFileSync(path.join(src, 'pkg', 'a.py'), 'print(1)\n');
  writeFileSync(path.join(src, '.git', 'HEAD'), 'ref\n');
  writeFileSync(path.join(src, 'store', 'secret'), 'env\n');
  const out = path.join(root, 'out');
  mkdirSync(out);
  await unpackInto(await packFolder(src, [path.join(src, 'store')]), out, 0);
  assert.equal(readFileSync(path.join(out, 'pkg', 'a.py'), 'utf8'), 'print(1)\n');
  assert.equal(existsSync(path.join(out, '.git')), false);
  assert.equal(existsSync(path.join(out, 'store')), false, 'the store never leaves the machine');
  rmSync(root, { recursive: true, force: true });
});

test('a file coming home replaces the old one whole: while it arrives, a reader sees the old one', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-volume-'));
  writeFileSync(path.join(root, 'result.json'), '{"old": true}');
  const p = pack();
  const next = '{"new": true, "pad": "' + 'x'.repeat(100_000) + '"}';
  const entry = p.entry({ name: 'data/result.json', size: next.length });
  entry.write(next.slice(0, 50_000));
  const unpacking = unpackInto(Readable.from(p), root);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(readFileSync(path.join(root, 'result.json'), 'utf8'), '{"old": true}', 'half a file is never in place');
  entry.end(next.slice(50_000));
  p.finalize();
  await unpacking;
  assert.equal(readFileSync(path.join(root, 'result.json'), 'utf8'), next);
  assert.deepEqual(readdirSync(root), ['result.json'], 'nothing is left beside it');
  rmSync(root, { recursive: true, force: true });
});
