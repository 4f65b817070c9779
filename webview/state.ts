// The panel's state and how host messages and user actions change it. Returns what to redraw and
// what to tell the host, so the DOM side stays thin and this stays testable. Pure (no DOM).
import type { PipelineSummary } from '../protocol/runner';
import type { ExecutionRecord } from '../protocol/runner';
import { MAX_TAIL_BYTES, type ExecutionRef, type HostToWebview, type LogStream, type NodeDetails, type PanelState, type WebviewToHost } from '../protocol/webviewMessages';
import { parentPath } from '../protocol/pipeline';
import { NodeIndex, type Row } from './nodeIndex';
import { outcome } from './format';

export type Tab = 'details' | 'logs' | 'timeline' | 'graph' | 'metrics';
export const TABS: readonly Tab[] = ['details', 'logs', 'timeline', 'graph', 'metrics'];

/** Below this many nodes the tree opens fully at first; above, the first two levels. */
export const EXPAND_ALL_BELOW = 500;
export const DEFAULT_TAIL_BYTES = 2 * 1024 * 1024;
/** Expanded containers kept in the saved state at most. */
const MAX_SAVED_EXPANDED = 5000;

export interface LogSub {
  path: string;
  execution: string;
  stream: LogStream;
  tailBytes: number;
}

export interface ViewState {
  runId: string | null;
  run: PipelineSummary | null;
  live: boolean;
  index: NodeIndex;
  selected: string | null;
  expanded: Set<string>;
  details: NodeDetails | null;
  tab: Tab;
  /** The execution picked for logs and history; null: the latest. */
  execution: string | null;
  /**
   * The user pinned the picked execution: it stays shown when the node runs again. Unpinned, a new
   * execution of the selected node takes over the Logs tab and the history (the latest is followed).
   */
  pinned: boolean;
  stream: LogStream;
  follow: boolean;
  tailBytes: number;
  /** What the host streams now. */
  logSub: LogSub | null;
  compare: ExecutionRef[];
  comparison: { a: ExecutionRecord; b: ExecutionRecord; aPath: string; bPath: string } | null;
  error: string | null;
  initialized: boolean;
  /** Pages of children asked of the host and not yet come ("path from"): each is asked once. */
  asked: Set<string>;
}

export interface Dirty {
  header?: boolean;
  /** Rows must be recomputed (expand/collapse, nodes added). */
  rows?: boolean;
  /** Visible rows must be redrawn (states changed). */
  tree?: boolean;
  details?: boolean;
  timeline?: boolean;
  logs?: boolean;
  compare?: boolean;
  error?: boolean;
  /** Changed node paths (for caches). */
  paths?: string[];
  /** Scroll the tree to the selection. */
  reveal?: boolean;
}

export function initialState(saved?: Partial<PanelState>): ViewState {
  return {
    runId: saved?.runId ?? null,
    run: null,
    live: false,
    index: new NodeIndex(),
    selected: saved?.selected ?? null,
    expanded: new Set(saved?.expanded ?? []),
    details: null,
    tab: TABS.includes(saved?.tab as Tab) ? (saved!.tab as Tab) : 'details',
    execution: saved?.execution ?? null,
    pinned: (saved?.pinned ?? false) && !!saved?.execution,
    stream: 'combined',
    follow: saved?.follow ?? true,
    tailBytes: DEFAULT_TAIL_BYTES,
    logSub: null,
    compare: [],
    comparison: null,
    error: null,
    initialized: !!saved?.expanded,
    asked: new Set(),
  };
}

export function savedState(s: ViewState): PanelState | undefined {
  if (!s.runId) return undefined;
  const out: PanelState = { runId: s.runId, tab: s.tab, follow: s.follow };
  if (s.selected) out.selected = s.selected;
  if (s.execution) out.execution = s.execution;
  if (s.pinned && s.execution) out.pinned = true;
  out.expanded = [...s.expanded].slice(0, MAX_SAVED_EXPANDED);
  return out;
}

function defaultExpansion(index: NodeIndex): Set<string> {
  // A large run sent a page at a time: the root's first page; more as the user opens containers.
  if (index.paged) return new Set(['/']);
  if (index.size < EXPAND_ALL_BELOW) return new Set(index.containers());
  const open = new Set<string>(['/']);
  for (const c of index.childrenOf('/')) if (index.hasChildren(c)) open.add(c);
  return open;
}

/** Opens the ancestors of a path so its row shows. */
function revealPath(s: ViewState, path: string): boolean {
  let changed = false;
  for (const a of s.index.ancestors(path)) {
    if (!s.expanded.has(a)) {
      s.expanded.add(a);
      changed = true;
    }
  }
  return changed;
}

