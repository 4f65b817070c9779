// The swarm backend's data service (runner/swarm/dataService.ts) over real HTTP: a pipeline's
// token reaches its own folder only, a tar sent back lands inside the folder and nowhere else.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { extract, pack } from 'tar-stream';
import { DataService } from '../../runner/swarm/dataService';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-data-service-'));
const service = new DataService('127.0.0.1');
after(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

function tarOf(files: { name: string; content?: string; type?: 'file' | 'symlink' | 'directory'; linkname?: string }[]): Promise<Buffer> {
  const p = pack();
  for (const f of files) {
    if (f.type === 'symlink' || f.type === 'directory') p.entry({ name: f.name, type: f.type, linkname: f.linkname }, '');
    else p.entry({ name: f.name, type: 'file' }, f.content ?? '');
  }
  p.finalize();
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    p.on('data', (c) => chunks.push(c as Buffer));
    p.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

async function names(tar: Buffer): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const x = extract();
  x.on('entry', (h, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (c) => chunks.push(c as Buffer));
    body.on('end', () => {
      out[h.name] = h.type === 'file' ? Buffer.concat(chunks).toString() : h.type;
      next();
    });
  });
  x.end(tar);
  await new Promise<void>((resolve) => x.on('finish', () => resolve()));
  return out;
}

test('a pipeline\'s token fetches its folder (files and folders, no links) and sends files back into it', async () => {
  await service.start();
  const a = path.join(dir, 'a');
  mkdirSync(path.join(a, 'sub'), { recursive: true });
  writeFileSync(path.join(a, 'sub', 'x.txt'), 'x');
  symlinkSync('/etc/passwd', path.join(a, 'link'));
  const { url, token } = service.register('pa', a);
  const got = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(got.status, 200);
  assert.deepEqual(await names(Buffer.from(await got.arrayBuffer())), { 'sub/': 'directory', 'sub/x.txt': 'x' });
  const put = await fetch(url, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: new Uint8Array(await tarOf([{ name: 'new/y.txt', content: 'y' }, { name: 'sub/x.txt', content: 'changed' }])) });
  assert.equal(put.status, 204);
  assert.equal(readFileSync(path.join(a, 'new', 'y.txt'), 'utf8'), 'y');
  assert.equal(readFileSync(path.join(a, 'sub', 'x.txt'), 'utf8'), 'changed');
});

test('the user\'s folder is served to a pipeline\'s token beside its own; not without one', async () => {
  await service.start();
  const user = path.join(dir, 'user');
  mkdirSync(user, { recursive: true });
  writeFileSync(path.join(user, 'u.txt'), 'u');
  const access = service.register('pu', path.join(dir, 'pu'), user);
  const got = await fetch(access.userUrl!, { headers: { authorization: `Bearer ${access.token}` } });
  assert.deepEqual(await names(Buffer.from(await got.arrayBuffer())), { 'u.txt': 'u' });
  const without = service.register('pn', path.join(dir, 'pn'));
  assert.equal(without.userUrl, undefined);
  assert.equal((await fetch(without.url.replace('/data/', '/user/'), { headers: { authorization: `Bearer ${without.token}` } })).status, 404);
});

test('another pipeline\'s token, a wrong one or none is refused', async () => {
  await service.start();
  const { url } = service.register('pb', path.join(dir, 'b'));
  const other = service.register('pc', path.join(dir, 'c'));
  for (const auth of [`Bearer ${other.token}`, `Bearer ${'0'.repeat(64)}`, '']) {
    const res = await fetch(url, { headers: auth ? { authorization: auth } : {} });
    assert.equal(res.status, 403, auth);
  }
  assert.equal((await fetch(`${url}x`, { headers: { authorization: `Bearer ${other.token}` } })).status, 404);
});

test('a tar sent back cannot write outside the folder: .. names, absolute names, links and paths through links are dropped', async () => {
  await service.start();
  const d = path.join(dir, 'd');
  mkdirSync(d, { recursive: true });
  const outside = path.join(dir, 'outside');
  mkdirSync(outside);
  symlinkSync(outside, path.join(d, 'out'));
  const { url, token } = service.register('pd', d);
  const body = new Uint8Array(await tarOf([
    { name: '../escaped.txt', content: 'no' },
    { name: '/abs.txt', content: 'no' },
    { name: 'out/through-link.txt', content: 'no' },
    { name: 'planted', type: 'symlink', linkname: '/etc' },
    { name: 'ok.txt', content: 'yes' },
  ]));
  const res = await fetch(url, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body });
  assert.equal(res.status, 204);
  assert.equal(existsSync(path.join(dir, 'escaped.txt')), false);
  assert.equal(existsSync(path.join(outside, 'through-link.txt')), false);
  assert.equal(existsSync(path.join(d, 'planted')), false);
  assert.equal(existsSync('/abs.txt') || existsSync(path.join(d, 'abs.txt')), false);
  assert.equal(readFileSync(path.join(d, 'ok.txt'), 'utf8'), 'yes');
});
