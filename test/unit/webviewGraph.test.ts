// The graph tab's layout: layers from DAG edges, crossings, no overlaps, edges between the right
// boxes, the structure of containers without edges, cycles, the cap, which container shows.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { StateCounts } from '../../protocol/runner';
import type { WebviewNode } from '../../protocol/webviewMessages';
import { graphContainer, graphInputs, layoutGraph, type GraphInput, type GraphLayout } from '../../webview/graphLayout';
import { NodeIndex } from '../../webview/nodeIndex';

const node = (path: string, ...parents: string[]): GraphInput => (parents.length ? { path, parents } : { path });
const layerOf = (l: GraphLayout) => Object.fromEntries(l.boxes.map((b) => [b.path, b.layer]));
const boxOf = (l: GraphLayout, path: string) => l.boxes.find((b) => b.path === path)!;

function assertNoOverlap(l: GraphLayout): void {
  for (let i = 0; i < l.boxes.length; i++)
    for (let j = i + 1; j < l.boxes.length; j++) {
      const a = l.boxes[i]!;
      const b = l.boxes[j]!;
      const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
      assert.ok(apart, `${a.path} and ${b.path} overlap`);
    }
  for (const b of l.boxes) assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.w <= l.width && b.y + b.h <= l.height, `${b.path} inside the drawing`);
}

/** Each edge starts on its source's right side and ends on its target's left side. */
function assertEdgesConnect(l: GraphLayout): void {
  for (const e of l.edges) {
    const a = boxOf(l, e.from);
    const b = boxOf(l, e.to);
    const first = e.points[0]!;
    const last = e.points[e.points.length - 1]!;
    assert.equal(first.x, a.x + a.w, `${e.from} → ${e.to} leaves its source`);
    assert.ok(first.y > a.y && first.y < a.y + a.h);
    assert.equal(last.x, b.x, `${e.from} → ${e.to} reaches its target`);
    assert.ok(last.y > b.y && last.y < b.y + b.h);
  }
}

/** Crossings between edge segments of adjacent layers (by the order of their ends). */
function crossings(l: GraphLayout): number {
  const segs = l.edges.map((e) => [e.points[0]!, e.points[1]!] as const);
  let n = 0;
  for (let i = 0; i < segs.length; i++)
    for (let j = i + 1; j < segs.length; j++) {
      const [a0, a1] = segs[i]!;
      const [b0, b1] = segs[j]!;
      if (a0.x !== b0.x || a1.x !== b1.x) continue;
      if ((a0.y - b0.y) * (a1.y - b1.y) < 0) n++;
    }
  return n;
}

test('graph layout: a diamond takes three layers, d after both b and c', () => {
  const l = layoutGraph([node('/a'), node('/b', '/a'), node('/c', '/a'), node('/d', '/b', '/c')], 'Parallel');
  assert.equal(l.mode, 'dag');
  assert.deepEqual(layerOf(l), { '/a': 0, '/b': 1, '/c': 1, '/d': 2 });
  assert.equal(l.edges.length, 4);
  assert.deepEqual(l.edges.map((e) => `${e.from}>${e.to}`).sort(), ['/a>/b', '/a>/c', '/b>/d', '/c>/d']);
  assert.ok(boxOf(l, '/a').x < boxOf(l, '/b').x && boxOf(l, '/b').x === boxOf(l, '/c').x && boxOf(l, '/c').x < boxOf(l, '/d').x);
  assertNoOverlap(l);
  assertEdgesConnect(l);
});

test('graph layout: the ClearML example — data, three trainings, pick best', () => {
  const steps = [node('/data'), node('/train 0', '/data'), node('/train 1', '/data'), node('/train 2', '/data'), node('/pick best', '/train 0', '/train 1', '/train 2')];
  const l = layoutGraph(steps, 'Parallel');
  assert.deepEqual(layerOf(l), { '/data': 0, '/train 0': 1, '/train 1': 1, '/train 2': 1, '/pick best': 2 });
  const trains = ['/train 0', '/train 1', '/train 2'].map((p) => boxOf(l, p));
  assert.deepEqual(
    trains.map((b) => b.y),
    [...trains.map((b) => b.y)].sort((a, b) => a - b),
    'the trainings keep their order',
  );
  // The fan-out and fan-in are centred on the middle training.
  assert.equal(boxOf(l, '/data').y, trains[1]!.y);
  assert.equal(boxOf(l, '/pick best').y, trains[1]!.y);
  assert.equal(crossings(l), 0);
  assertNoOverlap(l);
  assertEdgesConnect(l);
});

test('graph layout: a long edge passes beside the middle layer, not through its boxes', () => {
  // a → b → c and a → c: the a → c edge spans two layers.
  const l = layoutGraph([node('/a'), node('/b', '/a'), node('/c', '/a', '/b')], 'Parallel');
  assert.deepEqual(layerOf(l), { '/a': 0, '/b': 1, '/c': 2 });
  const long = l.edges.find((e) => e.from === '/a' && e.to === '/c')!;
  assert.equal(long.points.length, 4);
  const b = boxOf(l, '/b');
  const [, p1, p2] = long.points;
  assert.equal(p1!.y, p2!.y);
  assert.ok(p1!.y < b.y || p1!.y > b.y + b.h, 'the dummy point is outside /b');
  assertNoOverlap(l);
  assertEdgesConnect(l);
});

