// A large run in the panel: the host sends a page of a container's children at a time, the webview
// shows "… N more" and asks for the next page; updates reach only nodes the webview holds. Host
// (extension/panel/panelPages.ts) and webview state (webview/state.ts) talk through real messages.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { isHostToWebview, parseWebviewToHost, type HostToWebview, type WebviewToHost } from '../../protocol/webviewMessages';
import { CHILD_PAGE, PanelPages, SEND_WHOLE_UP_TO } from '../../extension/panel/panelPages';
import { flatten } from '../../extension/panel/snapshot';
import { RunTree } from '../../runner/model/runTree';
import { MORE } from '../../webview/nodeIndex';
import { applyHostMessage, applyUiAction, childRequests, initialState, type ViewState } from '../../webview/state';
import { node } from '../helpers/nodes';

const summary = { id: 'p', name: 'p', file: '/x/p.py', createdAt: 1, lastUsedAt: 1, status: 'active' as const, autorun: false, rootState: 'pending' as const, counts: { pending: 0, queued: 0, running: 0, done: 0, error: 0, killed: 0 } };

/** Three groups of 2,000 Exec nodes, and one small group. */
function largeTree(): RunTree {
  const nodes = [node('/', 'Serial')];
  for (const g of ['g0', 'g1', 'g2']) {
    nodes.push(node(`/${g}`, 'Parallel'));
    for (let i = 0; i < 2000; i++) nodes.push(node(`/${g}/n${i}`, 'Exec', 'true'));
  }
  nodes.push(node('/small', 'Parallel'), node('/small/x', 'Exec', 'true'));
  return new RunTree(nodes);
}

/** The webview's side: what it asks (checked as the host checks it), and what it receives. */
class Webview {
  readonly s: ViewState = initialState({ runId: 'p' });
  constructor(private readonly host: PanelPages) {}
  receive(m: HostToWebview): void {
    assert.ok(isHostToWebview(JSON.parse(JSON.stringify(m))), 'a message the webview accepts');
    applyHostMessage(this.s, m);
  }
  rows() {
    return this.s.index.rows(this.s.expanded);
  }
  /** What the webview asks when it draws its rows, answered by the host. */
  draw(): WebviewToHost[] {
    const asks = childRequests(this.s, this.rows());
    for (const ask of asks) this.answer(ask);
    return asks;
  }
  answer(ask: WebviewToHost): void {
    const parsed = parseWebviewToHost(JSON.parse(JSON.stringify(ask)));
    assert.ok(parsed.ok && parsed.value.type === 'children');
    if (parsed.value.type === 'children') this.receive({ type: 'nodes', run: summary, live: false, nodes: this.host.children(parsed.value.path, parsed.value.from), replaced: [] });
  }
}

test('a large run goes to the panel a page of children at a time, asked for as containers open', () => {
  const tree = largeTree();
  assert.ok(tree.byPath.size > SEND_WHOLE_UP_TO);
  const host = new PanelPages(() => tree);
  const view = new Webview(host);
  const nodes = host.init();
  assert.deepEqual(nodes.map((n) => [n.path, n.childCount]), [['/', 4], ['/g0', 2000], ['/g1', 2000], ['/g2', 2000], ['/small', 1]], 'the root and its first page; each container says how many children it has');
  view.receive({ type: 'init', run: summary, live: false, nodes });
  assert.deepEqual([...view.s.expanded], ['/'], 'only the root opens by itself');
  assert.deepEqual(view.draw(), []);

  // Opening /g1 asks for its first page; the rows end with "… 1,500 more".
  applyUiAction(view.s, { type: 'expand', path: '/g1', open: true });
  assert.deepEqual(view.draw(), [{ type: 'children', path: '/g1', from: 0 }]);
  let rows = view.rows();
  assert.equal(rows.filter((r) => r.path.startsWith('/g1/')).length, CHILD_PAGE);
  const more = rows.find((r) => r.more);
  assert.deepEqual(more, { path: `/g1${MORE}`, depth: 2, hasChildren: false, expanded: false, more: { container: '/g1', loaded: 500, remaining: 1500 } });
  assert.equal(rows.indexOf(more!) + 1, rows.findIndex((r) => r.path === '/g2'), 'after the children, before the next sibling');

  // "More": the next page, once however often it is clicked before it comes.
  const asks = [...applyUiAction(view.s, { type: 'moreChildren', path: '/g1' }).send, ...applyUiAction(view.s, { type: 'moreChildren', path: '/g1' }).send];
  assert.deepEqual(asks, [{ type: 'children', path: '/g1', from: 500 }]);
  view.answer(asks[0]!);
  rows = view.rows();
  assert.deepEqual(
    rows.filter((r) => r.path.startsWith('/g1/')).map((r) => r.path),
    Array.from({ length: 1000 }, (_, i) => `/g1/n${i}`),
    'in the pipeline order',
  );
  assert.equal(rows.find((r) => r.more)!.more!.remaining, 1000);

  // Updates: a node the webview does not hold is not sent, but its containers' counts are.
  tree.setLeafState(tree.get('/g0/n7'), 'done');
  tree.setLeafState(tree.get('/g1/n7'), 'done');
  tree.setLeafState(tree.get('/g1/n1999'), 'done');
  const update = host.update(['/g0/n7', '/g1/n7', '/g1/n1999'], []);
  assert.deepEqual(update.nodes.map((n) => n.path).sort(), ['/', '/g0', '/g1', '/g1/n7']);
  view.receive({ type: 'nodes', run: summary, live: false, ...update });
  assert.equal(view.s.index.get('/g1')!.counts.done, 2);
  assert.equal(view.s.index.get('/g1/n1999'), undefined);

  // "Expand all" opens what came already; it asks for nothing.
  applyUiAction(view.s, { type: 'expandAll', open: true });
  assert.deepEqual([...view.s.expanded].sort(), ['/', '/g1']);
  assert.deepEqual(view.draw(), []);
});

