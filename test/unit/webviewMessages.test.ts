// The panel protocol's guards: what either side accepts from the other.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { isHostToWebview, isNodeModification, isPanelState, isWebviewToHost, MAX_TAIL_BYTES, parseWebviewToHost } from '../../protocol/webviewMessages';

const counts = { pending: 1, queued: 0, running: 0, done: 2, error: 0, killed: 0 };
const summary = { id: 'bei-hou', name: 'race', file: '/x/race.py', createdAt: 1, lastUsedAt: 2, status: 'active', autorun: true, rootState: 'running', counts };
const node = { path: '/a', type: 'Exec', state: 'done', skipped: false, command: 'echo', counts, executions: [{ id: 'e1', startedAt: 1, endedAt: 2, exitCode: 0 }] };

test('webview → host: every message type is accepted when well formed', () => {
  const good = [
    { type: 'ready' },
    { type: 'select', path: '/a/b' },
    { type: 'subscribeLog', path: '/a', execution: 'e1', stream: 'combined', tailBytes: 1024 },
    { type: 'subscribeLog', path: '/a', execution: null, stream: 'stderr', tailBytes: 1024 },
    { type: 'toggleRun', on: true },
    { type: 'reset', path: '/' },
    { type: 'skip', path: '/a', skipped: true },
    { type: 'kill', path: '/a' },
    { type: 'modify', path: '/a', changes: { cpu: 10, command: 'x', env: { A: '1' }, image: null, skip: false }, thenReset: true },
    { type: 'sleep' },
    { type: 'wake' },
    { type: 'compare', a: { path: '/a', execution: 'e1' }, b: { path: '/b', execution: 'e2' } },
    { type: 'openLog', path: '/a', execution: 'e1', stream: 'combined' },
    { type: 'openSource', path: '/a' },
  ];
  for (const m of good) assert.ok(isWebviewToHost(m), JSON.stringify(m));
});

test('webview → host: malformed messages are refused', () => {
  const bad: unknown[] = [
    null,
    'ready',
    [],
    { type: 'nope' },
    { type: 'select' },
    { type: 'select', path: 'relative' },
    { type: 'select', path: 42 },
    { type: 'select', path: `/${'a'.repeat(4095)}` },
    { type: 'toggleRun', on: 'yes' },
    { type: 'skip', path: '/a' },
    { type: 'subscribeLog', path: '/a', execution: 'e1', stream: 'stdout', tailBytes: 10 },
    { type: 'subscribeLog', path: '/a', execution: 'e1', stream: 'combined', tailBytes: -1 },
    { type: 'subscribeLog', path: '/a', execution: 'e1', stream: 'combined', tailBytes: 1e12 },
    { type: 'subscribeLog', path: '/a', execution: 'e1', stream: 'combined', tailBytes: Infinity },
    { type: 'modify', path: '/a', changes: { cpu: '10' }, thenReset: false },
    { type: 'modify', path: '/a', changes: { cpu: 1 } },
    { type: 'modify', path: '/a', changes: { requires_docker: true }, thenReset: false },
    { type: 'modify', path: '/a', changes: { env: { A: 1 } }, thenReset: false },
    { type: 'modify', path: '/a', changes: { image: { name: 'x' } }, thenReset: false },
    { type: 'modify', path: '/a', changes: { env: ['A=1'] }, thenReset: false },
    { type: 'modify', path: '/a', changes: [], thenReset: false },
    { type: 'modify', path: '/a', changes: { cpu: undefined }, thenReset: false },
    { type: 'compare', a: { path: '/a', execution: 'e1' } },
    { type: 'openLog', path: '/a', execution: 'e1' },
  ];
  for (const m of bad) assert.equal(isWebviewToHost(m), false, JSON.stringify(m));
});

test('webview → host: a log request asks for at most 8 MiB of the end of a file', () => {
  const ask = (tailBytes: number) => parseWebviewToHost({ type: 'subscribeLog', path: '/a', execution: 'e1', stream: 'combined', tailBytes });
  assert.equal(MAX_TAIL_BYTES, 8 * 1024 * 1024);
  assert.ok(ask(MAX_TAIL_BYTES).ok);
  assert.deepEqual(ask(MAX_TAIL_BYTES + 1), { ok: false, error: `tailBytes: Invalid value: Expected <=${MAX_TAIL_BYTES} but received ${MAX_TAIL_BYTES + 1}` });
  assert.equal(ask(512 * 1024 * 1024).ok, false, 'the probe asked for 512 MiB');
});

