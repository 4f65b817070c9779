// A ClearML step's Logger reports (issue 12): the runner's reading of metrics.jsonl into the
// execution record, the panel's brief carrying them, the message schema, and the Metrics tab's
// pure model: a step's charts, every step's lines across a container, the chart geometry.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { ExecutionRecord, StepMetrics } from '../../protocol/runner';
import { isHostToWebview, type WebviewNode } from '../../protocol/webviewMessages';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfinedFolder, RefusedPath } from '../../runner/files/confinedFolder';
import { parseMetrics, readMetrics } from '../../runner/clearml/metrics';
import { brief } from '../../extension/panel/snapshot';
import { chartGeometry, metricsView, ticks } from '../../webview/metricsModel';

const lines = (...records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n');

test('metrics.jsonl: scalars by title and series in order, single values, texts, tables; junk lines counted', () => {
  const m = parseMetrics(
    lines(
      { type: 'scalar', title: 'loss', series: 'train', iteration: 0, value: 1, time: 1 },
      { type: 'scalar', title: 'loss', series: 'train', iteration: 1, value: 0.5 },
      { type: 'scalar', title: 'loss', series: 'test', iteration: 0, value: null },
      { type: 'single', name: 'accuracy', value: 0.9 },
      { type: 'text', text: 'hello' },
      { type: 'table', title: 'sample', series: 'head', rows: [['a', 'b'], [1, 2]] },
      { type: 'mystery' },
    ) + '\nnot json\n',
  )!;
  assert.deepEqual(m, {
    scalars: { loss: { train: [[0, 1], [1, 0.5]], test: [[0, null]] } },
    single: { accuracy: 0.9 },
    texts: ['hello'],
    tables: [{ title: 'sample', series: 'head', rows: [['a', 'b'], ['1', '2']] }],
    dropped: 2,
  });
  assert.equal(parseMetrics(''), undefined, 'no reports: nothing kept');
  const many = parseMetrics(Array.from({ length: 6000 }, (_, i) => JSON.stringify({ type: 'scalar', title: 't', series: 's', iteration: i, value: i })).join('\n'))!;
  assert.equal(many.scalars.t!.s!.length, 5000, 'an execution record stays small');
});

test('the runner reads a step\'s metrics.jsonl through real folders only: a link a step left is refused', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewright-metrics-'));
  try {
    mkdirSync(path.join(dir, 'clearml', 'ok'), { recursive: true });
    writeFileSync(path.join(dir, 'clearml', 'ok', 'metrics.jsonl'), `${JSON.stringify({ type: 'single', name: 'n', value: 1 })}\n`);
    mkdirSync(path.join(dir, 'clearml', 'evil'), { recursive: true });
    writeFileSync(path.join(dir, 'secret'), `${JSON.stringify({ type: 'text', text: 'secret' })}\n`);
    symlinkSync(path.join(dir, 'secret'), path.join(dir, 'clearml', 'evil', 'metrics.jsonl'));
    const data = new ConfinedFolder(dir);
    assert.deepEqual(readMetrics(data, 'ok')?.single, { n: 1 });
    assert.equal(readMetrics(data, 'none'), undefined);
    assert.throws(() => readMetrics(data, 'evil'), RefusedPath);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const metrics = (scalars: StepMetrics['scalars'], extra: Partial<StepMetrics> = {}): StepMetrics => ({ scalars, single: {}, texts: [], tables: [], dropped: 0, ...extra });

test('the panel\'s brief of an execution carries its reports, and the schema lets them through', () => {
  const record: ExecutionRecord = { id: 'e1', path: '/a', command: 'x', params: {} as ExecutionRecord['params'], image: 'i', startedAt: 1, step: { id: 'p.e1', queue: 'default', parameters: {}, metrics: metrics({ loss: { train: [[0, 1]] } }) } };
  const b = brief(record);
  assert.deepEqual(b.metrics?.scalars, { loss: { train: [[0, 1]] } });
  const node: WebviewNode = { path: '/a', type: 'Exec', state: 'done', skipped: false, counts: { pending: 0, queued: 0, running: 0, done: 1, error: 0, killed: 0 }, executions: [b] };
  const summary = { id: 'bei-hou', name: 'race', file: '/x/race.py', createdAt: 1, lastUsedAt: 2, status: 'active', autorun: true, rootState: 'done', counts: node.counts };
  assert.ok(isHostToWebview({ type: 'init', run: summary, live: true, nodes: [node] }));
  assert.equal(isHostToWebview({ type: 'init', run: summary, live: true, nodes: [{ ...node, executions: [{ ...b, metrics: 'loss' }] }] }), false);
});

function step(path: string, ...executions: Array<StepMetrics | undefined>): WebviewNode {
  return { path, type: 'Exec', state: 'done', skipped: false, counts: { pending: 0, queued: 0, running: 0, done: 1, error: 0, killed: 0 }, executions: executions.map((m, i) => ({ id: `e${i}`, startedAt: i, ...(m ? { metrics: m } : {}) })) };
}

test('a step shows its latest execution\'s series; a container one line per step and series, by title', () => {
  const train = step('/train', metrics({ loss: { old: [[0, 9]] } }), metrics({ loss: { train: [[0, 1], [1, 0.5]], test: [[0, 2]] } }, { single: { acc: 0.9 }, texts: ['hi'] }));
  const evaluate = step('/eval', metrics({ loss: { eval: [[0, 0.25]] }, accuracy: { eval: [[0, 0.8], [1, 0.85]] } }));
  const quiet = step('/quiet', metrics({ loss: { q: [[0, 1]] } }), undefined);
  const own = metricsView('/train', [train], true);
  assert.deepEqual(own.charts, [{ title: 'loss', lines: [{ label: 'train', step: 'train', points: [[0, 1], [1, 0.5]] }, { label: 'test', step: 'train', points: [[0, 2]] }] }]);
  assert.deepEqual(own.reports, [{ step: 'train', path: '/train', single: [['acc', 0.9]], texts: ['hi'], tables: [] }]);
  const across = metricsView('/', [train, evaluate, quiet], false);
  assert.equal(across.across, true);
  assert.deepEqual(across.charts.map((c) => [c.title, c.lines.map((l) => l.label)]), [
    ['loss', ['train · train', 'train · test', 'eval · eval']],
    ['accuracy', ['eval · eval']],
  ], 'a step whose latest execution reported nothing adds no line');
  const nan = metricsView('/x', [step('/x', metrics({ t: { s: [[0, null], [1, 2]] } }))], true);
  assert.deepEqual(nan.charts[0]!.lines[0]!.points, [[1, 2]], 'NaN points are left out of the line');
});

test('chart geometry: round ticks, points inside the plot area, a flat or single-point line drawn in the middle', () => {
  assert.deepEqual(ticks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(ticks(3, 47, 4), [20, 40]);
  assert.deepEqual(ticks(3, 47, 8), [10, 20, 30, 40]);
  const g = chartGeometry({ title: 'loss', lines: [{ label: 'a', step: 'a', points: [[0, 1], [2, 0]] }] }, 460, 200);
  const pts = g.lines[0]!.split(' ').map((p) => p.split(',').map(Number));
  assert.equal(pts[0]![0], g.left);
  assert.equal(pts[1]![0], g.right);
  assert.ok(pts[0]![1]! < pts[1]![1]!, 'a higher value is drawn higher');
  for (const [, y] of pts) assert.ok(y! >= g.top && y! <= g.bottom);
  assert.deepEqual(g.xTicks.map((t) => t.label), ['0', '0.5', '1', '1.5', '2']);
  const flat = chartGeometry({ title: 't', lines: [{ label: 'a', step: 'a', points: [[5, 3]] }] }, 460, 200);
  const [x, y] = flat.lines[0]!.split(',').map(Number);
  assert.equal(x, (flat.left + flat.right) / 2);
  assert.equal(y, (flat.top + flat.bottom) / 2);
});
