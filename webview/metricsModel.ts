// The Metrics tab's data, pure (no DOM): what pipeline steps reported through ClearML's Logger
// (kept with each execution, sent on its brief) as charts. A step shows its own latest reports; a
// container shows every step below it, one line per step and series, so runs of steps compare at
// a glance. Also the geometry of a chart (scales, ticks, SVG points), so the view only draws.
import type { StepMetrics } from '../protocol/runner';
import type { WebviewNode } from '../protocol/webviewMessages';
import { nodeName } from '../protocol/pipeline';

export interface ChartLine {
  label: string;
  /** The step it comes from (for a container's charts). */
  step: string;
  points: Array<[number, number]>;
}

export interface Chart {
  title: string;
  lines: ChartLine[];
}

export interface StepReports {
  step: string;
  path: string;
  single: Array<[string, number | null]>;
  texts: string[];
  tables: StepMetrics['tables'];
}

export interface MetricsData {
  /** The node the reports are of: a step, or a container (across its steps). */
  path: string;
  across: boolean;
  charts: Chart[];
  reports: StepReports[];
}

/** The latest execution's reports of an Exec node (an execution without any: an earlier one's are not shown). */
export function latestMetrics(node: WebviewNode): StepMetrics | undefined {
  const last = node.executions[node.executions.length - 1];
  return last?.metrics ?? undefined;
}

function finitePoints(points: unknown): Array<[number, number]> {
  if (!Array.isArray(points)) return [];
  const out: Array<[number, number]> = [];
  for (const p of points) {
    if (Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number' && Number.isFinite(p[0]) && Number.isFinite(p[1])) out.push([p[0], p[1]]);
  }
  return out;
}

/**
 * Charts for the selected node: a step's own (a line per series), or a container's steps' (a line
 * per step and series, labelled `step · series`; charts by title in the order first seen).
 */
export function metricsView(path: string, leaves: readonly WebviewNode[], isLeaf: boolean): MetricsData {
  const charts = new Map<string, Chart>();
  const reports: StepReports[] = [];
  for (const leaf of leaves) {
    const m = latestMetrics(leaf);
    if (!m) continue;
    const step = nodeName(leaf.path);
    for (const [title, series] of Object.entries(m.scalars ?? {})) {
      let chart = charts.get(title);
      if (!chart) charts.set(title, (chart = { title, lines: [] }));
      for (const [name, points] of Object.entries(series ?? {})) {
        chart.lines.push({ label: isLeaf ? name : `${step} · ${name}`, step, points: finitePoints(points) });
      }
    }
    const single = Object.entries(m.single ?? {});
    const texts = Array.isArray(m.texts) ? m.texts : [];
    const tables = Array.isArray(m.tables) ? m.tables : [];
    if (single.length || texts.length || tables.length) reports.push({ step, path: leaf.path, single, texts, tables });
  }
  return { path, across: !isLeaf, charts: [...charts.values()], reports };
}

export interface Geometry {
  width: number;
  height: number;
  /** The plot area inside the axes. */
  left: number;
  top: number;
  right: number;
  bottom: number;
  xTicks: Array<{ value: number; at: number; label: string }>;
  yTicks: Array<{ value: number; at: number; label: string }>;
  /** SVG `points` of each line, in the chart's order. */
  lines: string[];
}

/** Round tick values covering [lo, hi]: 1, 2 or 5 times a power of ten apart. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

/** Where everything of a chart goes in a width x height SVG. */
export function chartGeometry(chart: Chart, width: number, height: number): Geometry {
  const left = 48;
  const top = 8;
  const right = width - 8;
  const bottom = height - 22;
  const all = chart.lines.flatMap((l) => l.points);
  let [x0, x1, y0, y1] = all.length
    ? [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0])), Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))]
    : [0, 1, 0, 1];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - Math.abs(y0 || 1) * 0.5, y1 + Math.abs(y1 || 1) * 0.5];
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const sx = (x: number) => left + ((x - x0) / (x1 - x0)) * (right - left);
  const sy = (y: number) => bottom - ((y - y0) / (y1 - y0)) * (bottom - top);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    width,
    height,
    left,
    top,
    right,
    bottom,
    xTicks: ticks(x0, x1).map((value) => ({ value, at: round(sx(value)), label: formatTick(value) })),
    yTicks: ticks(y0, y1, 4).map((value) => ({ value, at: round(sy(value)), label: formatTick(value) })),
    lines: chart.lines.map((l) => l.points.map(([x, y]) => `${round(sx(x))},${round(sy(y))}`).join(' ')),
  };
}