test('selecting a node the webview does not hold sends the way to it first', () => {
  const tree = largeTree();
  const host = new PanelPages(() => tree);
  const view = new Webview(host);
  view.receive({ type: 'init', run: summary, live: false, nodes: host.init('/g2/n1234') });
  assert.ok(view.s.index.get('/g2/n1234'), 'init carries the way to the selected node');
  const way = host.reveal('/g0/n600');
  assert.deepEqual([way[0]!.path, way.at(-1)!.path, way.length], ['/g0/n0', '/g0/n999', 1000], 'the pages up to it, in order');
  assert.deepEqual(host.reveal('/g0/n600'), [], 'sent once');
  view.receive({ type: 'nodes', run: summary, live: false, nodes: way, replaced: [] });
  view.receive({ type: 'select', path: '/g0/n600' });
  assert.equal(view.s.selected, '/g0/n600');
  assert.ok(view.s.expanded.has('/g0'));
  assert.equal(view.rows().find((r) => r.more?.container === '/g0')!.more!.remaining, 1000);
});

test("a container whose children are replaced (a Lazy's) sends its first page again", () => {
  const tree = largeTree();
  const host = new PanelPages(() => tree);
  host.init();
  host.children('/g1', 0);
  tree.replaceChildren(tree.get('/g1'), Array.from({ length: 700 }, (_, i) => node(`/g1/m${i}`, 'Exec', 'true')));
  const { nodes, replaced } = host.update([], ['/g1']);
  assert.deepEqual(replaced, ['/g1']);
  assert.equal(nodes.length, CHILD_PAGE);
  assert.equal(host.holds('/g1/m499'), true);
  assert.equal(host.holds('/g1/m500'), false);
  assert.deepEqual(host.children('/g1', 500).map((n) => n.path), Array.from({ length: 200 }, (_, i) => `/g1/m${500 + i}`));
});

test('a run sent whole that grows past the limit (a Lazy generating thousands) is sent again in pages', () => {
  const tree = new RunTree([node('/', 'Serial'), node('/gen', 'Parallel')]);
  const host = new PanelPages(() => tree);
  host.init();
  assert.equal(host.outgrown, false);
  tree.replaceChildren(tree.get('/gen'), Array.from({ length: SEND_WHOLE_UP_TO }, (_, i) => node(`/gen/n${i}`, 'Exec', 'true')));
  assert.equal(host.outgrown, true, 'the panel sends init again rather than the whole subtree');
  const nodes = host.init();
  assert.deepEqual(nodes.map((n) => [n.path, n.childCount]), [['/', 1], ['/gen', SEND_WHOLE_UP_TO]]);
  assert.equal(host.outgrown, false);
});

test('a request for children that is not a page is refused by the schema, naming what is wrong', () => {
  for (const [bad, why] of [
    [{ type: 'children', path: '/g1', from: -1 }, /from/],
    [{ type: 'children', path: '/g1', from: 1.5 }, /from/],
    [{ type: 'children', path: 'g1', from: 0 }, /path/],
  ] as const) {
    const parsed = parseWebviewToHost(bad);
    assert.equal(parsed.ok, false, JSON.stringify(bad));
    if (!parsed.ok) assert.match(parsed.error, why);
  }
  // A page past the end, or of a path the webview cannot hold, is nothing.
  const tree = largeTree();
  const host = new PanelPages(() => tree);
  host.init();
  assert.deepEqual(host.children('/g1', 5000), []);
  assert.deepEqual(host.children('/g1', 500), [], 'past what was sent: a gap');
  assert.equal(host.holds('/g1/n0'), false, 'nothing counted as sent');
  assert.deepEqual(host.children('/g1/n0', 0), []);
  assert.deepEqual(host.children('/nowhere', 0), []);
});

test('a small run goes whole, as before', () => {
  const tree = new RunTree([node('/', 'Serial'), node('/a', 'Exec', 'true'), node('/b', 'Parallel'), node('/b/c', 'Exec', 'true')]);
  const host = new PanelPages(() => tree);
  assert.deepEqual(host.init(), flatten(tree.root));
  assert.equal(host.init()[0]!.childCount, undefined);
  assert.deepEqual(host.reveal('/b/c'), []);
});
