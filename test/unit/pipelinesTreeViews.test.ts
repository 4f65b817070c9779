// What the Pipelines view lists: the definition's nodes as the language server evaluated them last
// (they follow edits after a run, with the run's states over the same paths), the Runs of this
// workspace's definitions only (or all, on request), and what a click on a node does.
// Against a stub of the vscode API and a real RunTree.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { NodeParams, NodeType, PipelineDocument, PipelineNode } from '../../protocol/pipeline';
import { EventEmitter, uri } from '../helpers/treeViewStub';
import { RunTree } from '../../runner/model/runTree';
import { inFolders, scopeRuns } from '../../extension/treeViews/runsScope';
import type { NodeItem } from '../../extension/treeViews/items';


const FILE = '/ws/build.py';
const params: NodeParams = { cpu: 1, gpu: 0, mem: 1, env: {}, image: null, requires_docker: false, max_time: 60, container_reuse_context: null, skip: false, suppress_errors: false, stop_on_error: true, max_concurrent: null, doc: null, title: null, tags: [] };
const spec = (p: string, type: NodeType, line: number, command?: string): PipelineNode => ({ path: p, type, params, parents: [], source: { file: FILE, line }, ...(command ? { command } : {}) });
const doc = (nodes: PipelineNode[]): PipelineDocument => ({ name: 'pipeline', file: FILE, nodes }) as unknown as PipelineDocument;

/** build.py's `pipeline` as first written (and run): /build/test, /build/lint, /gen (a Lazy). */
const FIRST = [spec('/', 'Serial', 3), spec('/build', 'Parallel', 4), spec('/build/test', 'Exec', 5, 'pytest'), spec('/build/lint', 'Exec', 6, 'ruff'), spec('/gen', 'Lazy', 7)];

async function setUp(opts: { runFile?: string; stored?: { id: string; file: string }[]; folders?: string[]; all?: boolean; nodes?: PipelineNode[] } = {}) {
  const { PipelinesTreeProvider } = await import('../../extension/treeViews/pipelinesTree');
  const tree = new RunTree(opts.nodes ?? FIRST);
  const run = { id: 'ka-ma', tree, meta: { name: 'pipeline', file: opts.runFile ?? FILE }, status: 'active', scheduler: { autorun: true }, hasSteps: false };
  let entryDoc = doc(opts.nodes ?? FIRST);
  const changes = new EventEmitter<{ run: typeof run; paths: Set<string> }[]>();
  const stored = (opts.stored ?? []).map((m) => ({ ...m, name: 'other', status: 'active', createdAt: 0, lastUsedAt: 0 }));
  const runs = { onDidChange: changes.event, active: () => [run], stored: () => stored, latestFor: (file: string, func: string) => (file === run.meta.file && func === 'pipeline' ? run : undefined) };
  const definitions = { onDidChange: new EventEmitter<void>().event, definitions: async () => (opts.folders && !opts.folders.includes('/ws') ? [] : [uri(FILE)]) };
  const treeSource = async () => ({ uri: `file://${FILE}`, isDefinition: true, trusted: true, pipelines: [{ name: 'pipeline', line: 1, default: true, document: entryDoc }], version: 1 });
  const hidden: number[] = [];
  let all = opts.all ?? false;
  const scope = { folders: () => opts.folders ?? ['/ws'], all: () => all, hiddenChanged: (n: number) => hidden.push(n) };
  const provider = new PipelinesTreeProvider(runs as never, definitions as never, treeSource as never, scope);
  const labels = (items: { label?: unknown; description?: unknown }[]) => items.map((i) => `${String(i.label)}: ${String(i.description ?? '')}`);
  return {
    provider,
    tree,
    run,
    hidden,
    labels,
    setAll: (v: boolean) => (all = v),
    /** The language server evaluated the edited definition. */
    edit: (nodes: PipelineNode[]) => {
      entryDoc = doc(nodes);
      provider.definitionChanged(uri(FILE) as never);
    },
  };
}