export function applyHostMessage(s: ViewState, m: HostToWebview): Dirty {
  switch (m.type) {
    case 'init': {
      const sameRun = s.runId === m.run.id;
      s.runId = m.run.id;
      s.run = m.run;
      s.live = m.live;
      s.index.reset(m.nodes);
      s.asked.clear();
      if (!s.initialized || !sameRun) {
        s.expanded = defaultExpansion(s.index);
        s.initialized = true;
      }
      for (const p of [...s.expanded]) if (!s.index.hasChildren(p)) s.expanded.delete(p);
      if (m.select) s.selected = m.select;
      if (!s.selected || !s.index.get(s.selected)) s.selected = '/';
      revealPath(s, s.selected);
      s.details = null;
      s.logSub = null; // the host forgot it
      s.compare = s.compare.filter((r) => s.index.get(r.path)?.executions.some((e) => e.id === r.execution));
      s.error = null;
      return { header: true, rows: true, tree: true, details: true, timeline: true, logs: true, compare: true, error: true, reveal: true };
    }
    case 'nodes': {
      s.run = m.run;
      s.live = m.live;
      const latestBefore = latestExecutionId(s);
      const { structural } = s.index.update(m.nodes, m.replaced);
      // The selected node ran again: show the new execution unless the user pinned the one picked.
      if (s.execution !== null && !s.pinned && latestExecutionId(s) !== latestBefore) {
        s.execution = null;
        s.tailBytes = DEFAULT_TAIL_BYTES;
      }
      if (s.selected && !s.index.get(s.selected)) s.selected = parentPath(s.selected) ?? '/';
      const selectedChanged = !!s.selected && m.nodes.some((n) => n.path === s.selected);
      return { header: true, rows: structural, tree: true, timeline: true, details: selectedChanged, logs: selectedChanged, paths: m.nodes.map((n) => n.path) };
    }
    case 'details':
      if (m.details.path !== s.selected) return {};
      s.details = m.details;
      return { details: true, timeline: true };
    case 'log':
      return { logs: true };
    case 'comparison':
      s.comparison = { a: m.a, b: m.b, aPath: m.aPath, bPath: m.bPath };
      return { compare: true };
    case 'select': {
      if (!s.index.get(m.path)) return {};
      const revealed = revealPath(s, m.path);
      return { ...select(s, m.path).dirty, rows: revealed, reveal: true };
    }
    case 'error':
      s.error = m.message;
      return { error: true };
  }
}

export type UiAction =
  | { type: 'select'; path: string }
  | { type: 'toggle'; path: string }
  | { type: 'expand'; path: string; open: boolean }
  | { type: 'expandAll'; open: boolean }
  | { type: 'tab'; tab: Tab }
  | { type: 'execution'; id: string | null }
  | { type: 'pin'; on: boolean }
  | { type: 'stream'; stream: LogStream }
  | { type: 'follow'; on: boolean }
  | { type: 'loadMore' }
  /** The next page of a large run's container's children. */
  | { type: 'moreChildren'; path: string }
  | { type: 'compareToggle'; ref: ExecutionRef }
  | { type: 'compareClear' }
  | { type: 'dismissError' };

export interface Outcome {
  dirty: Dirty;
  send: WebviewToHost[];
}

function select(s: ViewState, path: string): Outcome {
  if (s.selected === path) return { dirty: {}, send: [] };
  s.selected = path;
  s.details = null;
  s.execution = null;
  s.pinned = false;
  s.tailBytes = DEFAULT_TAIL_BYTES;
  return { dirty: { tree: true, details: true, logs: true, timeline: true }, send: [{ type: 'select', path }] };
}

