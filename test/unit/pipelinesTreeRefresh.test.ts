// When the Pipelines view refreshes which rows, against a stub of the vscode API and a real RunTree.
// Refreshing a container makes VS Code forget its children until it has fetched them again; a
// context-menu command on one of them then gets no element (microsoft/vscode#144250). So the last
// state of a run must come through the refresh of what holds its rows, with nothing after it.
import { strict as assert } from 'node:assert';
import { afterEach, mock, test } from 'node:test';
import type { NodeParams, NodeType, PipelineNode } from '../../protocol/pipeline';
import type { NodeState } from '../../protocol/runner';
import { EventEmitter, uri } from '../helpers/treeViewStub';
import { RunTree } from '../../runner/model/runTree';


const FILE = '/ws/pipeline.py';
const params: NodeParams = { cpu: 1, gpu: 0, mem: 1, env: {}, image: null, requires_docker: false, max_time: 60, container_reuse_context: null, skip: false, suppress_errors: false, stop_on_error: true, max_concurrent: null, doc: null, title: null, tags: [] };
const spec = (p: string, type: NodeType, command?: string): PipelineNode => ({ path: p, type, params, parents: [], source: { file: FILE, line: 1 }, ...(command ? { command } : {}) });

/** The view on one run of pipeline.py's `pipeline` (data, then pick_best), every row fetched as VS Code does. */
async function setUp() {
  const { PipelinesTreeProvider } = await import('../../extension/treeViews/pipelinesTree');
  const tree = new RunTree([spec('/', 'Parallel'), spec('/data', 'Exec', 'make data'), spec('/pick_best', 'Exec', 'pick')]);
  const run = { id: 'ka-ma', tree, meta: { name: 'pipeline', file: FILE }, status: 'active', scheduler: { autorun: true }, hasSteps: true };
  const changes = new EventEmitter<{ run: typeof run; paths: Set<string> }[]>();
  const runs = { onDidChange: changes.event, active: () => [run], stored: () => [], latestFor: (file: string, func: string) => (file === FILE && func === 'pipeline' ? run : undefined) };
  const definitions = { onDidChange: new EventEmitter<void>().event, definitions: async () => [uri(FILE)] };
  const treeSource = async () => ({ uri: `file://${FILE}`, isDefinition: true, trusted: true, pipelines: [{ name: 'pipeline', line: 1, default: true }], version: 1 });
  const provider = new PipelinesTreeProvider(runs as never, definitions as never, treeSource as never);
  const fired: string[] = [];
  provider.onDidChangeTreeData((item) => fired.push(item?.id ?? '<root>'));
  // What VS Code fetches for a view showing the pipeline function and Runs › ka-ma open.
  const [def, runsGroup] = await provider.getChildren();
  const [pipelineFn] = await provider.getChildren(def);
  const [runItem] = await provider.getChildren(runsGroup);
  await provider.getChildren(pipelineFn);
  await provider.getChildren(runItem);
  const set = (p: string, state: NodeState) => tree.setLeafState(tree.get(p), state);
  /** The RunManager's batch: these paths changed. Returns what the view refreshed meanwhile. */
  const change = (...paths: string[]) => {
    const from = fired.length;
    changes.fire([{ run, paths: new Set(paths) }]);
    return fired.slice(from);
  };
  const rows = async () => Object.fromEntries((await provider.getChildren(pipelineFn!)).map((i) => [i.label, i.description]));
  return { provider, fired, set, change, rows, pipelineFnId: pipelineFn!.id!, runItemId: runItem!.id! };
}

afterEach(() => mock.timers.reset());

test('a run that settles refreshes what holds its rows at once, its rows through them, and nothing after', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 100_000 });
  const { provider, fired, set, change, rows, pipelineFnId, runItemId } = await setUp();
  const data = (owner: string) => `node:${owner}:ka-ma:/data`;
  const pickBest = (owner: string) => `node:${owner}:ka-ma:/pick_best`;

  set('/data', 'running');
  assert.deepEqual(change('/data', '/'), [data(pipelineFnId), data(runItemId), runItemId, pipelineFnId], 'busy: rows at once, then containers (the throttle is idle)');
  mock.timers.tick(300);
  set('/data', 'done');
  set('/pick_best', 'running');
  assert.deepEqual(change('/data', '/pick_best'), [data(pipelineFnId), data(runItemId), pickBest(pipelineFnId), pickBest(runItemId)], 'busy: containers wait for the throttle');
  mock.timers.tick(300);
  set('/pick_best', 'done');
  const settling = change('/pick_best', '/');
  assert.deepEqual(settling.sort(), [pipelineFnId, runItemId].sort(), 'settled: the containers now, covering their rows (no row fired by itself)');
  assert.match((await rows()).pick_best ?? '', /^done\b/, 'the rows they fetch again show the last state');
  const from = fired.length;
  mock.timers.tick(10_000);
  assert.deepEqual(fired.slice(from), [], 'no refresh after the last state (it would make VS Code forget the rows the user acts on)');

  // A reset whose whole execution fits in one batch (a cached step): the same.
  set('/data', 'pending');
  set('/data', 'running');
  set('/data', 'done');
  assert.deepEqual(change('/data', '/').sort(), [pipelineFnId, runItemId].sort());
  const after = fired.length;
  mock.timers.tick(10_000);
  assert.deepEqual(fired.slice(after), []);
  provider.dispose();
});

