// Messages between the pipeline panel's host (extension/panel/) and its UI (webview/). Defined
// once here; both sides validate what they receive with the guards below (a webview is untrusted
// input, and a stale webview after an update may speak an older dialect). No vscode, no DOM.
import { NODE_STATES, type ExecutionRecord, type NodeModification, type NodeState, type PipelineSummary, type StateCounts } from './runner';
import type { NodeParams, NodeType, ParamName, SourceLocation } from './pipeline';

export const PANEL_VIEW_TYPE = 'pipewright.pipeline';

/** What the timeline and the node list need of an execution (full records come with `details`). */
export interface ExecutionBrief {
  id: string;
  startedAt: number;
  endedAt?: number;
  exitCode?: number | null;
  reason?: ExecutionRecord['reason'];
  peakMemoryBytes?: number | null;
}

/** One node of the flat list, depth-first, parents before children. */
export interface WebviewNode {
  path: string;
  type: NodeType;
  state: NodeState;
  /** Skipped itself (an ancestor's skip is the webview's to derive). */
  skipped: boolean;
  command?: string;
  /** DAG edges: paths of siblings that must finish first (PipelineNode.parents); omitted when none. */
  parents?: string[];
  /** Exec nodes below (or this one) by state. */
  counts: StateCounts;
  executions: ExecutionBrief[];
}

/** Where a param's value comes from: the nearest node (this one or an ancestor) that sets it. */
export type ParamOrigin = string | 'default';

export interface NodeDetails {
  path: string;
  type: NodeType;
  state: NodeState;
  skipped: boolean;
  /** Skipped through an ancestor. */
  skippedByAncestor: string | null;
  command?: string;
  params: NodeParams;
  set: ParamName[];
  origins: Partial<Record<ParamName, ParamOrigin>>;
  /** Per env key. */
  envOrigins: Record<string, ParamOrigin>;
  parents: string[];
  source: SourceLocation;
  /** Leaves: its executions. Containers: none (the webview derives rounds from the list). */
  executions: ExecutionRecord[];
}

export type LogStream = 'combined' | 'stderr';

export interface ExecutionRef {
  path: string;
  execution: string;
}

export type HostToWebview =
  | { type: 'init'; run: PipelineSummary; live: boolean; nodes: WebviewNode[]; select?: string }
  /** Nodes that changed (batched); `replaced`: containers whose descendants are exactly those listed under them. */
  | { type: 'nodes'; run: PipelineSummary; live: boolean; nodes: WebviewNode[]; replaced: string[] }
  | { type: 'details'; details: NodeDetails }
  /**
   * Text of the subscribed log. `reset`: replace what is shown. `from`/`to`: byte range of the file
   * this covers; `size`: the file's size; `done`: the execution has ended and this is all.
   */
  | { type: 'log'; execution: string; stream: LogStream; text: string; reset: boolean; from: number; to: number; size: number; done: boolean }
  | { type: 'comparison'; a: ExecutionRecord; b: ExecutionRecord; aPath: string; bPath: string }
  /** The sidebar (or a command) selected a node of this pipeline. */
  | { type: 'select'; path: string }
  | { type: 'error'; message: string; op?: WebviewToHost['type'] };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'select'; path: string }
  /** `execution` null: unsubscribe. `tailBytes`: how much of the end of the file to show first. */
  | { type: 'subscribeLog'; path: string; execution: string | null; stream: LogStream; tailBytes: number }
  | { type: 'toggleRun'; on: boolean }
  | { type: 'reset'; path: string }
  | { type: 'skip'; path: string; skipped: boolean }
  | { type: 'kill'; path: string }
  | { type: 'modify'; path: string; changes: NodeModification; thenReset: boolean }
  | { type: 'sleep' }
  | { type: 'wake' }
  | { type: 'compare'; a: ExecutionRef; b: ExecutionRef }
  | { type: 'openLog'; path: string; execution: string; stream: LogStream }
  | { type: 'openSource'; path: string };

/** State the webview keeps across reloads (vscode.setState) and the serializer restores from. */
export interface PanelState {
  runId: string;
  selected?: string;
  expanded?: string[];
  tab?: string;
  execution?: string;
  follow?: boolean;
}

// ---- guards ---------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isBool = (x: unknown): x is boolean => typeof x === 'boolean';
const isPath = (x: unknown): x is string => isStr(x) && x.startsWith('/') && x.length < 4096;
const isState = (x: unknown): x is NodeState => (NODE_STATES as readonly unknown[]).includes(x);
const isStream = (x: unknown): x is LogStream => x === 'combined' || x === 'stderr';
const NODE_TYPES: readonly unknown[] = ['Serial', 'Parallel', 'Exec', 'Lazy'];
const MAX_TAIL_BYTES = 512 * 1024 * 1024;

const isRef = (x: unknown): x is ExecutionRef => isObj(x) && isPath(x.path) && isStr(x.execution);

/** Keys a modification may carry; anything else is refused rather than passed to the runner. */
const MODIFIABLE = new Set(['command', 'cpu', 'gpu', 'mem', 'env', 'max_time', 'image', 'skip']);