test('after a run, the definition’s tree follows edits: a renamed node shows its new name at once', async () => {
  const { provider, tree, labels, edit } = await setUp();
  tree.setLeafState(tree.get('/build/test'), 'done');
  const [def] = await provider.getChildren();
  const [fn] = await provider.getChildren(def);
  const [build] = await provider.getChildren(fn);
  assert.deepEqual(labels(await provider.getChildren(build)), ['test: done', 'lint: pending'], 'the run’s states over the definition’s nodes');

  // The user renames test → unit_test and changes lint's command; the language server re-evaluates.
  edit([spec('/', 'Serial', 3), spec('/build', 'Parallel', 4), spec('/build/unit_test', 'Exec', 5, 'pytest -q'), spec('/build/lint', 'Exec', 6, 'ruff check'), spec('/gen', 'Lazy', 7)]);
  const [def2] = await provider.getChildren();
  const [fn2] = await provider.getChildren(def2);
  const [build2] = await provider.getChildren(fn2);
  const rows = (await provider.getChildren(build2)) as NodeItem[];
  assert.deepEqual(labels(rows), ['unit_test: pytest -q', 'lint: pending'], 'the new name, not run yet (its command shows); lint keeps the run’s state');
  assert.equal(rows[0]!.run, undefined, 'the renamed node has no run');
  assert.equal(rows[1]!.spec.command, 'ruff check', 'a kept row takes the edited definition');
  assert.equal(provider.getParent(rows[0]!), build2, 'its parent is the run’s /build row (reveal works)');
  provider.dispose();
});

test('a Lazy node’s generated children come from the run under the pipeline function', async () => {
  const { provider, tree, labels } = await setUp();
  tree.graft(tree.get('/gen'), [spec('/', 'Parallel', 7), spec('/a', 'Exec', 7, 'echo a'), spec('/b', 'Exec', 7, 'echo b')]);
  const [def] = await provider.getChildren();
  const [fn] = await provider.getChildren(def);
  const gen = (await provider.getChildren(fn)).find((i) => i.label === 'gen')!;
  assert.notEqual(gen.collapsibleState, 0, 'the Lazy node opens');
  assert.deepEqual(labels(await provider.getChildren(gen)), ['a: pending', 'b: pending']);
  provider.dispose();
});

test('a click on a node: a run’s node opens its details in the panel; a node not run yet, its definition', async () => {
  const { provider, edit } = await setUp();
  edit([...FIRST, spec('/deploy', 'Exec', 9, 'make deploy')]);
  const [def] = await provider.getChildren();
  const [fn] = await provider.getChildren(def);
  const [build, , deploy] = await provider.getChildren(fn);
  assert.deepEqual(build!.command?.command, 'pipewright.openPanel');
  assert.deepEqual(build!.command?.arguments, ['ka-ma', '/build', { preserveFocus: true }]);
  assert.equal(deploy!.label, 'deploy');
  assert.equal(deploy!.command?.command, 'vscode.open');
  assert.equal((deploy!.command?.arguments?.[1] as { selection: { line: number } }).selection.line, 8, 'at its line');
  provider.dispose();
});

test('Runs lists this workspace’s runs; the others on request; nothing at the root when none is here', async () => {
  const other = { id: 'zo-ri', file: '/elsewhere/x.py' };
  const mine = { id: 'mi-ne', file: '/ws/sub/y.py' };
  const { provider, hidden, setAll } = await setUp({ stored: [other, mine] });
  const root = await provider.getChildren();
  const runsGroup = root.find((i) => i.label === 'Runs')!;
  assert.deepEqual((await provider.getChildren(runsGroup)).map((i) => i.id), ['run:ka-ma', 'run:mi-ne']);
  assert.deepEqual(hidden, [1], 'one run of another workspace left out (the welcome text offers it)');
  assert.match(String(runsGroup.description), /this workspace · 1 elsewhere/);
  setAll(true);
  provider.scopeChanged();
  assert.deepEqual((await provider.getChildren(runsGroup)).map((i) => i.id), ['run:ka-ma', 'run:zo-ri', 'run:mi-ne']);
  assert.equal(runsGroup.description, 'all workspaces');
  assert.deepEqual(hidden, [1, 0]);
  provider.dispose();

  // A workspace with no definitions and only others' runs: an empty root, so VS Code shows the welcome text.
  const empty = await setUp({ runFile: '/elsewhere/x.py', stored: [other], folders: ['/empty'] });
  assert.deepEqual(await empty.provider.getChildren(), []);
  assert.deepEqual(empty.hidden, [2]);
  empty.setAll(true);
  assert.deepEqual((await empty.provider.getChildren()).map((i) => i.label), ['Runs']);
  empty.provider.dispose();
});

