// The panel host end to end against a stub of the vscode API and a fake run: ready → init,
// select → details, runner events → one batched delta, logs from the file, controls to the run,
// bad messages refused.
import { strict as assert } from 'node:assert';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type { NodeParams, PipelineNode } from '../../protocol/pipeline';
import type { ExecutionRecord, RunnerEvent } from '../../protocol/runner';
import type { HostToWebview } from '../../protocol/webviewMessages';
import { RunTree } from '../../runner/model/runTree';
import { PipelineRun } from '../../runner/pipelineRun';
import { PipelineSpace } from '../../runner/store/pipelineSpace';

type Listener<T> = (e: T) => void;
function emitter<T>() {
  const ls: Listener<T>[] = [];
  return {
    event: (l: Listener<T>) => {
      ls.push(l);
      return { dispose: () => ls.splice(ls.indexOf(l), 1) };
    },
    fire: (e: T) => ls.slice().forEach((l) => l(e)),
  };
}

const posted: HostToWebview[] = [];
const fromWebview = emitter<unknown>();
const fakePanel = {
  title: '',
  iconPath: undefined as unknown,
  visible: true,
  reveal: () => {},
  dispose: () => {},
  onDidDispose: emitter<void>().event,
  onDidChangeViewState: emitter<void>().event,
  webview: {
    html: '',
    options: {},
    cspSource: 'vscode-resource:',
    asWebviewUri: (u: { path: string }) => ({ toString: () => `vscode-resource:${u.path}` }),
    postMessage: async (m: HostToWebview) => void posted.push(JSON.parse(JSON.stringify(m)) as HostToWebview),
    onDidReceiveMessage: fromWebview.event,
  },
};
const vscodeStub = {
  Uri: { joinPath: (u: { path: string }, ...p: string[]) => ({ path: path.join(u.path, ...p) }), file: (p: string) => ({ path: p }) },
  ViewColumn: { Active: -1, Beside: -2 },
  Range: class {},
  window: { createWebviewPanel: () => fakePanel, showTextDocument: async () => undefined },
};
const loader = Module as unknown as { _load: (req: string, ...rest: unknown[]) => unknown };
const realLoad = loader._load;
loader._load = (req: string, ...rest: unknown[]) => (req === 'vscode' ? vscodeStub : realLoad(req, ...rest));

