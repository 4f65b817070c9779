// The Metrics tab: what pipeline steps reported through ClearML's Logger. Scalars as line charts
// (SVG; a step's own series, or for a container one line per step and series so steps compare),
// then single values, texts and tables per step. The data and geometry come from metricsModel.ts.
import { h, iconButton } from './dom';
import { parentPath } from '../protocol/pipeline';
import { chartGeometry, metricsView, type Chart, type MetricsData, type StepReports } from './metricsModel';
import type { UiAction, ViewState } from './state';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 460;
const HEIGHT = 200;
/** Line colours: theme chart colours, in turn (styles.css .series-N). */
const SERIES_COLOURS = 8;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, ...children: (Node | string)[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

function drawChart(chart: Chart): HTMLElement {
  const g = chartGeometry(chart, WIDTH, HEIGHT);
  const plot = svg('svg', { class: 'metrics-svg', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: WIDTH, height: HEIGHT, role: 'img', 'aria-label': `${chart.title}: ${chart.lines.map((l) => l.label).join(', ')}` });
  for (const t of g.yTicks) {
    plot.append(svg('line', { class: 'metrics-grid', x1: g.left, x2: g.right, y1: t.at, y2: t.at }));
    plot.append(svg('text', { class: 'metrics-tick', x: g.left - 4, y: t.at + 3, 'text-anchor': 'end' }, t.label));
  }
  for (const t of g.xTicks) plot.append(svg('text', { class: 'metrics-tick', x: t.at, y: g.bottom + 14, 'text-anchor': 'middle' }, t.label));
  plot.append(svg('line', { class: 'metrics-axis', x1: g.left, x2: g.right, y1: g.bottom, y2: g.bottom }));
  plot.append(svg('line', { class: 'metrics-axis', x1: g.left, x2: g.left, y1: g.top, y2: g.bottom }));
  chart.lines.forEach((line, i) => {
    const cls = `series-${i % SERIES_COLOURS}`;
    const last = line.points[line.points.length - 1];
    const tip = `${line.label}: ${line.points.length} point${line.points.length === 1 ? '' : 's'}${last ? `, last ${last[1]} at ${last[0]}` : ''}`;
    if (line.points.length === 1) {
      const [x, y] = g.lines[i]!.split(',');
      plot.append(svg('circle', { class: `metrics-dot ${cls}`, cx: x!, cy: y!, r: 3 }, svg('title', {}, tip)));
    } else {
      plot.append(svg('polyline', { class: `metrics-line ${cls}`, points: g.lines[i]! }, svg('title', {}, tip)));
    }
  });
  const legend = h('ul', { class: 'metrics-legend' });
  chart.lines.forEach((line, i) => legend.append(h('li', {}, h('span', { class: `metrics-swatch series-${i % SERIES_COLOURS}` }), line.label)));
  return h('section', { class: 'metrics-chart', 'data-title': chart.title }, h('h3', {}, chart.title), plot, legend);
}

function drawReports(r: StepReports, across: boolean): HTMLElement {
  const out = h('section', { class: 'metrics-reports', 'data-step': r.step });
  if (across) out.append(h('h3', {}, r.step));
  if (r.single.length) {
    const table = h('table', { class: 'metrics-table' });
    for (const [name, value] of r.single) table.append(h('tr', {}, h('th', {}, name), h('td', { class: 'mono' }, value === null ? 'NaN' : String(value))));
    out.append(table);
  }
  for (const t of r.tables) {
    const table = h('table', { class: 'metrics-table' });
    t.rows.forEach((row, i) => table.append(h('tr', {}, ...row.map((c) => h(i === 0 ? 'th' : 'td', {}, c)))));
    out.append(h('div', { class: 'subtle' }, `${t.title} · ${t.series}`), table);
  }
  for (const text of r.texts) out.append(h('pre', { class: 'metrics-text' }, text));
  return out;
}

export class MetricsView {
  readonly el = h('div', { class: 'metrics', role: 'region', 'aria-label': 'Metrics' });
  private readonly title = h('span', { class: 'graph-title' });
  private readonly scroller = h('div', { class: 'metrics-scroll' });
  private readonly up: HTMLButtonElement;
  private path = '/';
  /** What was drawn last (the data): nothing is redrawn when a state change left it alone. */
  private key = '';

  constructor(private readonly dispatch: (a: UiAction) => void) {
    this.up = iconButton('arrow-up', 'Reports of every step of the enclosing container', () => {
      const p = parentPath(this.path);
      if (p) this.dispatch({ type: 'select', path: p });
    });
    this.el.append(h('div', { class: 'pane-toolbar graph-toolbar' }, this.up, this.title), this.scroller);
  }

  render(s: ViewState): void {
    const path = s.selected && s.index.get(s.selected) ? s.selected : '/';
    const node = s.index.get(path);
    const isLeaf = node?.type === 'Exec';
    const view: MetricsData = metricsView(path, node ? (isLeaf ? [node] : s.index.leaves(path)) : [], isLeaf);
    const key = JSON.stringify(view);
    if (key === this.key) return;
    this.key = key;
    this.path = path;
    this.up.disabled = path === '/';
    const name = path === '/' ? (s.run?.name ?? '/') : path;
    this.title.textContent = isLeaf ? `${name} · its latest execution's reports` : `${name} · reports of every step below, latest executions`;
    const parts: HTMLElement[] = [];
    if (view.charts.length) parts.push(h('div', { class: 'metrics-charts' }, ...view.charts.map(drawChart)));
    for (const r of view.reports) parts.push(drawReports(r, view.across));
    if (!parts.length) {
      parts.push(h('div', { class: 'empty' }, isLeaf
        ? 'This step reported nothing (Logger.report_scalar, report_text, report_table…). Select a container for every step\'s reports.'
        : 'No step below reported anything yet (ClearML\'s Logger: report_scalar, report_text, report_table…).'));
    }
    this.scroller.replaceChildren(...parts);
  }
}