test('graph layout: barycenter ordering removes the crossings of a crossed input order', () => {
  // Two chains given crosswise: x1 → y2, x2 → y1 with y1 listed before y2.
  const l = layoutGraph([node('/x1'), node('/x2'), node('/y1', '/x2'), node('/y2', '/x1')], 'Parallel');
  assert.equal(crossings(l), 0);
  assertEdgesConnect(l);
});

test('graph layout: nodes without edges are still placed in a DAG', () => {
  const l = layoutGraph([node('/a'), node('/b', '/a'), node('/lonely'), node('/c', '/outside')], 'Parallel');
  assert.equal(l.boxes.length, 4);
  assert.equal(layerOf(l)['/lonely'], 0);
  assert.equal(layerOf(l)['/c'], 0, 'a parent outside the container is no edge');
  assert.equal(l.edges.length, 1);
  assertNoOverlap(l);
});

test('graph layout: a Serial (and a Lazy) without edges chains its children left to right', () => {
  for (const type of ['Serial', 'Lazy'] as const) {
    const l = layoutGraph([node('/s/one'), node('/s/two'), node('/s/three')], type);
    assert.equal(l.mode, 'chain');
    assert.deepEqual(layerOf(l), { '/s/one': 0, '/s/two': 1, '/s/three': 2 });
    assert.deepEqual(
      l.edges.map((e) => [e.from, e.to, e.implicit]),
      [
        ['/s/one', '/s/two', true],
        ['/s/two', '/s/three', true],
      ],
    );
    assert.equal(new Set(l.boxes.map((b) => b.y)).size, 1, 'one row');
    assertNoOverlap(l);
    assertEdgesConnect(l);
  }
});

test('graph layout: a Parallel without edges stacks its children in one layer', () => {
  const l = layoutGraph([node('/p/a'), node('/p/b'), node('/p/c')], 'Parallel');
  assert.equal(l.mode, 'stack');
  assert.deepEqual(layerOf(l), { '/p/a': 0, '/p/b': 0, '/p/c': 0 });
  assert.equal(l.edges.length, 0);
  assert.deepEqual(
    l.boxes.map((b) => b.path),
    ['/p/a', '/p/b', '/p/c'],
  );
  assert.ok(boxOf(l, '/p/a').y < boxOf(l, '/p/b').y && boxOf(l, '/p/b').y < boxOf(l, '/p/c').y);
  assertNoOverlap(l);
});

test('graph layout: a cycle does not hang, and every node is placed', () => {
  const l = layoutGraph([node('/a', '/c'), node('/b', '/a'), node('/c', '/b'), node('/d', '/c'), node('/self', '/self')], 'Parallel');
  assert.equal(l.boxes.length, 5);
  assert.equal(l.edges.length, 4, 'a self edge is dropped');
  assertNoOverlap(l);
  for (const e of l.edges) assert.ok(e.points.length >= 2);
});

test('graph layout: empty, and capped above the limit with the rest counted', () => {
  const empty = layoutGraph([], 'Serial');
  assert.deepEqual([empty.boxes.length, empty.edges.length, empty.width, empty.height], [0, 0, 0, 0]);
  const many = Array.from({ length: 2500 }, (_, i) => node(`/p/n${i}`, ...(i ? [`/p/n${i - 1}`] : [])));
  const t0 = performance.now();
  const l = layoutGraph(many, 'Parallel');
  assert.ok(performance.now() - t0 < 2000, 'fast');
  assert.equal(l.boxes.length, 2000);
  assert.equal(l.omitted, 500);
  assert.equal(l.edges.length, 1999);
  const wide = layoutGraph(Array.from({ length: 3000 }, (_, i) => node(`/w/${i}`)), 'Parallel');
  assert.equal(wide.boxes.length, 2000);
  assertNoOverlap(layoutGraph(Array.from({ length: 300 }, (_, i) => node(`/w/${i}`, ...(i > 2 ? [`/w/${i % 3}`, `/w/${i - 3}`] : []))), 'Parallel'));
});

test('graph container: the selected container, a leaf’s container, else the root; inputs carry parents', () => {
  const zero = (): StateCounts => ({ pending: 0, queued: 0, running: 0, done: 0, error: 0, killed: 0 });
  const n = (path: string, type: WebviewNode['type'], parents?: string[]): WebviewNode => ({ path, type, state: 'pending', skipped: false, counts: zero(), executions: [], ...(parents ? { parents } : {}) });
  const idx = new NodeIndex();
  idx.reset([n('/', 'Parallel'), n('/data', 'Exec'), n('/train', 'Exec', ['/data']), n('/eval', 'Serial', ['/train']), n('/eval/x', 'Exec')]);
  assert.equal(graphContainer(idx, null), '/');
  assert.equal(graphContainer(idx, '/nope'), '/');
  assert.equal(graphContainer(idx, '/'), '/');
  assert.equal(graphContainer(idx, '/train'), '/');
  assert.equal(graphContainer(idx, '/eval'), '/eval');
  assert.equal(graphContainer(idx, '/eval/x'), '/eval');
  assert.deepEqual(graphInputs(idx, '/'), [{ path: '/data' }, { path: '/train', parents: ['/data'] }, { path: '/eval', parents: ['/train'] }]);
  const l = layoutGraph(graphInputs(idx, '/'), idx.get('/')!.type);
  assert.deepEqual(layerOf(l), { '/data': 0, '/train': 1, '/eval': 2 });
});
