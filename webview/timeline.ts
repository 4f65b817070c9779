// The timeline: a Gantt chart of every execution (rows follow the tree), the selected node's
// history with its command and params as run against now, and a comparison of two executions.
import type { NodeState } from '../protocol/runner';
import type { ExecutionRecord } from '../protocol/runner';
import type { NodeParams } from '../protocol/pipeline';
import { diffLines, diffWords, isUnchanged, type DiffOp } from './diff';
import { clear, h, icon, stateClass } from './dom';
import { executionState, formatBytes, formatChange, formatDateTime, formatDuration, formatTime, outcome } from './format';
import { nodeName } from '../protocol/pipeline';
import type { Row } from './nodeIndex';
import { currentExecution, type UiAction, type ViewState } from './state';
import { ticks, type Bar, type TimelineModel } from './timelineModel';

const ROW_H = 22;
const AXIS_H = 24;
const LABEL_W = 180;

const STATE_VARS: Record<NodeState | 'skipped', [string, string]> = {
  pending: ['--vscode-disabledForeground', '#888888'],
  queued: ['--vscode-charts-yellow', '#cca700'],
  running: ['--vscode-charts-blue', '#3794ff'],
  done: ['--vscode-testing-iconPassed', '#388a34'],
  error: ['--vscode-testing-iconFailed', '#f14c4c'],
  killed: ['--vscode-charts-orange', '#d18616'],
  skipped: ['--vscode-disabledForeground', '#888888'],
};

export class TimelineView {
  readonly el = h('div', { class: 'timeline', role: 'region', 'aria-label': 'Timeline' });
  private readonly scroller = h('div', { class: 'gantt-scroll', tabindex: 0, 'aria-label': 'Gantt chart of executions; click a bar to select it, Ctrl+click to compare' });
  private readonly spacer = h('div', { class: 'gantt-spacer' });
  private readonly canvas = h('canvas', { class: 'gantt-canvas' }) as HTMLCanvasElement;
  private readonly tip = h('div', { class: 'gantt-tip', role: 'tooltip' });
  private readonly history = h('div', { class: 'history' });
  private rows: Row[] = [];
  private s!: ViewState;
  private frame = 0;
  private hitBars: { x0: number; x1: number; row: number; bar: Bar }[] = [];
  private timer: number | undefined;

