import { strict as assert } from 'node:assert';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { parsePipeline, PipelineFormatError, readPipelineStream } from '../../evaluator/readPipeline';
import { node } from '../helpers/nodes';

function streamed(nodes: object[], header = '{"pipewright": 1, "name": "run", "file": "/x/p.py", "nodes": ['): string {
  return [header, ...nodes.map((n, i) => JSON.stringify(n) + (i < nodes.length - 1 ? ',' : '')), ']}', ''].join('\n');
}

test('reads the line-per-node layout, which is also plain JSON', async () => {
  const text = streamed([node('/', 'Serial'), node('/a', 'Exec', 'echo a')]);
  const doc = await readPipelineStream(Readable.from([text]));
  assert.equal(doc.name, 'run');
  assert.deepEqual(doc.nodes.map((n) => n.path), ['/', '/a']);
  assert.deepEqual(parsePipeline(text), doc);
});

test('reads input split at arbitrary chunk boundaries', async () => {
  const text = streamed([node('/', 'Parallel'), ...Array.from({ length: 50 }, (_, i) => node(`/n${i}`, 'Exec', `echo ${i}`))]);
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += 7) chunks.push(text.slice(i, i + 7));
  const doc = await readPipelineStream(Readable.from(chunks));
  assert.equal(doc.nodes.length, 51);
});

test('accepts a pretty-printed document', async () => {
  const text = JSON.stringify({ pipewright: 1, name: 'x', file: '/x', nodes: [node('/', 'Serial')] }, null, 2);
  assert.equal((await readPipelineStream(Readable.from([text]))).nodes.length, 1);
});

test('refuses an unknown format version, naming the place', async () => {
  const text = streamed([node('/', 'Serial')], '{"pipewright": 99, "name": "run", "file": "/x/p.py", "nodes": [');
  await assert.rejects(readPipelineStream(Readable.from([text]), 'p.json'), /p\.json:1: unsupported pipeline format version 99/);
});

test('refuses a truncated document', async () => {
  const text = streamed([node('/', 'Serial'), node('/a', 'Exec', 'true')]).replace(']}\n', '');
  await assert.rejects(readPipelineStream(Readable.from([text])), /truncated document/);
});

test('names the line of a bad node', async () => {
  const text = streamed([node('/', 'Serial'), { path: '/a', type: 'Exec', params: {} }]);
  await assert.rejects(readPipelineStream(Readable.from([text]), 'p.json'), (err: Error) => err instanceof PipelineFormatError && /p\.json:3: Exec node \/a has no command/.test(err.message));
});

test('reads node callbacks and refuses malformed ones, naming the node and the field', async () => {
  const ok = { ...node('/', 'Serial'), callbacks: [{ event: 'error', name: 'retry', args: { max_num_retries: 2 } }] };
  assert.deepEqual(parsePipeline(streamed([ok])).nodes[0]!.callbacks, ok.callbacks);
  const badEvent = { ...node('/', 'Serial'), callbacks: [{ event: 'exploded', name: 'retry', args: {} }] };
  assert.throws(() => parsePipeline(streamed([badEvent]), 'p.json'), /p\.json: node \/ has invalid callbacks: 0\.event: /);
  const extra = { ...node('/', 'Serial'), callbacks: [{ event: 'done', name: 'email', args: {}, when: 1 }] };
  await assert.rejects(readPipelineStream(Readable.from([streamed([extra])])), /node \/ has invalid callbacks: .*when/);
});

test("the store's copy is shortened (params as the line before, no empty parents, the header's file) and reads back the same", async () => {
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const { PipelineStore } = await import('../../runner/store/pipelineStore');
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-short-'));
  const nodes = [
    node('/', 'Parallel', undefined, { cpu: 0.5 }),
    ...Array.from({ length: 3 }, (_, i) => node(`/n${i}`, 'Exec', 'true', { cpu: 0.5 })),
    node('/other', 'Exec', 'echo other', { cpu: 2, env: { A: '1' } }, ['/n0']),
    { ...node('/n9', 'Exec', 'true', { cpu: 0.5 }), source: { file: '/x/helpers.py', line: 7 } },
  ].map((n) => (n.source.file === '/x/pipeline.py' ? { ...n, source: { file: '/x/p.py', line: 3 } } : n));
  const doc = { pipewright: 1 as const, name: 'run', file: '/x/p.py', nodes };
  const store = new PipelineStore(root);
  const { id } = store.create(structuredClone(doc));
  const lines = readFileSync(path.join(store.dir(id), 'pipeline.json'), 'utf8').split('\n');
  assert.equal(lines.filter((l) => l.includes('"params"')).length, 3, 'params once per run of equal params: /, /other, /n9');
  assert.equal(lines.filter((l) => l.includes('/x/p.py')).length, 1, "the header's file, once");
  assert.deepEqual(JSON.parse(JSON.stringify((await store.readDocument(id)).nodes)), doc.nodes);
  assert.deepEqual(parsePipeline(lines.join('\n')).nodes, doc.nodes, 'a whole parse reads it too');
  rmSync(root, { recursive: true, force: true });
});

test("a plain Exec line of the store's (path, command, empty set, source line) reads as JSON.parse reads it; any other line is parsed", async () => {
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const { PipelineStore } = await import('../../runner/store/pipelineStore');
  const { plainExecNode } = await import('../../evaluator/plainExecLine');
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-plain-'));
  const at = (n: ReturnType<typeof node>, line: number) => ({ ...n, set: [], source: { file: '/x/p.py', line } });
  const nodes = [
    at(node('/', 'Parallel'), 1),
    ...Array.from({ length: 3 }, (_, i) => at(node(`/g/n${i}`, 'Exec', 'true'), 7)),
    at(node('/g/quoted', 'Exec', 'echo "hi" \\ there'), 8),
    at(node('/g/é ü', 'Exec', 'echo 日本'), 9),
    at(node('/g/"odd"', 'Exec', 'true'), 10),
    at(node('/g/after', 'Exec', 'true', {}, ['/g/n0']), 11),
    { ...at(node('/g/set', 'Exec', 'true'), 12), set: ['cpu' as const] },
    { ...at(node('/g/elsewhere', 'Exec', 'true'), 13), source: { file: '/x/helpers.py', line: 13 } },
    at(node('/g/last', 'Exec', 'sleep 1'), 123456789),
  ];
  // Every node under /g: put the container in.
  nodes.splice(1, 0, at(node('/g', 'Serial'), 5));
  const doc = { pipewright: 1 as const, name: 'run', file: '/x/p.py', nodes };
  const store = new PipelineStore(root);
  const { id } = store.create(structuredClone(doc));
  const lines = readFileSync(path.join(store.dir(id), 'pipeline.json'), 'utf8').split('\n').slice(1, -2);
  const plain: string[] = [];
  lines.forEach((line, i) => {
    const read = plainExecNode(line, nodes[i - 1] ?? nodes[0]!, '/x/p.py');
    if (read) {
      plain.push(read.path);
      assert.deepEqual(read, nodes[i], line);
    }
  });
  assert.deepEqual(plain, ['/g/n0', '/g/n1', '/g/n2', '/g/é ü', '/g/last'], 'escapes, parents, a set, another file: parsed');
  assert.deepEqual(JSON.parse(JSON.stringify((await store.readDocument(id)).nodes)), doc.nodes);
  rmSync(root, { recursive: true, force: true });
});
