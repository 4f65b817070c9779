// Messages between the pipeline panel's host (extension/panel/) and its UI (webview/). Defined
// once here, as valibot schemas; both sides validate what they receive with them (a webview is
// untrusted input, and a stale webview after an update may speak an older dialect). No vscode, no DOM.
//
// What the webview sends is checked in full and its types are derived from the schemas. What the
// host sends keeps hand-written types (they document the fields) and a schema that checks the
// parts the webview relies on; compile-time assertions keep each type within its schema.
// Bundle size: esbuild keeps every schema built here in dist/webview.js, those of both directions
// (it does not carry valibot's no-side-effects marks across modules); valibot functions no schema
// uses are left out.
import * as v from 'valibot';
import { NodeModificationSchema } from './modification';
import type { NodeParams, NodeType, ParamName, SourceLocation } from './pipeline';
import { NODE_STATES, type ExecutionRecord, type NodeModification, type NodeState, type PipelineSummary, type StateCounts, type StepMetrics } from './runner';
import { AnyObjectSchema, check, FiniteSchema, NodePathSchema, type Assert, type Checked, type Same, type Within } from './validation';

export const PANEL_VIEW_TYPE = 'pipewright.pipeline';

/** What the timeline and the node list need of an execution (full records come with `details`). */
export interface ExecutionBrief {
  id: string;
  startedAt: number;
  endedAt?: number;
  exitCode?: number | null;
  reason?: ExecutionRecord['reason'];
  peakMemoryBytes?: number | null;
  /** A pipeline step's Logger reports (ExecutionRecord.step.metrics): the Metrics tab draws them. */
  metrics?: StepMetrics;
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
  /**
   * A container of a large run (sent a page at a time: extension/panel/panelPages.ts): how many
   * children it has. The webview holds the first ones it was sent and asks for more (`children`).
   */
  childCount?: number;
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

const LogStreamSchema = v.picklist(['combined', 'stderr']);
export type LogStream = v.InferOutput<typeof LogStreamSchema>;

const ExecutionRefSchema = v.object({ path: NodePathSchema, execution: v.string() });
export type ExecutionRef = v.InferOutput<typeof ExecutionRefSchema>;

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

/**
 * The most of a log's end the webview may ask to be shown first, and the most the host reads for
 * one request: it holds that much twice over (the bytes, then the text), so this bounds its memory.
 * A longer log opens whole in an editor (`openLog`).
 */
export const MAX_TAIL_BYTES = 8 * 1024 * 1024;

const WebviewToHostSchema = v.variant('type', [
  v.object({ type: v.literal('ready') }),
  v.object({ type: v.literal('select'), path: NodePathSchema }),
  /** A large run's container: its children from index `from` on, a page of them (the answer is a `nodes` message). */
  v.object({ type: v.literal('children'), path: NodePathSchema, from: v.pipe(FiniteSchema, v.integer(), v.minValue(0)) }),
  /** `execution` null: unsubscribe. `tailBytes`: how much of the end of the file to show first. */
  v.object({
    type: v.literal('subscribeLog'),
    path: NodePathSchema,
    execution: v.nullable(v.string()),
    stream: LogStreamSchema,
    tailBytes: v.pipe(FiniteSchema, v.gtValue(0), v.maxValue(MAX_TAIL_BYTES)),
  }),
  v.object({ type: v.literal('toggleRun'), on: v.boolean() }),
  v.object({ type: v.literal('reset'), path: NodePathSchema }),
  v.object({ type: v.literal('skip'), path: NodePathSchema, skipped: v.boolean() }),
  v.object({ type: v.literal('kill'), path: NodePathSchema }),
  v.object({ type: v.literal('modify'), path: NodePathSchema, changes: NodeModificationSchema, thenReset: v.boolean() }),
  v.object({ type: v.literal('sleep') }),
  v.object({ type: v.literal('wake') }),
  /** A new run of the pipeline function with this run's arguments ("Rerun with Same Arguments"). */
  v.object({ type: v.literal('rerun') }),
  v.object({ type: v.literal('compare'), a: ExecutionRefSchema, b: ExecutionRefSchema }),
  v.object({ type: v.literal('openLog'), path: NodePathSchema, execution: v.string(), stream: LogStreamSchema }),
  v.object({ type: v.literal('openSource'), path: NodePathSchema }),
  /** A terminal for the node: `shell` in its running container, `debug` in a fresh one like it. */
  v.object({ type: v.literal('terminal'), path: NodePathSchema, kind: v.picklist(['shell', 'debug']) }),
]);
export type WebviewToHost = v.InferOutput<typeof WebviewToHostSchema>;

/** State the webview keeps across reloads (vscode.setState) and the serializer restores from. */
const PanelStateSchema = v.object({
  runId: v.string(),
  selected: v.optional(NodePathSchema),
  expanded: v.optional(v.array(NodePathSchema)),
  tab: v.optional(v.string()),
  execution: v.optional(v.string()),
  follow: v.optional(v.boolean()),
  /** The picked execution stays shown when the node runs again (the Logs tab's pin). */
  pinned: v.optional(v.boolean()),
});
export type PanelState = v.InferOutput<typeof PanelStateSchema>;

// ---- what the host sends: the parts the webview relies on ------------------------------------

const NodeStateSchema = v.picklist(NODE_STATES);
const NodeTypeSchema = v.picklist(['Serial', 'Parallel', 'Exec', 'Lazy']);
const Count = FiniteSchema;
const StateCountsSchema = v.object({ pending: Count, queued: Count, running: Count, done: Count, error: Count, killed: Count });

const SummarySchema = v.object({
  id: v.string(),
  name: v.string(),
  file: v.string(),
  status: v.picklist(['active', 'sleeping']),
  autorun: v.boolean(),
  rootState: NodeStateSchema,
  counts: StateCountsSchema,
  args: v.optional(v.array(v.string())),
});

const BriefSchema = v.object({ id: v.string(), startedAt: FiniteSchema, endedAt: v.optional(FiniteSchema), metrics: v.optional(AnyObjectSchema) });

const WebviewNodeSchema = v.object({
  path: NodePathSchema,
  type: NodeTypeSchema,
  state: NodeStateSchema,
  skipped: v.boolean(),
  command: v.optional(v.string()),
  parents: v.optional(v.array(NodePathSchema)),
  counts: StateCountsSchema,
  executions: v.array(BriefSchema),
  childCount: v.optional(v.pipe(FiniteSchema, v.integer(), v.minValue(0))),
});

const ExecutionRecordSchema = v.object({ id: v.string(), path: NodePathSchema, command: v.string(), params: AnyObjectSchema, startedAt: FiniteSchema });

const DetailsSchema = v.object({
  path: NodePathSchema,
  type: NodeTypeSchema,
  state: NodeStateSchema,
  skipped: v.boolean(),
  params: AnyObjectSchema,
  set: v.array(v.unknown()),
  origins: AnyObjectSchema,
  envOrigins: AnyObjectSchema,
  executions: v.array(ExecutionRecordSchema),
});

const HostToWebviewSchema = v.variant('type', [
  v.object({ type: v.literal('init'), run: SummarySchema, live: v.boolean(), nodes: v.array(WebviewNodeSchema), select: v.optional(NodePathSchema) }),
  v.object({ type: v.literal('nodes'), run: SummarySchema, live: v.boolean(), nodes: v.array(WebviewNodeSchema), replaced: v.array(NodePathSchema) }),
  v.object({ type: v.literal('details'), details: DetailsSchema }),
  v.object({
    type: v.literal('log'),
    execution: v.string(),
    stream: LogStreamSchema,
    text: v.string(),
    reset: v.boolean(),
    from: FiniteSchema,
    to: FiniteSchema,
    size: FiniteSchema,
    done: v.boolean(),
  }),
  v.object({ type: v.literal('comparison'), a: ExecutionRecordSchema, b: ExecutionRecordSchema, aPath: NodePathSchema, bPath: NodePathSchema }),
  v.object({ type: v.literal('select'), path: NodePathSchema }),
  v.object({ type: v.literal('error'), message: v.string() }),
]);

type _NodeTypesAgree = Assert<Same<NodeType, v.InferOutput<typeof NodeTypeSchema>>>;
type _CountsAgree = Assert<Same<StateCounts, v.InferOutput<typeof StateCountsSchema>>>;
type _HostTypesAgree = Assert<Same<HostToWebview['type'], v.InferOutput<typeof HostToWebviewSchema>['type']>>;
type _HostMessagesPass = Assert<Within<HostToWebview, v.InferOutput<typeof HostToWebviewSchema>>>;
type _NodesPass = Assert<Within<WebviewNode, v.InferOutput<typeof WebviewNodeSchema>>>;

// ---- guards ---------------------------------------------------------------------------------
// `v.is` narrows the value itself: the host schemas check part of each message, and parsing
// would drop the rest.

/** Shape only: the runner's validateModification judges the values (and says why). */
export const isNodeModification = (x: unknown): x is NodeModification => v.is(NodeModificationSchema, x);

/** The message as checked (unknown keys dropped), or what is wrong with it. */
export const parseWebviewToHost = (x: unknown): Checked<WebviewToHost> => check(WebviewToHostSchema, x);
export const isWebviewToHost = (x: unknown): x is WebviewToHost => v.is(WebviewToHostSchema, x);
export const isWebviewNode = (x: unknown): x is WebviewNode => v.is(WebviewNodeSchema, x);
export const isHostToWebview = (x: unknown): x is HostToWebview => v.is(HostToWebviewSchema, x);
export const isPanelState = (x: unknown): x is PanelState => v.is(PanelStateSchema, x);
