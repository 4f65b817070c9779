// The pipeline panel's UI. Host messages and user actions go through the reducer (state.ts); the
// views redraw once per animation frame for everything that changed since the last one.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import { isHostToWebview, isPanelState, type HostToWebview, type PanelState, type WebviewToHost } from '../protocol/webviewMessages';
import { DetailsView } from './details';
import { h, icon } from './dom';
import { GraphView } from './graph';
import { Header } from './header';
import { LogView } from './logView';
import { MetricsView } from './metricsView';
import { NodeTree } from './nodeTree';
import { applyHostMessage, applyUiAction, childRequests, initialState, savedState, syncLogSubscription, TABS, type Dirty, type Tab, type UiAction } from './state';
import { TimelineModel } from './timelineModel';
import { TimelineView } from './timeline';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: PanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

// The CSP allows no inline styles. xterm's DOM renderer makes <style> elements (they get the
// page's nonce) and sets `style` attributes on cells for 24-bit colours and selections (they go
// through the CSSOM instead, which the CSP does not govern). Markup cannot inject either: the
// panel never parses HTML.
const nonce = (document.currentScript as HTMLScriptElement | null)?.nonce ?? '';
const createElement = document.createElement.bind(document);
document.createElement = ((tag: string, options?: ElementCreationOptions) => {
  const el = createElement(tag, options);
  if (nonce && tag.toLowerCase() === 'style') el.setAttribute('nonce', nonce);
  return el;
}) as typeof document.createElement;
const setAttribute = Element.prototype.setAttribute;
Element.prototype.setAttribute = function (this: Element, name: string, value: string) {
  if (name === 'style' && this instanceof HTMLElement) this.style.cssText = value;
  else setAttribute.call(this, name, value);
};

const vscode = acquireVsCodeApi();
const saved = vscode.getState();
const state = initialState(isPanelState(saved) ? saved : undefined);
const timelineModel = new TimelineModel(state.index);

const send = (m: WebviewToHost) => vscode.postMessage(m);
const dispatch = (a: UiAction) => {
  const { dirty, send: out } = applyUiAction(state, a);
  out.forEach(send);
  invalidate(dirty);
};

const header = new Header(send);
const tree = new NodeTree(dispatch);
const details = new DetailsView(send, dispatch, timelineModel);
const logs = new LogView(send, dispatch);
const timeline = new TimelineView(timelineModel, dispatch);
const graph = new GraphView(dispatch);
const metrics = new MetricsView(dispatch);

type PanelTab = Tab;
const PANEL_TABS: readonly PanelTab[] = TABS;
/** The graph re-lays out only when nodes or states changed since it last drew. */
let graphDirty = true;
/** The metrics follow the nodes (their executions) and the selection while shown. */
let metricsDirty = true;
const showTab = (t: PanelTab) => {
  if (t === 'graph') graphDirty = true;
  if (t === 'metrics') metricsDirty = true;
  dispatch({ type: 'tab', tab: t });
  invalidate({});
};

const TAB_LABELS: Record<PanelTab, [string, string]> = { details: ['Details', 'info'], logs: ['Logs', 'output'], timeline: ['Timeline', 'graph'], graph: ['Graph', 'type-hierarchy'], metrics: ['Metrics', 'graph-line'] };
const tabList = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Node views' });
const panels: Record<PanelTab, HTMLElement> = {
  details: h('div', { class: 'tab-panel', role: 'tabpanel', id: 'panel-details', 'aria-labelledby': 'tab-details' }, details.el),
  logs: h('div', { class: 'tab-panel', role: 'tabpanel', id: 'panel-logs', 'aria-labelledby': 'tab-logs' }, logs.el),
  timeline: h('div', { class: 'tab-panel', role: 'tabpanel', id: 'panel-timeline', 'aria-labelledby': 'tab-timeline' }, timeline.el),
  graph: h('div', { class: 'tab-panel', role: 'tabpanel', id: 'panel-graph', 'aria-labelledby': 'tab-graph' }, graph.el),
  metrics: h('div', { class: 'tab-panel', role: 'tabpanel', id: 'panel-metrics', 'aria-labelledby': 'tab-metrics' }, metrics.el),
};
for (const t of PANEL_TABS) {
  const [label, ic] = TAB_LABELS[t];
  const b = h('button', { class: 'tab', role: 'tab', id: `tab-${t}`, 'aria-controls': `panel-${t}`, type: 'button' }, icon(ic), label);
  b.addEventListener('click', () => showTab(t));
  b.addEventListener('keydown', (e) => {
    const i = PANEL_TABS.indexOf(t);
    const next = e.key === 'ArrowRight' ? PANEL_TABS[(i + 1) % PANEL_TABS.length] : e.key === 'ArrowLeft' ? PANEL_TABS[(i + PANEL_TABS.length - 1) % PANEL_TABS.length] : undefined;
    if (next) {
      showTab(next);
      document.getElementById(`tab-${next}`)?.focus();
    }
  });
  tabList.append(b);
}