test('webview → host: a refusal says what is wrong and where', () => {
  const cases: [unknown, RegExp][] = [
    [null, /^Invalid type: Expected Object but received null$/],
    [{ type: 'nope' }, /^type: Invalid type: Expected \("ready" \| .*\) but received "nope"$/],
    [{ type: 'select' }, /^path is missing$/],
    [{ type: 'kill', path: 'not-a-path' }, /^path: must start with "\/", got "not-a-path"$/],
    [{ type: 'select', path: `/${'a'.repeat(4095)}` }, /^path: must be shorter than 4096 characters$/],
    [{ type: 'toggleRun', on: 'yes' }, /^on: Invalid type: Expected boolean but received "yes"$/],
    [{ type: 'subscribeLog', path: '/a', execution: 'e1', stream: 'combined', tailBytes: 1e12 }, /^tailBytes: Invalid value: Expected <=8388608 but received 1000000000000$/],
    [{ type: 'modify', path: '/a', changes: { cpu: '10' }, thenReset: false }, /^changes\.cpu: Invalid type: Expected number but received "10"$/],
    [{ type: 'modify', path: '/a', changes: { requires_docker: true }, thenReset: false }, /^changes\.requires_docker: not one of command, cpu, gpu, mem, env, max_time, image, skip$/],
    [{ type: 'modify', path: '/a', changes: { env: { A: 1 } }, thenReset: false }, /^changes\.env\.A: Invalid type: Expected string but received 1$/],
    [{ type: 'modify', path: '/a', changes: { env: ['A=1'] }, thenReset: false }, /^changes\.env: Invalid type: Expected Object but received Array$/],
    [{ type: 'modify', path: '/a', changes: { image: { name: 'x' } }, thenReset: false }, /^changes\.image\.dockerfile is missing$/],
    [{ type: 'compare', a: { path: '/a', execution: 'e1' }, b: { path: 'b', execution: 'e2' } }, /^b\.path: must start with "\/"/],
  ];
  for (const [m, why] of cases) {
    const parsed = parseWebviewToHost(m);
    assert.ok(!parsed.ok, JSON.stringify(m));
    assert.match(parsed.error, why);
  }
});

test('webview → host: the checked message carries only the fields of its type', () => {
  assert.deepEqual(parseWebviewToHost({ type: 'kill', path: '/a', force: true }), { ok: true, value: { type: 'kill', path: '/a' } });
});

test('modifications: only the params a user may change, in their types', () => {
  assert.ok(isNodeModification({}));
  assert.ok(isNodeModification({ mem: 4, gpu: 1, max_time: 60 }));
  assert.ok(isNodeModification({ image: { name: 'x', dockerfile: null, dockerfile_text: null, context: null, copy_dir: null, install_packages: [], install_pip: [], path_map: {} } }));
  assert.equal(isNodeModification({ __proto__: { cpu: 1 }, stop_on_error: true }), false);
  assert.equal(isNodeModification({ skip: 'true' }), false);
});

test('host → webview: snapshots, deltas, details, logs, comparisons, errors', () => {
  const details = { path: '/a', type: 'Exec', state: 'done', skipped: false, skippedByAncestor: null, params: {}, set: [], origins: {}, envOrigins: {}, parents: [], source: { file: 'f', line: 1 }, executions: [] };
  const exec = { id: 'e1', path: '/a', command: 'x', params: {}, image: 'i', startedAt: 1, };
  const good = [
    { type: 'init', run: summary, live: true, nodes: [node] },
    { type: 'init', run: summary, live: false, nodes: [], select: '/a' },
    { type: 'nodes', run: summary, live: true, nodes: [node], replaced: ['/l'] },
    { type: 'details', details },
    { type: 'log', execution: 'e1', stream: 'combined', text: 'hi', reset: true, from: 0, to: 2, size: 2, done: false },
    { type: 'comparison', a: exec, b: exec, aPath: '/a', bPath: '/a' },
    { type: 'select', path: '/a' },
    { type: 'error', message: 'boom', op: 'modify' },
  ];
  for (const m of good) assert.ok(isHostToWebview(m), JSON.stringify(m).slice(0, 80));
  const bad = [
    { type: 'init', run: { ...summary, status: 'weird' }, live: true, nodes: [] },
    { type: 'init', run: summary, live: true, nodes: [{ ...node, state: 'exploded' }] },
    { type: 'nodes', run: summary, live: true, nodes: [] },
    { type: 'log', execution: 'e1', stream: 'combined', text: 5, reset: true, from: 0, to: 2, size: 2, done: false },
    { type: 'details', details: { ...details, executions: [{ id: 'e1' }] } },
    { type: 'error' },
  ];
  for (const m of bad) assert.equal(isHostToWebview(m), false, JSON.stringify(m).slice(0, 80));
});

test('panel state: what the serializer restores from', () => {
  assert.ok(isPanelState({ runId: 'bei-hou' }));
  assert.ok(isPanelState({ runId: 'bei-hou', selected: '/a', expanded: ['/', '/a'] }));
  assert.equal(isPanelState({}), false);
  assert.equal(isPanelState({ runId: 'x', selected: 'a' }), false);
  assert.equal(isPanelState({ runId: 'x', expanded: '/a' }), false);
  assert.equal(isPanelState({ runId: 'x', follow: 'yes' }), false);
  assert.equal(isPanelState(undefined), false);
});

test('nodes carry their DAG edges; malformed edges are refused', () => {
  const withEdges = { ...node, path: '/b', parents: ['/a'] };
  assert.ok(isHostToWebview({ type: 'init', run: summary, live: true, nodes: [node, withEdges] }));
  assert.ok(!isHostToWebview({ type: 'init', run: summary, live: true, nodes: [{ ...node, parents: 'x' }] }));
  assert.ok(!isHostToWebview({ type: 'init', run: summary, live: true, nodes: [{ ...node, parents: ['not a path'] }] }));
});