function isImageSpec(x: unknown): boolean {
  if (x === null) return true;
  if (!isObj(x)) return false;
  const nullableStr = (v: unknown) => v === null || isStr(v);
  return (
    nullableStr(x.name) &&
    nullableStr(x.dockerfile) &&
    nullableStr(x.dockerfile_text) &&
    nullableStr(x.context) &&
    nullableStr(x.copy_dir) &&
    Array.isArray(x.install_packages) &&
    x.install_packages.every(isStr) &&
    Array.isArray(x.install_pip) &&
    x.install_pip.every(isStr) &&
    isObj(x.path_map) &&
    Object.values(x.path_map).every(isStr)
  );
}

/** Shape only: the runner's validateModification judges the values (and says why). */
export function isNodeModification(x: unknown): x is NodeModification {
  if (!isObj(x)) return false;
  for (const [k, v] of Object.entries(x)) {
    if (!MODIFIABLE.has(k)) return false;
    if (k === 'command' && !isStr(v)) return false;
    if ((k === 'cpu' || k === 'gpu' || k === 'mem' || k === 'max_time') && typeof v !== 'number') return false;
    if (k === 'skip' && !isBool(v)) return false;
    if (k === 'env' && !(isObj(v) && Object.values(v).every(isStr))) return false;
    if (k === 'image' && !isImageSpec(v)) return false;
  }
  return true;
}

export function isWebviewToHost(x: unknown): x is WebviewToHost {
  if (!isObj(x) || !isStr(x.type)) return false;
  switch (x.type) {
    case 'ready':
    case 'sleep':
    case 'wake':
      return true;
    case 'select':
    case 'reset':
    case 'kill':
    case 'openSource':
      return isPath(x.path);
    case 'subscribeLog':
      return isPath(x.path) && (x.execution === null || isStr(x.execution)) && isStream(x.stream) && isNum(x.tailBytes) && x.tailBytes > 0 && x.tailBytes <= MAX_TAIL_BYTES;
    case 'toggleRun':
      return isBool(x.on);
    case 'skip':
      return isPath(x.path) && isBool(x.skipped);
    case 'modify':
      return isPath(x.path) && isBool(x.thenReset) && isNodeModification(x.changes);
    case 'compare':
      return isRef(x.a) && isRef(x.b);
    case 'openLog':
      return isPath(x.path) && isStr(x.execution) && isStream(x.stream);
    default:
      return false;
  }
}

function isCounts(x: unknown): x is StateCounts {
  return isObj(x) && NODE_STATES.every((s) => isNum(x[s]));
}

function isSummary(x: unknown): x is PipelineSummary {
  return isObj(x) && isStr(x.id) && isStr(x.name) && isStr(x.file) && (x.status === 'active' || x.status === 'sleeping') && isBool(x.autorun) && isState(x.rootState) && isCounts(x.counts);
}

function isBrief(x: unknown): x is ExecutionBrief {
  return isObj(x) && isStr(x.id) && isNum(x.startedAt) && (x.endedAt === undefined || isNum(x.endedAt));
}

export function isWebviewNode(x: unknown): x is WebviewNode {
  return (
    isObj(x) &&
    isPath(x.path) &&
    NODE_TYPES.includes(x.type) &&
    isState(x.state) &&
    isBool(x.skipped) &&
    (x.command === undefined || isStr(x.command)) &&
    (x.parents === undefined || (Array.isArray(x.parents) && x.parents.every(isPath))) &&
    isCounts(x.counts) &&
    Array.isArray(x.executions) &&
    x.executions.every(isBrief)
  );
}

function isExecutionRecord(x: unknown): x is ExecutionRecord {
  return isObj(x) && isStr(x.id) && isPath(x.path) && isStr(x.command) && isObj(x.params) && isNum(x.startedAt);
}

function isDetails(x: unknown): x is NodeDetails {
  return (
    isObj(x) &&
    isPath(x.path) &&
    NODE_TYPES.includes(x.type) &&
    isState(x.state) &&
    isBool(x.skipped) &&
    isObj(x.params) &&
    Array.isArray(x.set) &&
    isObj(x.origins) &&
    isObj(x.envOrigins) &&
    Array.isArray(x.executions) &&
    x.executions.every(isExecutionRecord)
  );
}

export function isHostToWebview(x: unknown): x is HostToWebview {
  if (!isObj(x) || !isStr(x.type)) return false;
  switch (x.type) {
    case 'init':
      return isSummary(x.run) && isBool(x.live) && Array.isArray(x.nodes) && x.nodes.every(isWebviewNode) && (x.select === undefined || isPath(x.select));
    case 'nodes':
      return isSummary(x.run) && isBool(x.live) && Array.isArray(x.nodes) && x.nodes.every(isWebviewNode) && Array.isArray(x.replaced) && x.replaced.every(isPath);
    case 'details':
      return isDetails(x.details);
    case 'log':
      return isStr(x.execution) && isStream(x.stream) && isStr(x.text) && isBool(x.reset) && isNum(x.from) && isNum(x.to) && isNum(x.size) && isBool(x.done);
    case 'comparison':
      return isExecutionRecord(x.a) && isExecutionRecord(x.b) && isPath(x.aPath) && isPath(x.bPath);
    case 'select':
      return isPath(x.path);
    case 'error':
      return isStr(x.message);
    default:
      return false;
  }
}

export function isPanelState(x: unknown): x is PanelState {
  return isObj(x) && isStr(x.runId) && (x.selected === undefined || isPath(x.selected)) && (x.expanded === undefined || (Array.isArray(x.expanded) && x.expanded.every(isPath)));
}