export function applyUiAction(s: ViewState, a: UiAction): Outcome {
  switch (a.type) {
    case 'select':
      if (!s.index.get(a.path)) return { dirty: {}, send: [] };
      return select(s, a.path);
    case 'toggle':
      return applyUiAction(s, { type: 'expand', path: a.path, open: !s.expanded.has(a.path) });
    case 'expand': {
      if (!s.index.hasChildren(a.path) || s.expanded.has(a.path) === a.open) return { dirty: {}, send: [] };
      if (a.open) s.expanded.add(a.path);
      else s.expanded.delete(a.path);
      return { dirty: { rows: true, tree: true, timeline: true }, send: [] };
    }
    case 'expandAll':
      // A large run's: the containers whose children came already (opening them all would ask for
      // a page of each, hundreds of thousands of nodes).
      s.expanded = a.open ? new Set(s.index.containers().filter((p) => !s.index.paged || s.index.childrenOf(p).length > 0)) : new Set(['/']);
      if (!a.open && s.selected && s.selected !== '/' && parentPath(s.selected) !== '/') s.selected = '/';
      return { dirty: { rows: true, tree: true, timeline: true, reveal: true }, send: [] };
    case 'tab':
      s.tab = a.tab;
      return { dirty: { logs: true, timeline: true }, send: [] };
    case 'execution':
      // Pinned, picking the latest pins it (by id), so the next execution does not take over.
      s.execution = a.id ?? (s.pinned ? latestExecutionId(s) : null);
      s.tailBytes = DEFAULT_TAIL_BYTES;
      return { dirty: { logs: true, timeline: true, details: true }, send: [] };
    case 'pin': {
      const cur = currentExecution(s);
      if (a.on && !cur) return { dirty: {}, send: [] };
      s.pinned = a.on;
      // Pinning keeps what shows now; unpinning goes back to the latest.
      const id = a.on ? cur!.id : null;
      if (id !== s.execution) s.tailBytes = DEFAULT_TAIL_BYTES;
      s.execution = id;
      return { dirty: { logs: true, timeline: true, details: true }, send: [] };
    }
    case 'stream':
      s.stream = a.stream;
      return { dirty: { logs: true }, send: [] };
    case 'follow':
      s.follow = a.on;
      return { dirty: { logs: true }, send: [] };
    case 'loadMore':
      s.tailBytes = Math.min(s.tailBytes * 4, MAX_TAIL_BYTES);
      s.logSub = null;
      return { dirty: { logs: true }, send: [] };
    case 'moreChildren':
      return { dirty: {}, send: askChildren(s, a.path) };
    case 'compareToggle': {
      const at = s.compare.findIndex((r) => r.path === a.ref.path && r.execution === a.ref.execution);
      if (at >= 0) s.compare.splice(at, 1);
      else {
        s.compare.push(a.ref);
        if (s.compare.length > 2) s.compare.shift();
      }
      s.comparison = null;
      const [x, y] = s.compare;
      return { dirty: { compare: true, timeline: true, details: true }, send: x && y ? [{ type: 'compare', a: x, b: y }] : [] };
    }
    case 'compareClear':
      s.compare = [];
      s.comparison = null;
      return { dirty: { compare: true, timeline: true, details: true }, send: [] };
    case 'dismissError':
      s.error = null;
      return { dirty: { error: true }, send: [] };
  }
}

/** Asks for a container's next page of children unless it was asked for already. */
function askChildren(s: ViewState, path: string): WebviewToHost[] {
  const from = s.index.childrenOf(path).length;
  const key = `${path} ${from}`;
  if (!s.index.unsent(path) || s.asked.has(key)) return [];
  s.asked.add(key);
  return [{ type: 'children', path, from }];
}

/** Open containers shown with none of their children yet: their first page, asked for once. */
export function childRequests(s: ViewState, rows: readonly Row[]): WebviewToHost[] {
  return rows.flatMap((row) => (row.more && row.more.loaded === 0 ? askChildren(s, row.more.container) : []));
}

/** The execution whose log and history entry show: the picked one, else the latest. */
export function currentExecution(s: ViewState): { path: string; id: string } | null {
  const node = s.selected ? s.index.get(s.selected) : undefined;
  if (!node || node.type !== 'Exec' || !node.executions.length) return null;
  const picked = s.execution && node.executions.find((e) => e.id === s.execution);
  const e = picked || node.executions[node.executions.length - 1]!;
  return { path: node.path, id: e.id };
}

/** The selected node's latest execution, if it has run. */
export function latestExecutionId(s: ViewState): string | null {
  const node = s.selected ? s.index.get(s.selected) : undefined;
  return node?.executions[node.executions.length - 1]?.id ?? null;
}

export interface LogHeading {
  /** "/build/test · execution e3 · running". */
  text: string;
  /** The execution shown is not the node's latest. */
  older: boolean;
  pinned: boolean;
}

/** Which execution the Logs tab shows, said in words; null when it shows none. */
export function logHeading(s: ViewState): LogHeading | null {
  const cur = currentExecution(s);
  const node = cur ? s.index.get(cur.path) : undefined;
  const at = node ? node.executions.findIndex((e) => e.id === cur!.id) : -1;
  if (!cur || !node || at < 0) return null;
  const e = node.executions[at]!;
  const latest = node.executions[node.executions.length - 1]!;
  const older = latest.id !== e.id;
  const parts = [cur.path, `execution ${e.id}`, outcome(e)];
  if (node.executions.length > 1) parts.push(`${at + 1} of ${node.executions.length}`);
  if (s.pinned) parts.push('pinned');
  if (older) parts.push(`latest: ${latest.id} · ${outcome(latest)}`);
  return { text: parts.join(' · '), older, pinned: s.pinned };
}

/**
 * The log subscription the view needs now (only while the Logs tab shows), and the message that
 * changes the host's to it; null when nothing needs to change.
 */
export function syncLogSubscription(s: ViewState): WebviewToHost | null {
  const cur = s.tab === 'logs' ? currentExecution(s) : null;
  const want: LogSub | null = cur ? { path: cur.path, execution: cur.id, stream: s.stream, tailBytes: s.tailBytes } : null;
  const have = s.logSub;
  if (!want && !have) return null;
  if (want && have && want.execution === have.execution && want.stream === have.stream && want.tailBytes === have.tailBytes && want.path === have.path) return null;
  s.logSub = want;
  if (!want) return { type: 'subscribeLog', path: have!.path, execution: null, stream: have!.stream, tailBytes: have!.tailBytes };
  return { type: 'subscribeLog', ...want };
}
