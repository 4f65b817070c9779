// The language server's custom requests and the editor-side ids they name. Defined once here;
// the server, the client and the tests import them.
import type { DefinitionError, PipelineDocument } from './pipeline';

/** `pipewright/tree`: the pipelines a document defines, with their pipeline JSON. */
export const TREE_REQUEST = 'pipewright/tree';

export interface TreeParams {
  textDocument: { uri: string };
}

/** A parameter of a pipeline function, as the SDK describes it (`pipewright.parameters`). */
export interface PipelineParameter {
  name: string;
  /** How the command line reads it: from the annotation, else the default, else str. */
  kind: 'int' | 'float' | 'bool' | 'str' | 'list' | 'custom';
  /** No default: the function cannot be called without it. */
  required: boolean;
  /** The default as command-line text; absent when there is none, it is None, or it has no text form. */
  default?: string;
  /** list: the items' kind, when annotated (`List[int]`). */
  element?: 'int' | 'float' | 'bool' | 'str';
  /** custom: the class whose from_str() reads the text. */
  type?: string;
}

export interface PipelineEntry {
  /** The function's name, or the file's stem for a module-level tree. */
  name: string;
  /** 1-based line of the function (or of the root node for a module-level tree). */
  line: number;
  /** The co.main default. */
  default: boolean;
  /** The evaluated pipeline; absent when it could not be evaluated (see `error`) or untrusted. */
  document?: PipelineDocument;
  /** Why it has no document: a definition error, or arguments it needs and has no default for. */
  error?: DefinitionError;
  /** A function's parameters (*args and **kwargs left out); absent for a module-level tree or untrusted. */
  parameters?: PipelineParameter[];
  /** Last line (1-based) of the function's body: which pipeline the cursor is in. */
  endLine?: number;
}

export interface TreeResult {
  uri: string;
  /** Is this a pipeline definition (a Python file importing pipewright or conducto)? */
  isDefinition: boolean;
  /** False: the workspace is untrusted; `pipelines` come from Python's ast alone, no documents. */
  trusted: boolean;
  /** Why some of the answer is missing (untrusted workspace, evaluation timed out, ...). */
  notice?: string;
  pipelines: PipelineEntry[];
  /** Version of the document the answer is for. */
  version: number;
}

/** Sent by the server when a document's pipelines changed (after an edit settles). */
export const TREE_CHANGED_NOTIFICATION = 'pipewright/treeChanged';

export interface TreeChangedParams {
  uri: string;
  version: number;
}

/** `initializationOptions` and `workspace/didChangeConfiguration` settings the server reads. */
export interface ServerSettings {
  trusted: boolean;
  /** Python interpreter for evaluating definitions. */
  pythonPath?: string;
  /** Per evaluation, ms (default 10 000). */
  evaluationTimeoutMs?: number;
  /** Per evaluation, MB of address space (default 2048). */
  evaluationMemoryMb?: number;
  /** Debounce of edits, ms (default 150). */
  debounceMs?: number;
}

/** Commands the CodeLenses and views invoke (arguments as documented beside each). */
export const COMMANDS = {
  /** (uri: string, pipeline: string) */
  runPipeline: 'pipewright.runPipeline',
  /** (uri: string, pipeline: string), or a pipeline row: asks for every argument, whatever was remembered. */
  runPipelineWithArguments: 'pipewright.runPipelineWithArguments',
  /** A run row (or run id): a new run of its pipeline function with the arguments it was given. */
  rerunWithSameArguments: 'pipewright.rerunWithSameArguments',
  /** The keyboard's run in the Pipelines view: its selected pipeline function (or run: rerun). */
  runSelected: 'pipewright.runSelected',
  /** (uri: string, pipeline: string) */
  showTree: 'pipewright.showTree',
  refresh: 'pipewright.refresh',
  nodeRun: 'pipewright.node.reset',
  /** Pipeline steps (PipelineController): run again without their cached results. */
  nodeRefresh: 'pipewright.node.refresh',
  nodeSkip: 'pipewright.node.skip',
  nodeUnskip: 'pipewright.node.unskip',
  nodeKill: 'pipewright.node.kill',
  nodeLogs: 'pipewright.node.showLogs',
  nodeGoTo: 'pipewright.node.goToDefinition',
  /** A terminal in the running node's container (`pipewright shell`). */
  nodeShell: 'pipewright.node.openShell',
  /** A terminal in a fresh container like the node's (`pipewright debug`). */
  nodeDebug: 'pipewright.node.debug',
  pipelineToggleRun: 'pipewright.pipeline.toggleRun',
  pipelineReset: 'pipewright.pipeline.reset',
  pipelineRefresh: 'pipewright.pipeline.refresh',
  pipelineSleep: 'pipewright.pipeline.sleep',
  pipelineWake: 'pipewright.pipeline.wake',
  pipelineDelete: 'pipewright.pipeline.delete',
} as const;

export const VIEW_CONTAINER = 'pipewright';
export const PIPELINES_VIEW = 'pipewright.pipelines';