const dir = mkdtempSync(path.join(tmpdir(), 'pw-panel-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const params: NodeParams = { cpu: 2, gpu: 0, mem: 2, env: {}, image: null, requires_docker: false, max_time: 60, container_reuse_context: null, skip: false, suppress_errors: false, stop_on_error: true, max_concurrent: null, doc: null, title: null, tags: [] };
const spec = (p: string, type: PipelineNode['type'], command?: string): PipelineNode => ({ path: p, type, params, set: p === '/' ? ['cpu'] : [], parents: [], source: { file: '/x/race.py', line: 1 }, ...(command ? { command } : {}) });

function fakeRun() {
  const tree = new RunTree([spec('/', 'Parallel'), spec('/a', 'Exec', 'echo a'), spec('/b', 'Exec', 'echo b')]);
  const calls: unknown[][] = [];
  const exec: ExecutionRecord = { id: 'e1', path: '/a', command: 'echo a', params, image: 'img', startedAt: 1};
  tree.get('/a').addExecution(exec);
  const run = {
    id: 'bei-hou',
    meta: { name: 'race', file: '/x/race.py' },
    tree,
    scheduler: { autorun: false },
    status: 'active',
    summary: () => ({ id: 'bei-hou', name: 'race', file: '/x/race.py', createdAt: 0, lastUsedAt: 0, status: 'active' as const, autorun: run.scheduler.autorun, rootState: tree.root.state, counts: { ...tree.root.leafCounts } }),
    setAutorun: (on: boolean) => {
      calls.push(['autorun', on]);
      run.scheduler.autorun = on;
    },
    reset: (p: string) => calls.push(['reset', p]),
    skip: (p: string, s: boolean) => calls.push(['skip', p, s]),
    kill: (p: string) => calls.push(['kill', p]),
    modify: (p: string, c: unknown) => {
      if ((c as { cpu?: number }).cpu === -1) throw new Error(`${p}: cpu must be a number >= 0, got -1`);
      calls.push(['modify', p, c]);
    },
    sleep: async () => void calls.push(['sleep']),
    wake: () => calls.push(['wake']),
    space: new PipelineSpace(dir),
    runAgain: (p: string, o?: { withoutCache?: boolean }) => PipelineRun.prototype.runAgain.call(run as unknown as PipelineRun, p, o),
  };
  run.space.ensure();
  return { run, calls, exec };
}

const settle = (ms = 200) => new Promise((r) => setTimeout(r, ms));

test('the panel host speaks the protocol with a run', async (t) => {
  const { PipelinePanel } = await import('../../extension/panel/pipelinePanel');
  const { run, calls, exec } = fakeRun();
  const events = emitter<{ run: unknown; event: RunnerEvent }>();
  const runs = { get: (id: string) => (id === run.id ? run : undefined), onDidChange: emitter<unknown[]>().event, onEvent: events.event, store: () => ({ exists: () => true }), open: async () => run };
  writeFileSync(run.space.log(exec.id).path, 'hello\n');

  await PipelinePanel.show({ runs: runs as never, extensionUri: { path: '/ext' } as never }, 'bei-hou', '/a');
  t.after(() => PipelinePanel.panels.get('bei-hou')?.dispose());
  assert.match(fakePanel.webview.html, /script-src 'nonce-[A-Za-z0-9_-]+'/);
  assert.match(fakePanel.webview.html, /vscode-resource:\/ext\/dist\/webview\.js/);
  assert.equal(posted.length, 0, 'nothing before the webview is ready');

  fromWebview.fire({ type: 'ready' });
  await settle(10);
  const init = posted.find((m) => m.type === 'init');
  assert.ok(init && init.type === 'init');
  assert.deepEqual(init.nodes.map((n) => n.path), ['/', '/a', '/b']);
  assert.equal(init.select, '/a');
  const det = posted.find((m) => m.type === 'details');
  assert.ok(det && det.type === 'details' && det.details.origins.cpu === '/');

  posted.length = 0;
  fromWebview.fire({ type: 'subscribeLog', path: '/a', execution: 'e1', stream: 'combined', tailBytes: 1024 });
  await settle(10);
  assert.deepEqual(
    posted.map((m) => m.type === 'log' && [m.text, m.reset, m.done]),
    [['hello\n', true, false]],
  );

  // Many runner events in a burst: one delta, and the new log bytes.
  posted.length = 0;
  appendFileSync(run.space.log(exec.id).path, 'world\n');
  run.tree.setLeafState(run.tree.get('/b'), 'running');
  for (let i = 0; i < 50; i++) events.fire({ run, event: { type: 'state', pipeline: 'bei-hou', time: i, path: '/b', state: 'running' } });
  events.fire({ run, event: { type: 'log', pipeline: 'bei-hou', time: 1, path: '/a', execution: 'e1', text: 'world\n' } });
  events.fire({ run: {}, event: { type: 'state', pipeline: 'other', time: 1, path: '/zzz', state: 'running' } });
  await settle(250);
  const deltas = posted.filter((m) => m.type === 'nodes');
  assert.equal(deltas.length, 1);
  assert.deepEqual(deltas[0]!.type === 'nodes' && deltas[0]!.nodes.map((n) => n.path).sort(), ['/', '/b']);
  assert.deepEqual(posted.filter((m) => m.type === 'log').map((m) => m.type === 'log' && m.text), ['world\n']);

  // A big append goes out in pieces (each decoded on the thread the webview shares), in byte order.
  const { LOG_MESSAGE_BYTES } = await import('../../extension/panel/pipelinePanel');
  posted.length = 0;
  const big = 'x'.repeat(99) + '\n';
  const appended = big.repeat(Math.ceil((2.5 * LOG_MESSAGE_BYTES) / big.length));
  appendFileSync(run.space.log(exec.id).path, appended);
  events.fire({ run, event: { type: 'log', pipeline: 'bei-hou', time: 2, path: '/a', execution: 'e1', text: '…' } });
  const logs = () => posted.flatMap((m) => (m.type === 'log' ? [m] : []));
  // A flush reads at most 1 MB of a live log; the host looks again until it has read everything.
  for (let waited = 0; logs().reduce((n, m) => n + m.text.length, 0) < appended.length && waited < 3000; waited += 50) await settle(50);
  const pieces = logs();
  assert.ok(pieces.length >= 3, `${pieces.length} messages`);
  assert.ok(pieces.every((m) => m.text.length <= LOG_MESSAGE_BYTES && !m.reset));
  assert.equal(pieces.map((m) => m.text).join(''), appended);
  for (let i = 1; i < pieces.length; i++) assert.equal(pieces[i]!.from, pieces[i - 1]!.to, 'contiguous byte ranges');
  assert.deepEqual([pieces[0]!.from, pieces[pieces.length - 1]!.to], [12, 12 + appended.length]);

  // Controls reach the run; a reset with Run off turns it on (as the tree's Run / Reset).
  fromWebview.fire({ type: 'modify', path: '/a', changes: { cpu: 10 }, thenReset: true });
  fromWebview.fire({ type: 'skip', path: '/b', skipped: true });
  fromWebview.fire({ type: 'toggleRun', on: false });
  await settle(10);
  assert.deepEqual(calls, [['modify', '/a', { cpu: 10 }], ['autorun', true], ['reset', '/a'], ['skip', '/b', true], ['autorun', false]]);

  // The runner refuses: the webview hears why. A malformed message is refused before the run.
  posted.length = 0;
  fromWebview.fire({ type: 'modify', path: '/a', changes: { cpu: -1 }, thenReset: false });
  fromWebview.fire({ type: 'kill', path: 'not-a-path' });
  fromWebview.fire({ type: 'compare', a: { path: '/a', execution: 'e1' }, b: { path: '/a', execution: 'e404' } });
  await settle(10);
  const errors = posted.flatMap((m) => (m.type === 'error' ? [m.message] : [])).join('\n');
  assert.equal(posted.filter((m) => m.type === 'error').length, 3);
  assert.match(errors, /cpu must be a number/);
  assert.match(errors, /does not understand \(path: must start with "\/", got "not-a-path"\)/);
  assert.match(errors, /no execution e404/);
  assert.ok(!calls.some((c) => c[0] === 'kill'));
});
