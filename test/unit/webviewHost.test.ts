// The panel host's plain parts: what it sends of a run (snapshot, deltas, inherited-from), how it
// reads logs (tail, then appended bytes), and the page's CSP.
import { strict as assert } from 'node:assert';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type { NodeParams, ParamName, PipelineNode } from '../../protocol/pipeline';
import { isHostToWebview, MAX_TAIL_BYTES } from '../../protocol/webviewMessages';
import { RunTree } from '../../runner/model/runTree';
import { LogFile } from '../../runner/store/pipelineSpace';
import { LogReader } from '../../extension/panel/logReader';
import { makeNonce, panelHtml } from '../../extension/panel/panelHtml';
import { affects, delta, details, envOrigins, flatten, paramOrigin } from '../../extension/panel/snapshot';

const base: NodeParams = { cpu: 1, gpu: 0, mem: 2, env: {}, image: null, requires_docker: false, max_time: 3600, container_reuse_context: null, skip: false, suppress_errors: false, stop_on_error: true, max_concurrent: null, doc: null, title: null, tags: [] };
const node = (p: string, type: PipelineNode['type'], params: Partial<NodeParams>, set: ParamName[] = [], command?: string): PipelineNode => ({
  path: p,
  type,
  params: { ...base, ...params },
  set,
  parents: [],
  source: { file: '/x/race.py', line: 3 },
  ...(command ? { command } : {}),
});

// The compression race: cpu=2 and env on the root; one node sets its own cpu and adds env.
const tree = () =>
  new RunTree([
    node('/', 'Parallel', { cpu: 2, env: { PAYLOAD: 'p', LEVEL: '1' } }, ['cpu', 'env']),
    node('/container parallelism', 'Parallel', { cpu: 2, env: { PAYLOAD: 'p', LEVEL: '1' } }),
    node('/container parallelism/worker 0', 'Exec', { cpu: 2, env: { PAYLOAD: 'p', LEVEL: '1' } }, [], 'gzip -1 payload1.dat'),
    node('/process parallelism', 'Exec', { cpu: 10, env: { PAYLOAD: 'p', LEVEL: '9', EXTRA: 'x' } }, ['cpu', 'env'], 'ls payload*.dat | parallel gzip -1'),
  ]);

test('inherited from: the nearest node that sets the param, else default', () => {
  const t = tree();
  const w0 = t.get('/container parallelism/worker 0');
  assert.equal(paramOrigin(w0, 'cpu'), '/');
  assert.equal(paramOrigin(w0, 'mem'), 'default');
  assert.equal(paramOrigin(t.get('/process parallelism'), 'cpu'), '/process parallelism');
  // skip is not inherited: only the node itself can set it.
  assert.equal(paramOrigin(w0, 'skip'), 'default');
});

test('env keys come from where they were given', () => {
  const t = tree();
  assert.deepEqual(envOrigins(t.get('/container parallelism/worker 0')), { PAYLOAD: '/', LEVEL: '/' });
  assert.deepEqual(envOrigins(t.get('/process parallelism')), { PAYLOAD: '/', LEVEL: '/process parallelism', EXTRA: '/process parallelism' });
});

test('snapshot: depth-first, parents first, with states and counts; details carry params and origins', () => {
  const t = tree();
  t.setLeafState(t.get('/process parallelism'), 'running');
  const flat = flatten(t.root);
  assert.deepEqual(flat.map((n) => n.path), ['/', '/container parallelism', '/container parallelism/worker 0', '/process parallelism']);
  assert.equal(flat[0]!.state, 'running');
  assert.deepEqual(flat[0]!.counts, { pending: 1, queued: 0, running: 1, done: 0, error: 0, killed: 0 });
  assert.equal(flat[3]!.command, 'ls payload*.dat | parallel gzip -1');
  const d = details(t.get('/process parallelism'));
  assert.equal(d.origins.cpu, '/process parallelism');
  assert.equal(d.origins.mem, 'default');
  assert.equal(d.params.cpu, 10);
  assert.ok(isHostToWebview({ type: 'details', details: d }));
  assert.ok(isHostToWebview({ type: 'init', run: { id: 'x', name: 'race', file: '/x', createdAt: 0, lastUsedAt: 0, status: 'active', autorun: false, rootState: 'running', counts: flat[0]!.counts }, live: true, nodes: flat }));
});

test('a skipped parent is reported on its children', () => {
  const t = tree();
  t.setSkipped(t.get('/container parallelism'), true);
  assert.equal(details(t.get('/container parallelism/worker 0')).skippedByAncestor, '/container parallelism');
  assert.equal(details(t.get('/container parallelism')).skipped, true);
});