const errorBar = h('div', { class: 'error-bar', role: 'alert' });
const splitter = h('div', { class: 'splitter', role: 'separator', 'aria-orientation': 'vertical', 'aria-label': 'Resize the node tree', tabindex: 0 });
const right = h('div', { class: 'right' }, tabList, ...Object.values(panels));
const body = h('div', { class: 'body' }, tree.el, splitter, right);
document.getElementById('root')!.append(header.el, errorBar, body);

// The tree's width: drag or arrow keys on the splitter.
let treeWidth = 320;
const setTreeWidth = (w: number) => {
  treeWidth = Math.max(160, Math.min(w, window.innerWidth - 300));
  body.style.gridTemplateColumns = `${treeWidth}px 4px 1fr`;
};
setTreeWidth(treeWidth);
splitter.addEventListener('pointerdown', (e) => {
  splitter.setPointerCapture(e.pointerId);
  const move = (ev: PointerEvent) => setTreeWidth(ev.clientX);
  splitter.addEventListener('pointermove', move);
  splitter.addEventListener('pointerup', () => splitter.removeEventListener('pointermove', move), { once: true });
});
splitter.addEventListener('keydown', (e) => {
  if (e.key === 'ArrowLeft') setTreeWidth(treeWidth - 20);
  if (e.key === 'ArrowRight') setTreeWidth(treeWidth + 20);
});

// ---- redraws, batched per frame ------------------------------------------------------------

let pending: Dirty = {};
let frame = 0;

function invalidate(d: Dirty): void {
  const paths = [...(pending.paths ?? []), ...(d.paths ?? [])];
  pending = { ...pending, ...Object.fromEntries(Object.entries(d).filter(([, v]) => v)) };
  if (paths.length) pending.paths = paths;
  if (!frame) frame = requestAnimationFrame(redraw);
}

// Running times in the tree grow with the clock, not only when the runner reports a change.
window.setInterval(() => {
  if ((state.run?.counts.running ?? 0) > 0) invalidate({ tree: true });
}, 1000);

function redraw(): void {
  frame = 0;
  const d = pending;
  pending = {};
  const sub = syncLogSubscription(state);
  if (sub) {
    send(sub);
    d.logs = true;
  }
  if (d.paths) timelineModel.invalidate([...d.paths]);
  if (d.rows) timelineModel.invalidate('all');
  if (d.header) header.render(state);
  if (d.rows) {
    const rows = state.index.rows(state.expanded);
    tree.setRows(state, rows);
    timeline.setRows(rows.filter((r) => !r.more));
    childRequests(state, rows).forEach(send);
  }
  if (d.rows || d.tree) tree.refresh(state);
  if (d.reveal) tree.reveal(state.selected);
  if (d.details) details.render(state);
  if (d.logs) logs.render(state);
  if (d.timeline || d.compare || d.details) timeline.render(state, state.tab === 'timeline');
  if (d.error) {
    errorBar.replaceChildren();
    errorBar.hidden = !state.error;
    if (state.error) {
      const close = h('button', { class: 'icon-button', title: 'Dismiss', 'aria-label': 'Dismiss', type: 'button' }, icon('close'));
      close.addEventListener('click', () => dispatch({ type: 'dismissError' }));
      errorBar.append(icon('error'), h('span', {}, state.error), close);
    }
  }
  for (const t of PANEL_TABS) {
    const active = t === state.tab;
    panels[t].hidden = !active;
    const tab = document.getElementById(`tab-${t}`)!;
    tab.classList.toggle('active', active);
    tab.setAttribute('aria-selected', String(active));
    tab.tabIndex = active ? 0 : -1;
  }
  // States, nodes and the selection all mark the tree dirty; the graph follows them while shown.
  graphDirty ||= !!(d.rows || d.tree);
  if (state.tab === 'graph' && graphDirty) {
    graphDirty = false;
    graph.render(state);
  }
  metricsDirty ||= !!(d.rows || d.tree || d.paths?.length);
  if (state.tab === 'metrics' && metricsDirty) {
    metricsDirty = false;
    metrics.render(state);
  }
  const toSave = savedState(state);
  if (toSave) vscode.setState(toSave);
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const m = event.data;
  if (!isHostToWebview(m)) {
    console.warn('pipewright: ignored a message that is not the panel protocol', m);
    return;
  }
  receive(m);
});

function receive(m: HostToWebview): void {
  if (m.type === 'log') {
    logs.onLog(m);
    return;
  }
  if (m.type === 'error' && m.op === 'modify') details.failed();
  invalidate(applyHostMessage(state, m));
}

errorBar.hidden = true;
invalidate({ header: true, details: true, logs: true });
send({ type: 'ready' });
