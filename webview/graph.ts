// The Graph tab: the children of one container (the selected node's) as an SVG graph, DAG edges
// from `parents` or the container's own order, boxes coloured by state through the theme's CSS
// variables (classes only, so a theme change needs no repaint). Click or Enter/Space selects a
// box (as the tree does); arrows move between boxes. Laid out again only when the container or
// the nodes change; state and selection changes only touch classes and text.
import type { WebviewNode } from '../protocol/webviewMessages';
import { h, iconButton, stateClass } from './dom';
import { nodeName, parentPath } from '../protocol/pipeline';
import { graphContainer, graphInputs, layoutGraph, MAX_GRAPH_NODES, type GraphBox, type GraphLayout, type Point } from './graphLayout';
import type { UiAction, ViewState } from './state';

const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, ...children: (Node | string)[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/** An SVG path through the points: straight where level, an S-curve between layers. */
export function edgePath(points: readonly Point[]): string {
  const [first, ...rest] = points;
  if (!first) return '';
  let d = `M${first.x},${first.y}`;
  let p = first;
  for (const q of rest) {
    if (p.y === q.y) d += ` L${q.x},${q.y}`;
    else {
      const mx = (p.x + q.x) / 2;
      d += ` C${mx},${p.y} ${mx},${q.y} ${q.x},${q.y}`;
    }
    p = q;
  }
  return d;
}

/** Fits a label into about `px` pixels of 12px text (SVG text does not ellipsize). */
function fit(text: string, px: number): string {
  const max = Math.max(4, Math.floor(px / 6.6));
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

interface Drawn {
  box: GraphBox;
  g: SVGGElement;
  state: SVGTextElement;
}

export class GraphView {
  readonly el = h('div', { class: 'graph', role: 'region', 'aria-label': 'Graph' });
  private readonly title = h('span', { class: 'graph-title' });
  private readonly note = h('div', { class: 'graph-note', role: 'status' });
  private readonly scroller = h('div', { class: 'graph-scroll' });
  private readonly up: HTMLButtonElement;
  private s!: ViewState;
  private container = '';
  private key = '';
  private layout: GraphLayout | null = null;
  private drawn = new Map<string, Drawn>();
  private edgeEls: { from: string; to: string; el: SVGPathElement }[] = [];
  private selected: string | null = null;

  constructor(private readonly dispatch: (a: UiAction) => void) {
    this.up = iconButton('arrow-up', 'Show the enclosing container', () => {
      const p = parentPath(this.container);
      if (p) this.dispatch({ type: 'select', path: p });
    });
    this.el.append(h('div', { class: 'pane-toolbar graph-toolbar' }, this.up, this.title), this.note, this.scroller);
    this.scroller.addEventListener('click', (e) => {
      const path = this.pathOf(e.target);
      if (path) this.dispatch({ type: 'select', path });
    });
    this.scroller.addEventListener('keydown', (e) => this.onKey(e));
  }

  private pathOf(target: EventTarget | null): string | undefined {
    const g = target instanceof Element ? target.closest('.graph-node') : null;
    return g?.getAttribute('data-path') ?? undefined;
  }

  /** Draws the graph for the current selection; cheap when only states or the selection changed. */
  render(s: ViewState): void {
    this.s = s;
    const container = graphContainer(s.index, s.selected);
    const key = `${container}\n${s.index.structure}`;
    let rebuilt = false;
    if (key !== this.key) {
      const hadFocus = this.scroller.contains(document.activeElement);
      this.key = key;
      this.container = container;
      this.build();
      rebuilt = true;
      if (hadFocus) (this.drawn.get(s.selected ?? '')?.g ?? this.drawn.values().next().value?.g)?.focus();
    }
    this.update(rebuilt);
  }

  private build(): void {
    const { index } = this.s;
    const node = index.get(this.container);
    const inputs = graphInputs(index, this.container);
    const layout = (this.layout = node ? layoutGraph(inputs, node.type) : null);
    this.drawn.clear();
    this.edgeEls = [];
    this.up.disabled = this.container === '/';
    const name = this.container === '/' ? (this.s.run?.name ?? '/') : this.container;
    const how = !layout ? '' : layout.mode === 'dag' ? 'steps and their dependencies' : layout.mode === 'chain' ? 'in order' : 'in parallel';
    this.title.textContent = node ? `${name} · ${node.type} · ${inputs.length} ${inputs.length === 1 ? 'child' : 'children'}${how ? `, ${how}` : ''}` : '';
    this.title.title = this.container;
    this.note.hidden = !layout?.omitted;
    this.note.textContent = layout?.omitted ? `Showing the first ${MAX_GRAPH_NODES.toLocaleString('en-US')} of ${inputs.length.toLocaleString('en-US')} children; select a node in the tree to see the others in Details.` : '';
    if (!layout || !layout.boxes.length) {
      this.scroller.replaceChildren(h('div', { class: 'empty' }, node ? 'This node has no children to draw.' : 'No pipeline yet.'));
      return;
    }
    const arrow = (id: string, cls: string) =>
      svg('marker', { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, orient: 'auto-start-reverse', markerUnits: 'userSpaceOnUse' }, svg('path', { d: 'M0,0 L10,5 L0,10 z', class: cls }));
    const edges = svg('g', { class: 'graph-edges' });
    for (const e of layout.edges) {
      const el = svg('path', { class: `graph-edge${e.implicit ? ' implicit' : ''}`, d: edgePath(e.points), 'marker-end': 'url(#pw-graph-arrow)' });
      edges.append(el);
      this.edgeEls.push({ from: e.from, to: e.to, el });
    }
    const boxes = svg('g', { class: 'graph-nodes' });
    // DOM (and so Tab) order: layer by layer, top to bottom, as the layout returns them.
    for (const box of layout.boxes) {
      const n = index.get(box.path);
      const container = index.childrenOf(box.path).length > 0;
      const label = nodeName(box.path);
      const state = svg('text', { class: 'graph-state', x: box.x + 10, y: box.y + 30 });
      const g = svg(
        'g',
        { class: `graph-node${container ? ' container' : ''}`, tabindex: 0, role: 'button', 'data-path': box.path },
        svg('title', {}, box.path),
        svg('rect', { class: 'graph-ring', x: box.x - 4, y: box.y - 4, width: box.w + 8, height: box.h + 8, rx: 7 }),
        ...(container ? [svg('rect', { class: 'graph-back', x: box.x + 3, y: box.y + 3, width: box.w, height: box.h, rx: 4 })] : []),
        svg('rect', { class: 'graph-box', x: box.x, y: box.y, width: box.w, height: box.h, rx: 4 }),
        svg('text', { class: 'graph-name', x: box.x + 10, y: box.y + 15 }, fit(label, box.w - 20)),
        state,
      );
      if (n?.type) g.setAttribute('data-type', n.type);
      boxes.append(g);
      this.drawn.set(box.path, { box, g, state });
    }
    const root = svg(
      'svg',
      { class: 'graph-svg', width: layout.width + 4, height: layout.height + 4, role: 'group', 'aria-label': `Graph of ${name}` },
      svg('defs', {}, arrow('pw-graph-arrow', 'graph-arrowhead'), arrow('pw-graph-arrow-active', 'graph-arrowhead active')),
      edges,
      boxes,
    );
    this.scroller.replaceChildren(root);
  }

  private update(rebuilt: boolean): void {
    const { index, selected } = this.s;
    for (const { box, g, state } of this.drawn.values()) {
      const n: WebviewNode | undefined = index.get(box.path);
      if (!n) continue;
      const skipped = index.skippedBy(box.path) !== null;
      const st = skipped ? 'skipped' : n.state;
      const isSel = box.path === selected;
      const cls = `graph-node ${stateClass(st)}${n.type !== 'Exec' ? ' container' : ''}${skipped ? ' skipped' : ''}${isSel ? ' selected' : ''}`;
      if (g.getAttribute('class') !== cls) g.setAttribute('class', cls);
      const total = n.type === 'Exec' ? 0 : Object.values(n.counts).reduce((a, b) => a + b, 0);
      const text = fit(total ? `${st} · ${n.counts.done}/${total} done` : st, box.w - 20);
      if (state.textContent !== text) state.textContent = text;
      const aria = `${nodeName(box.path)}, ${st}${total ? `, ${n.counts.done} of ${total} done` : ''}`;
      if (g.getAttribute('aria-label') !== aria) g.setAttribute('aria-label', aria);
      g.setAttribute('aria-pressed', String(isSel));
    }
    for (const e of this.edgeEls) {
      const active = e.from === selected || e.to === selected;
      e.el.classList.toggle('active', active);
      e.el.setAttribute('marker-end', active ? 'url(#pw-graph-arrow-active)' : 'url(#pw-graph-arrow)');
    }
    if (selected !== this.selected || rebuilt) {
      this.selected = selected;
      const d = selected ? this.drawn.get(selected) : undefined;
      if (d && this.el.isConnected && this.scroller.clientWidth) d.g.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    }
  }

  /** Arrows: Up/Down within a layer, Left/Right to the nearest box of the next layer; Enter/Space select. */
  private onKey(e: KeyboardEvent): void {
    const path = this.pathOf(e.target);
    const cur = path ? this.drawn.get(path) : undefined;
    if (!cur) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.dispatch({ type: 'select', path: cur.box.path });
      return;
    }
    const dir = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] }[e.key];
    if (!dir) return;
    e.preventDefault();
    const [dl, dy] = dir as [number, number];
    const b = cur.box;
    let best: Drawn | undefined;
    let bestScore = Infinity;
    for (const d of this.drawn.values()) {
      const o = d.box;
      if (o === b) continue;
      let score: number;
      if (dl) {
        const step = (o.layer - b.layer) * dl;
        if (step <= 0) continue;
        score = step * 1e6 + Math.abs(o.y - b.y);
      } else {
        if (o.layer !== b.layer || (o.y - b.y) * dy <= 0) continue;
        score = Math.abs(o.y - b.y);
      }
      if (score < bestScore) {
        bestScore = score;
        best = d;
      }
    }
    best?.g.focus();
  }
}