test('a container due when the throttle fires a little early by Date.now() refreshes then, not a second later', async () => {
  // The throttle's timer counts from the event loop's clock, Date.now() from the wall clock.
  let clock = 100_000;
  mock.timers.enable({ apis: ['setTimeout'] });
  mock.method(Date, 'now', () => clock);
  const { provider, set, change, pipelineFnId, runItemId } = await setUp();
  set('/data', 'running');
  assert.ok(change('/data', '/').includes(pipelineFnId), 'the throttle is idle: at once');
  clock += 300;
  set('/data', 'done');
  set('/pick_best', 'running');
  assert.ok(!change('/data', '/pick_best').includes(pipelineFnId), 'within the second: waits');
  const fired: string[] = [];
  provider.onDidChangeTreeData((item) => fired.push(item?.id ?? '<root>'));
  clock += 699; // the timer (700 ms) fires when Date.now() says 999 ms since the last refresh
  mock.timers.tick(700);
  assert.deepEqual(fired.sort(), [pipelineFnId, runItemId].sort());
  provider.dispose();
});

test('while a run is busy, containers refresh about once a second however many batches come', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 100_000 });
  const { provider, fired, set, change, pipelineFnId } = await setUp();
  set('/data', 'running');
  change('/data', '/');
  const from = fired.length;
  for (let i = 0; i < 30; i++) {
    mock.timers.tick(100);
    change('/data'); // a log line, say: the row refreshes, its containers are due again
  }
  const containerRefreshes = fired.slice(from).filter((id) => id === pipelineFnId).length;
  assert.ok(containerRefreshes >= 2 && containerRefreshes <= 3, `${containerRefreshes} refreshes of the pipeline function in 3 s`);
  provider.dispose();
});

test('a root refresh VS Code dropped (the Runs group never fetched) is fired again at a later change, then no more', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 100_000 });
  const { PipelinesTreeProvider } = await import('../../extension/treeViews/pipelinesTree');
  const tree = new RunTree([spec('/', 'Parallel'), spec('/data', 'Exec', 'make data')]);
  const run = { id: 'ka-ma', tree, meta: { name: 'pipeline', file: FILE }, status: 'active', scheduler: { autorun: true }, hasSteps: true };
  let active: (typeof run)[] = [];
  const changes = new EventEmitter<{ run: typeof run; paths: Set<string>; added?: true }[]>();
  const runs = { onDidChange: changes.event, active: () => active, stored: () => [], latestFor: () => undefined };
  const definitions = { onDidChange: new EventEmitter<void>().event, definitions: async () => [uri(FILE)] };
  const provider = new PipelinesTreeProvider(runs as never, definitions as never, (async () => undefined) as never);
  const fired: string[] = [];
  provider.onDidChangeTreeData((item) => fired.push(item?.id ?? '<root>'));
  assert.equal((await provider.getChildren()).length, 1, 'no runs: the definition only');

  active = [run];
  changes.fire([{ run, paths: new Set(), added: true }]);
  assert.deepEqual(fired, ['<root>'], 'the new run refreshes the root');
  // VS Code drops that refresh: it never fetches the root again.
  mock.timers.tick(500);
  changes.fire([{ run, paths: new Set(['/data']) }]);
  assert.deepEqual(fired, ['<root>'], 'within the grace: VS Code may still be fetching');
  mock.timers.tick(2000);
  changes.fire([{ run, paths: new Set(['/data']) }]);
  mock.timers.tick(1000);
  assert.deepEqual(fired, ['<root>', '<root>'], 'past the grace, the root still lacks the Runs group: fired again');

  const root = await provider.getChildren();
  assert.equal(root.length, 2, 'the Runs group is there once fetched');
  mock.timers.tick(5000);
  changes.fire([{ run, paths: new Set(['/data']) }]);
  mock.timers.tick(5000);
  assert.deepEqual(fired, ['<root>', '<root>'], 'what VS Code fetched matches: nothing more');
  provider.dispose();
});

test('a stored run that went live is listed again when VS Code dropped the refresh: same id, another row', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 100_000 });
  const { PipelinesTreeProvider } = await import('../../extension/treeViews/pipelinesTree');
  const { RunItem } = await import('../../extension/treeViews/items');
  const tree = new RunTree([spec('/', 'Parallel'), spec('/data', 'Exec', 'make data')]);
  const meta = { id: 'ka-ma', name: 'pipeline', file: FILE, status: 'done', createdAt: 1 };
  const run = { id: 'ka-ma', tree, meta, status: 'active', scheduler: { autorun: true }, hasSteps: false };
  let active: (typeof run)[] = [];
  let stored: (typeof meta)[] = [meta];
  const changes = new EventEmitter<{ run: typeof run; paths: Set<string>; added?: true }[]>();
  const runs = { onDidChange: changes.event, active: () => active, stored: () => stored, latestFor: () => undefined };
  const definitions = { onDidChange: new EventEmitter<void>().event, definitions: async () => [uri(FILE)] };
  const provider = new PipelinesTreeProvider(runs as never, definitions as never, (async () => undefined) as never);
  const fired: string[] = [];
  provider.onDidChangeTreeData((item) => fired.push(item?.id ?? '<root>'));
  const root = await provider.getChildren();
  const [storedItem] = await provider.getChildren(root[root.length - 1]);
  assert.ok(storedItem instanceof RunItem && !storedItem.run, 'listed as stored');

  // A control opens it in the runner service: live now, under the same id.
  active = [run];
  stored = [];
  changes.fire([{ run, paths: new Set(), added: true }]);
  assert.deepEqual(fired, ['<root>']);
  // VS Code drops that refresh; the run's next changes come past the grace.
  mock.timers.tick(2500);
  changes.fire([{ run, paths: new Set(['/data']) }]);
  mock.timers.tick(1000);
  assert.ok(fired.includes('runs'), `the Runs group is fetched again (fired: ${fired.join(', ')})`);
  const [liveItem] = await provider.getChildren(root[root.length - 1]);
  assert.ok(liveItem instanceof RunItem && (liveItem.run as unknown) === run, 'its row is the live run');
  provider.dispose();
});