test('delta: changed nodes and their ancestors once each; a replaced container sends its subtree', () => {
  const t = tree();
  const d = delta(t, ['/container parallelism/worker 0', '/process parallelism']);
  assert.deepEqual(d.nodes.map((n) => n.path).sort(), ['/', '/container parallelism', '/container parallelism/worker 0', '/process parallelism']);
  assert.deepEqual(d.replaced, []);
  const r = delta(t, ['/container parallelism'], ['/container parallelism']);
  assert.deepEqual(r.replaced, ['/container parallelism']);
  assert.deepEqual(r.nodes.map((n) => n.path), ['/container parallelism', '/container parallelism/worker 0', '/']);
  assert.deepEqual(delta(t, ['/gone']).nodes, []);
});

test('a change on an ancestor affects what the selected node shows', () => {
  assert.ok(affects('/a', '/a/b'));
  assert.ok(affects('/', '/a'));
  assert.ok(affects('/a/b', '/a/b'));
  assert.ok(!affects('/a/b', '/a'));
  assert.ok(!affects('/ab', '/a/b'));
});

const dir = mkdtempSync(path.join(tmpdir(), 'pw-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('log reader: the tail of a big file from a line start, then what is appended', () => {
  const file = path.join(dir, 'e1.log');
  const lines = Array.from({ length: 1000 }, (_, i) => `line ${i}\n`).join('');
  writeFileSync(file, lines);
  const r = new LogReader(new LogFile(file));
  const first = r.initial(100);
  assert.ok(first.from > 0 && first.from < lines.length);
  assert.ok(first.text.startsWith('line '), first.text.slice(0, 20));
  assert.ok(first.text.endsWith('line 999\n'));
  assert.equal(first.to, Buffer.byteLength(lines));
  assert.equal(r.poll(), null);
  appendFileSync(file, 'more\n');
  const next = r.poll()!;
  assert.deepEqual([next.text, next.from], ['more\n', first.to]);
  assert.equal(r.poll(), null);
});

test('log reader: one request reads at most MAX_TAIL_BYTES, however much it asks for', () => {
  const file = path.join(dir, 'big.log');
  const line = `${'x'.repeat(1023)}\n`;
  const size = MAX_TAIL_BYTES + 2 * 1024 * 1024;
  writeFileSync(file, line.repeat(size / line.length));
  const first = new LogReader(new LogFile(file)).initial(512 * 1024 * 1024);
  assert.equal(first.to, size);
  assert.ok(first.from >= size - MAX_TAIL_BYTES, `read from ${first.from}: more than ${MAX_TAIL_BYTES} bytes`);
  assert.ok(first.text.length <= MAX_TAIL_BYTES && first.text.length >= MAX_TAIL_BYTES - line.length, String(first.text.length));
  assert.ok(first.text.startsWith('x') && first.text.endsWith('x\n'), 'from a line start to the end');
});

test('log reader: a UTF-8 character split across reads comes out whole; no file yet is empty', () => {
  const file = path.join(dir, 'e2.log');
  const r = new LogReader(new LogFile(file));
  assert.deepEqual(r.initial(1000), { text: '', from: 0, to: 0, size: 0 });
  const euro = Buffer.from('€'); // 3 bytes
  writeFileSync(file, Buffer.concat([Buffer.from('price: '), euro.subarray(0, 1)]));
  const a = r.poll()!;
  appendFileSync(file, Buffer.concat([euro.subarray(1), Buffer.from('5\n')]));
  const b = r.poll()!;
  assert.equal(a.text + b.text, 'price: €5\n');
});

test('log reader: far behind, the live tail skips ahead and says so', () => {
  const file = path.join(dir, 'e3.log');
  writeFileSync(file, '');
  const r = new LogReader(new LogFile(file), 1024);
  r.initial(1024);
  appendFileSync(file, 'x'.repeat(10_000));
  const c = r.poll()!;
  assert.match(c.text, /not shown live/);
  assert.equal(c.to, 10_000);
  assert.equal(c.to - c.from, 1024);
});

test('panel HTML: nonce-only scripts, no inline handlers, assets from the webview source', () => {
  const nonce = makeNonce();
  assert.match(nonce, /^[A-Za-z0-9_-]{24}$/);
  assert.notEqual(nonce, makeNonce());
  const html = panelHtml({ cspSource: 'https://file+.vscode-resource.vscode-cdn.net', script: 'https://x/dist/webview.js', css: 'https://x/dist/webview.css', codicons: 'https://x/dist/codicons/codicon.css' }, nonce, 'race <1>');
  const csp = /Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!;
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'(;|$)`));
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal((html.match(/<script/g) ?? []).length, 1);
  assert.match(html, new RegExp(`<script nonce="${nonce}" src="https://x/dist/webview.js"></script>`));
  assert.doesNotMatch(html, /\son[a-z]+=/i);
  assert.match(html, /<title>race &lt;1&gt;<\/title>/);
});