  constructor(
    private readonly model: TimelineModel,
    private readonly dispatch: (a: UiAction) => void,
  ) {
    this.scroller.append(h('div', { class: 'gantt-sticky' }, this.canvas), this.spacer);
    this.el.append(h('div', { class: 'gantt' }, this.scroller, this.tip), this.history);
    this.scroller.addEventListener('scroll', () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(this.scroller);
    this.scroller.addEventListener('click', (e) => this.onClick(e));
    this.scroller.addEventListener('mousemove', (e) => this.onHover(e));
    this.scroller.addEventListener('mouseleave', () => (this.tip.hidden = true));
    this.tip.hidden = true;
    // The chart paints theme colours into a canvas: a theme change (the body's class) repaints it.
    new MutationObserver(() => this.schedule()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  setRows(rows: Row[]): void {
    this.rows = rows;
    this.spacer.style.height = `${AXIS_H + rows.length * ROW_H}px`;
  }

  render(s: ViewState, visible: boolean): void {
    this.s = s;
    if (!visible) {
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    // Running bars grow: redraw each second while anything runs.
    const running = (s.run?.counts.running ?? 0) > 0;
    if (running && !this.timer) this.timer = window.setInterval(() => this.schedule(), 1000);
    if (!running && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    this.schedule();
    this.renderHistory();
  }

  private schedule(): void {
    if (this.frame || !this.s) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private colour(state: NodeState | 'skipped'): string {
    const [name, fallback] = STATE_VARS[state];
    return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
  }

  private draw(): void {
    const width = this.scroller.clientWidth;
    const height = this.scroller.clientHeight;
    if (!width || !height) return;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = width * dpr;
    this.canvas.height = height * dpr;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.scale(dpr, dpr);
    const css = getComputedStyle(document.body);
    const fg = css.getPropertyValue('--vscode-foreground').trim() || '#ccc';
    const subtle = css.getPropertyValue('--vscode-descriptionForeground').trim() || '#999';
    const grid = css.getPropertyValue('--vscode-editorIndentGuide-background1').trim() || css.getPropertyValue('--vscode-panel-border').trim() || '#8884';
    const selBg = css.getPropertyValue('--vscode-list-inactiveSelectionBackground').trim() || '#8883';
    const font = css.getPropertyValue('--vscode-font-family').trim() || 'sans-serif';
    ctx.font = `12px ${font}`;
    ctx.textBaseline = 'middle';
    const now = Date.now();
    const range = this.model.range(now);
    const plotX = LABEL_W;
    const plotW = Math.max(10, width - LABEL_W - 12);
    const scroll = this.scroller.scrollTop;
    this.hitBars = [];
    if (!range) {
      ctx.fillStyle = subtle;
      ctx.fillText('Nothing has run yet: turn Run on, or reset a node.', 12, AXIS_H + 14);
      return;
    }
    const x = (t: number) => plotX + ((t - range.start) / (range.end - range.start)) * plotW;
    const first = Math.max(0, Math.floor(scroll / ROW_H));
    const last = Math.min(this.rows.length, Math.ceil((scroll + height - AXIS_H) / ROW_H) + 1);
    const comparing = new Set(this.s.compare.map((r) => `${r.path}#${r.execution}`));
    for (let i = first; i < last; i++) {
      const row = this.rows[i]!;
      const y = AXIS_H + i * ROW_H - scroll;
      if (row.path === this.s.selected) {
        ctx.fillStyle = selBg;
        ctx.fillRect(0, y, width, ROW_H);
      }
      const skipped = this.s.index.skippedBy(row.path);
      ctx.fillStyle = skipped ? subtle : fg;
      const name = row.path === '/' ? (this.s.run?.name ?? '/') : nodeName(row.path);
      ctx.fillText(clip(ctx, name, LABEL_W - 12 - row.depth * 10), 6 + row.depth * 10, y + ROW_H / 2);
      const bars = this.model.bars(row.path, now);
      const container = this.s.index.get(row.path)?.type !== 'Exec';
      for (const bar of bars) {
        const x0 = x(bar.start);
        const x1 = Math.max(x0 + 2, x(bar.end));
        ctx.globalAlpha = container ? 0.45 : 0.9;
        ctx.fillStyle = this.colour(bar.state);
        const pad = container ? 7 : 4;
        ctx.fillRect(x0, y + pad, x1 - x0, ROW_H - 2 * pad);
        ctx.globalAlpha = 1;
        if (bar.execution && (comparing.has(`${row.path}#${bar.execution}`) || (row.path === this.s.selected && bar.execution === currentExecution(this.s)?.id))) {
          ctx.strokeStyle = fg;
          ctx.lineWidth = 2;
          ctx.strokeRect(x0 - 1, y + pad - 1, x1 - x0 + 2, ROW_H - 2 * pad + 2);
        }
        this.hitBars.push({ x0, x1, row: i, bar });
      }
      if (skipped && !bars.length) {
        ctx.fillStyle = subtle;
        ctx.fillText('skipped', plotX + 4, y + ROW_H / 2);
      }
    }
    // Axis on top, drawn last so rows scroll under it.
    ctx.fillStyle = css.getPropertyValue('--vscode-editor-background').trim() || '#1e1e1e';
    ctx.fillRect(0, 0, width, AXIS_H);
    ctx.strokeStyle = grid;
    ctx.lineWidth = 1;
    for (const t of ticks(range.start, range.end, plotW)) {
      const tx = Math.round(x(t.t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(tx, AXIS_H - 4);
      ctx.lineTo(tx, height);
      ctx.stroke();
      ctx.fillStyle = subtle;
      ctx.fillText(t.label, tx + 3, AXIS_H / 2);
    }
    ctx.fillStyle = subtle;
    ctx.fillText(formatTime(range.start), 6, AXIS_H / 2);
  }

  private hit(e: MouseEvent): { row: Row; bar?: Bar } | null {
    const rect = this.scroller.getBoundingClientRect();
    const px = e.clientX - rect.left;
    const py = e.clientY - rect.top;
    if (py < AXIS_H) return null;
    const i = Math.floor((py - AXIS_H + this.scroller.scrollTop) / ROW_H);
    const row = this.rows[i];
    if (!row) return null;
    const hitBar = this.hitBars.find((b) => b.row === i && px >= b.x0 - 2 && px <= b.x1 + 2);
    return { row, bar: hitBar?.bar };
  }

  private onClick(e: MouseEvent): void {
    const hit = this.hit(e);
    if (!hit) return;
    if (hit.bar?.execution && (e.ctrlKey || e.metaKey || e.shiftKey)) {
      this.dispatch({ type: 'compareToggle', ref: { path: hit.row.path, execution: hit.bar.execution } });
      return;
    }
    this.dispatch({ type: 'select', path: hit.row.path });
    if (hit.bar?.execution) {
      const node = this.s.index.get(hit.row.path);
      const lastId = node?.executions[node.executions.length - 1]?.id;
      this.dispatch({ type: 'execution', id: hit.bar.execution === lastId ? null : hit.bar.execution });
    }
  }

  private onHover(e: MouseEvent): void {
    const hit = this.hit(e);
    if (!hit?.bar) {
      this.tip.hidden = true;
      return;
    }
    const { bar, row } = hit;
    const node = this.s.index.get(row.path);
    let text: string;
    if (bar.execution) {
      const ex = node?.executions.find((x) => x.id === bar.execution);
      text = ex ? `${row.path}\n${bar.execution} · ${formatTime(ex.startedAt)} · ${formatDuration(bar.end - bar.start)} · ${outcome(ex)} · peak ${formatBytes(ex.peakMemoryBytes)}` : row.path;
    } else {
      const r = this.model.rounds(row.path, Date.now())[bar.round ?? 0];
      text = r ? `${row.path} run ${(bar.round ?? 0) + 1}\n${formatTime(r.start)} · ${formatDuration(r.end - r.start)} · ${r.leaves} exec nodes ran${r.errors ? ` · ${r.errors} failed` : ''}` : row.path;
    }
    this.tip.textContent = text;
    this.tip.hidden = false;
    const rect = this.el.getBoundingClientRect();
    this.tip.style.left = `${Math.min(e.clientX - rect.left + 12, rect.width - 260)}px`;
    this.tip.style.top = `${e.clientY - rect.top + 14}px`;
  }

  // ---- history and comparison -------------------------------------------------------------

  private renderHistory(): void {
    clear(this.history);
    const s = this.s;
    const node = s.selected ? s.index.get(s.selected) : undefined;
    if (s.comparison) this.history.append(this.comparison());
    else if (s.compare.length === 1) this.history.append(h('p', { class: 'hint' }, icon('info'), ` Comparing ${s.compare[0]!.execution} of ${s.compare[0]!.path}: pick one more (checkbox, or Ctrl+click a bar).`));
    if (!node) return;
    this.history.append(h('h3', {}, `History of ${node.path === '/' ? (s.run?.name ?? '/') : node.path}`));
    if (node.type === 'Exec') this.execHistory();
    else this.roundHistory();
  }

  private execHistory(): void {
    const s = this.s;
    const node = s.index.get(s.selected!)!;
    if (!node.executions.length) {
      this.history.append(h('p', { class: 'empty' }, 'Not run yet.'));
      return;
    }
    const cur = currentExecution(s);
    const table = h('table', { class: 'history-table' });
    table.append(h('thead', {}, h('tr', {}, h('th', {}, 'Compare'), h('th', {}, '#'), h('th', {}, 'Started'), h('th', {}, 'Took'), h('th', {}, 'Result'), h('th', {}, 'Peak memory'), h('th', {}, 'vs previous'))));
    const body = h('tbody');
    node.executions.forEach((e, i) => {
      const dur = (e.endedAt ?? Date.now()) - e.startedAt;
      const prev = node.executions[i - 1];
      const prevDur = prev ? (prev.endedAt ?? Date.now()) - prev.startedAt : 0;
      const checked = s.compare.some((r) => r.path === node.path && r.execution === e.id);
      const box = h('input', { type: 'checkbox', 'aria-label': `Compare execution ${i + 1}` }) as HTMLInputElement;
      box.checked = checked;
      box.addEventListener('change', () => this.dispatch({ type: 'compareToggle', ref: { path: node.path, execution: e.id } }));
      const tr = h(
        'tr',
        { class: `${e.id === cur?.id ? 'current' : ''}`, tabindex: 0, 'aria-selected': String(e.id === cur?.id) },
        h('td', {}, box),
        h('td', {}, String(i + 1)),
        h('td', {}, formatDateTime(e.startedAt)),
        h('td', {}, formatDuration(dur)),
        h('td', { class: stateClass(executionState(e)) }, outcome(e)),
        h('td', {}, formatBytes(e.peakMemoryBytes)),
        h('td', { class: 'subtle' }, prev ? formatChange(prevDur, dur) : ''),
      );
      const pick = () => this.dispatch({ type: 'execution', id: i === node.executions.length - 1 ? null : e.id });
      tr.addEventListener('click', (ev) => {
        if ((ev.target as HTMLElement).tagName !== 'INPUT') pick();
      });
      tr.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter') pick();
      });
      body.append(tr);
    });
    table.append(body);
    this.history.append(table);
    const full = s.details?.path === node.path ? s.details.executions.find((e) => e.id === cur?.id) : undefined;
    if (full && s.details) this.history.append(this.asRun(full, s.details.command ?? '', s.details.params));
  }

  /** The command and params an execution ran with, against the node's current ones. */
  private asRun(e: ExecutionRecord, command: string, params: NodeParams): HTMLElement {
    const box = h('section', { class: 'as-run' }, h('h4', {}, `As run at ${formatDateTime(e.startedAt)} (${e.id})`));
    const ops = command.includes('\n') || e.command.includes('\n') ? diffLines(e.command, command) : diffWords(e.command, command);
    box.append(h('div', { class: 'subtle' }, isUnchanged(ops) ? 'Command: same as now' : 'Command: as run → now'), renderDiff(ops, !command.includes('\n') && !e.command.includes('\n')));
    const changed = paramChanges(e.params, params);
    box.append(h('div', { class: 'subtle' }, changed.length ? 'Params: as run → now' : 'Params: same as now'));
    if (changed.length) {
      const t = h('table', { class: 'param-diff' });
      for (const [k, a, b] of changed) t.append(h('tr', {}, h('th', {}, k), h('td', { class: 'del' }, a), h('td', {}, icon('arrow-right')), h('td', { class: 'add' }, b)));
      box.append(t);
    }
    if (e.message) box.append(h('div', { class: 'subtle' }, `Message: ${e.message}`));
    return box;
  }

  private roundHistory(): void {
    const s = this.s;
    const path = s.selected!;
    const rounds = this.model.rounds(path, Date.now());
    const leaves = s.index.leaves(path);
    const skippedNow = leaves.filter((l) => s.index.skippedBy(l.path)).length;
    if (!rounds.length) {
      this.history.append(h('p', { class: 'empty' }, 'Not run yet.'));
      return;
    }
    this.history.append(h('p', { class: 'subtle' }, `Runs of this subtree (executions that overlap or follow closely). ${leaves.length} exec nodes${skippedNow ? `, ${skippedNow} skipped now` : ''}.`));
    const table = h('table', { class: 'history-table' });
    table.append(h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'Started'), h('th', {}, 'Took'), h('th', {}, 'vs first'), h('th', {}, 'Exec nodes ran'), h('th', {}, 'Not run'), h('th', {}, 'Result'), h('th', {}, 'Peak memory'))));
    const body = h('tbody');
    const firstDur = rounds[0]!.end - rounds[0]!.start;
    rounds.forEach((r, i) => {
      const dur = r.end - r.start;
      body.append(
        h(
          'tr',
          {},
          h('td', {}, String(i + 1)),
          h('td', {}, formatDateTime(r.start)),
          h('td', {}, `${formatDuration(dur)}${r.running ? ' so far' : ''}`),
          h('td', { class: 'subtle' }, i ? formatChange(firstDur, dur) : ''),
          h('td', {}, `${r.leaves} of ${leaves.length}`),
          h('td', { class: leaves.length - r.leaves ? 'state-skipped' : '' }, String(leaves.length - r.leaves)),
          h('td', { class: stateClass(r.state) }, r.running ? 'running' : r.errors ? `${r.errors} failed` : r.killed ? `${r.killed} killed` : 'done'),
          h('td', {}, formatBytes(r.peakMemoryBytes)),
        ),
      );
    });
    table.append(body);
    this.history.append(table);
  }

  private comparison(): HTMLElement {
    const c = this.s.comparison!;
    const { a, b } = c;
    const durA = (a.endedAt ?? Date.now()) - a.startedAt;
    const durB = (b.endedAt ?? Date.now()) - b.startedAt;
    const box = h('section', { class: 'comparison', 'aria-label': 'Comparison' });
    const close = h('button', { class: 'icon-button', title: 'Close comparison', 'aria-label': 'Close comparison', type: 'button' }, icon('close'));
    close.addEventListener('click', () => this.dispatch({ type: 'compareClear' }));
    box.append(h('div', { class: 'comparison-title' }, h('h3', {}, 'Comparison'), close));
    const t = h('table', { class: 'compare-table' });
    const row = (k: string, va: string, vb: string, delta = '') => t.append(h('tr', {}, h('th', {}, k), h('td', {}, va), h('td', {}, vb), h('td', { class: 'subtle' }, delta)));
    t.append(h('tr', {}, h('th', {}), h('th', {}, 'A'), h('th', {}, 'B'), h('th', {}, 'B vs A')));
    row('node', c.aPath, c.bPath);
    row('execution', a.id, b.id);
    row('started', formatDateTime(a.startedAt), formatDateTime(b.startedAt));
    row('took', formatDuration(durA), formatDuration(durB), `${formatDuration(Math.abs(durB - durA))} ${durB <= durA ? 'faster' : 'slower'} (${formatChange(durA, durB)})`);
    const ma = a.peakMemoryBytes ?? null;
    const mb = b.peakMemoryBytes ?? null;
    row('peak memory', formatBytes(ma), formatBytes(mb), ma !== null && mb !== null ? `${mb <= ma ? '−' : '+'}${formatBytes(Math.abs(mb - ma))} (${formatChange(ma, mb)})` : '');
    row('result', outcome(a), outcome(b));
    row('cpu / mem', `${a.params.cpu} / ${a.params.mem} GB`, `${b.params.cpu} / ${b.params.mem} GB`);
    row('image', a.image || '–', b.image || '–');
    box.append(t);
    const ops = diffWords(a.command, b.command);
    box.append(h('div', { class: 'subtle' }, isUnchanged(ops) ? 'Same command' : 'Command A → B'), renderDiff(ops, true));
    const changed = paramChanges(a.params, b.params);
    if (changed.length) {
      const pt = h('table', { class: 'param-diff' });
      for (const [k, va, vb] of changed) pt.append(h('tr', {}, h('th', {}, k), h('td', { class: 'del' }, va), h('td', {}, icon('arrow-right')), h('td', { class: 'add' }, vb)));
      box.append(h('div', { class: 'subtle' }, 'Params A → B'), pt);
    }
    return box;
  }
}

function clip(ctx: CanvasRenderingContext2D, text: string, width: number): string {
  if (ctx.measureText(text).width <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(`${text.slice(0, mid)}…`).width <= width) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}

export function renderDiff(ops: DiffOp[], inline: boolean): HTMLElement {
  const pre = h('pre', { class: `diff${inline ? ' inline' : ''}` });
  for (const d of ops) {
    const cls = d.op === 'add' ? 'add' : d.op === 'del' ? 'del' : 'same';
    const text = inline ? d.text : `${d.op === 'add' ? '+ ' : d.op === 'del' ? '- ' : '  '}${d.text}\n`;
    const el = h(d.op === 'add' ? 'ins' : d.op === 'del' ? 'del' : 'span', { class: cls }, text);
    pre.append(el);
  }
  return pre;
}

const DIFF_PARAMS: (keyof NodeParams)[] = ['cpu', 'mem', 'gpu', 'max_time', 'image', 'env', 'skip', 'requires_docker', 'container_reuse_context'];

/** Params that differ between two sets: [name, before, after]. */
export function paramChanges(a: NodeParams, b: NodeParams): [string, string, string][] {
  const show = (k: keyof NodeParams, p: NodeParams) => {
    const v = p[k];
    if (k === 'image') return p.image?.name ?? 'default';
    if (k === 'env') return Object.entries(p.env ?? {}).map(([x, y]) => `${x}=${y}`).join(' ') || '–';
    return v === null || v === undefined ? '–' : String(v);
  };
  return DIFF_PARAMS.map((k) => [k, show(k, a), show(k, b)] as [string, string, string]).filter(([, x, y]) => x !== y);
}