test('a run’s tooltip spells out P Q R D E K', async () => {
  const { provider } = await setUp();
  const runsGroup = (await provider.getChildren()).find((i) => i.label === 'Runs')!;
  const [runItem] = await provider.getChildren(runsGroup);
  assert.match(String(runItem!.description), /P2 Q0 R0 D0 E0 K0/);
  assert.match(String(runItem!.tooltip), /P {2}pending {2}2\nQ {2}queued {2}0\nR {2}running {2}0\nD {2}done {2}0\nE {2}error {2}0\nK {2}killed {2}0/);
  provider.dispose();
});

test('a container of 1,201 nodes shows 500 rows and a row for the rest; each click on it shows 500 more', async () => {
  const wide = [spec('/', 'Serial', 1), spec('/wide', 'Parallel', 2), ...Array.from({ length: 1201 }, (_, i) => spec(`/wide/n${i}`, 'Exec', 3, 'true'))];
  const { provider, tree } = await setUp({ nodes: wide });
  tree.setLeafState(tree.get('/wide/n0'), 'done');
  const fired: unknown[] = [];
  provider.onDidChangeTreeData((item) => fired.push(item));
  const [def] = await provider.getChildren();
  const [fn] = await provider.getChildren(def);
  const [wideRow] = await provider.getChildren(fn);
  const rows = async () => (await provider.getChildren(wideRow)) as { label?: unknown; description?: unknown; command?: { command: string; arguments?: unknown[] } }[];
  let shown = await rows();
  assert.equal(shown.length, 501);
  assert.equal(shown[0]!.description, 'done');
  const more = shown[500]!;
  assert.deepEqual([more.label, more.description], ['… 701 more', 'show 500 more of 1,201']);
  assert.equal(more.command?.command, 'pipewright.showMoreNodes');
  assert.equal(provider.getParent(more as never), wideRow, 'its parent is the container (reveal works)');
  assert.deepEqual(await provider.getChildren(more as never), []);

  provider.showMore(more as never);
  assert.equal(fired.at(-1), wideRow, 'the container is refreshed');
  shown = await rows();
  assert.equal(shown.length, 1001);
  assert.equal(shown[999]!.label, 'n999');
  assert.deepEqual([shown[1000]!.label, shown[1000]!.description], ['… 201 more', 'show 201 more of 1,201']);
  provider.showMore(shown[1000] as never);
  shown = await rows();
  assert.equal(shown.length, 1201, 'all of them, no more row');
  assert.equal(shown.at(-1)!.label, 'n1200');

  // Under Runs, from the run's own tree: the same pages.
  const runsGroup = (await provider.getChildren()).find((i) => i.label === 'Runs')!;
  const [runItem] = await provider.getChildren(runsGroup);
  const [runWide] = await provider.getChildren(runItem);
  const underRun = await provider.getChildren(runWide);
  assert.equal(underRun.length, 501);
  assert.equal(underRun[500]!.label, '… 701 more');
  provider.dispose();
});

test('inFolders: inside a folder, not a sibling with the same prefix; no folder: everything', () => {
  assert.ok(inFolders('/ws/a/b.py', ['/ws']));
  assert.ok(!inFolders('/ws2/b.py', ['/ws']));
  assert.ok(!inFolders('/elsewhere/b.py', ['/ws', '/other']));
  assert.ok(inFolders('/other/b.py', ['/ws', '/other']));
  assert.ok(inFolders('/anything.py', []));
  assert.deepEqual(scopeRuns(['/ws/a.py', '/x/b.py'], (f) => f, ['/ws'], false), { shown: ['/ws/a.py'], hidden: 1 });
  assert.deepEqual(scopeRuns(['/ws/a.py', '/x/b.py'], (f) => f, ['/ws'], true), { shown: ['/ws/a.py', '/x/b.py'], hidden: 0 });
});
