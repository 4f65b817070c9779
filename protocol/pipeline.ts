// Pipeline JSON, format version 1: the one format between the SDK, language server, runner,
// CLI and webview. Documented in docs/pipeline-json.md; every part imports these types from here.

export const PIPELINE_FORMAT_VERSION = 1;

export type NodeType = 'Serial' | 'Parallel' | 'Exec' | 'Lazy';

export interface ImageSpec {
  name: string | null;
  dockerfile: string | null;
  dockerfile_text: string | null;
  context: string | null;
  copy_dir: string | null;
  install_packages: string[];
  install_pip: string[];
  path_map: Record<string, string>;
  /** Conducto's Image(name=...): a name to refer to the Image by, never the image itself. */
  reference_name?: string;
  /** A git repository (URL or absolute local path) whose `copy_branch` is cloned into the image like copy_dir. */
  copy_url?: string;
  copy_branch?: string;
  /** Conducto's install_docker / reqs_docker: the Docker CLI in the image. */
  install_docker?: boolean;
  /** Why this image cannot be prepared (e.g. copy_repo=True outside a git repository): its nodes fail with it. */
  error?: string;
}

export interface NodeParams {
  cpu: number;
  gpu: number;
  /** Memory in GB. */
  mem: number;
  env: Record<string, string>;
  image: ImageSpec | null;
  requires_docker: boolean;
  /** Seconds. */
  max_time: number;
  container_reuse_context: string | null;
  skip: boolean;
  suppress_errors: boolean;
  stop_on_error: boolean;
  max_concurrent: number | null;
  doc: string | null;
  title: string | null;
  tags: string[];
  /** Pipewright's: the backend profile this node (and, inherited, its subtree) runs on; absent: the run's backend. */
  backend?: string;
  /** Pipewright's: swarm placement constraints (`node.labels.gpu==true`), inherited; absent: anywhere. */
  placement?: string[];
}

export type ParamName = keyof NodeParams;

export interface SourceLocation {
  file: string;
  /** 1-based. */
  line: number;
}

export interface PipelineNode {
  path: string;
  type: NodeType;
  command?: string;
  params: NodeParams;
  /** Params given on this node itself; the others were inherited or default. */
  set?: ParamName[];
  /** Paths of siblings that must finish first. */
  parents: string[];
  source: SourceLocation;
  /** Set on a Lazy node's Execute child. */
  lazy?: { node_type: 'Serial' | 'Parallel' };
  /** A ClearML-style pipeline step (docs/clearml.md): an Exec child of the controller's root. */
  step?: StepSpec;
  /** Root of a ClearML-style pipeline (PipelineController). */
  controller?: ControllerSpec;
  /** Conducto callbacks (`node.on_error(co.callback.retry(3))`), in the order registered. */
  callbacks?: NodeCallback[];
  /** The controller node of a PipelineDecorator pipeline: it runs the pipeline function, which adds the steps. */
  decorated?: DecoratedSpec;
}

/** The node states a callback can be registered for; `state_change` is any of them. */
export const CALLBACK_EVENTS = ['queued', 'running', 'done', 'error', 'killed', 'state_change'] as const;
export type CallbackEvent = (typeof CALLBACK_EVENTS)[number];

/** A Conducto callback (its callback.py): what the runner does when the node enters `event`. */
export interface NodeCallback {
  event: CallbackEvent;
  /** retry, retry_then_skip, retry_with_double_mem, handle_memory_errors, skip_some_errors, email, slack_status... */
  name: string;
  /** Its keyword arguments, `inherited` (it applies to the subtree too) among them. */
  args: Record<string, unknown>;
}

/** A PipelineDecorator pipeline's function, run by the runner's controller (runner/clearml/decoratedController.ts). */
export interface DecoratedSpec {
  /** The definition file. */
  file: string;
  /** The pipeline function (decorated with PipelineDecorator.pipeline). */
  function: string;
  /** The components the file defines (each call of one adds a step). */
  components: string[];
}

/** A PipelineController step. References (`${stage1.artifacts.x.url}`) are resolved at start. */
export interface StepSpec {
  name: string;
  /** task: the node's command (a clone of a Task.create template); function: a Python function. */
  kind: 'task' | 'function';
  base_task_id: string | null;
  project: string;
  task_name: string;
  /** `Section/name` -> value, references unresolved (template parameters + overrides). */
  parameters: Record<string, unknown>;
  /** Task from `script=`: every `Args/x` parameter is passed as `--x VALUE`. */
  args_from_parameters: boolean;
  function?: { file: string; name: string; returns: string[]; code_hash: string };
  /** A task that runs a Python script (Task.create(script=), a workspace script with Task.init): its
   * file, relative to the definition's folder, and a hash of its text (the step cache key has it). */
  script?: { file: string; code_hash: string };
  queue: string | null;
  /** Seconds (also the node's max_time). */
  time_limit: number | null;
  cache: boolean;
  /** Automatic re-executions after a failure. */
  retry: number | null;
  /** retry_on_failure is a callable the controller host answers. */
  retry_callback: boolean;
  callbacks: { pre: boolean; post: boolean; status: boolean };
  continue_on_fail: boolean;
  continue_on_abort: boolean;
  skip_children_on_fail: boolean;
  skip_children_on_abort: boolean;
}

export interface ControllerSpec {
  name: string;
  project: string;
  version: string | null;
  /** A failed step stops the pipeline: running steps killed, nothing new starts. */
  abort_on_failure: boolean;
  add_run_number: boolean;
  default_queue: string | null;
  /** Pipeline parameters (`${pipeline.x}`) with their values. */
  parameters: Record<string, unknown>;
  /** start(step_task_created_callback / step_task_completed_callback) given. */
  callbacks: { pre: boolean; post: boolean };
}

export interface PipelineHeader {
  pipewright: number;
  name: string;
  file: string;
}

export interface PipelineDocument extends PipelineHeader {
  nodes: PipelineNode[];
}

/** A definition error as the SDK reports it (`--errors=json`). */
export interface DefinitionError {
  file: string;
  line: number;
  column: number;
  message: string;
  kind: 'definition' | 'syntax' | 'exception' | 'internal';
  /** Further errors the same check found (a missing step template and a cycle), each at its line. */
  also?: DefinitionError[];
}

export const ROOT_PATH = '/';

export function parentPath(path: string): string | null {
  if (path === ROOT_PATH) return null;
  const cut = path.lastIndexOf('/');
  return cut === 0 ? ROOT_PATH : path.slice(0, cut);
}

export function nodeName(path: string): string {
  return path === ROOT_PATH ? ROOT_PATH : path.slice(path.lastIndexOf('/') + 1);
}

export function childPath(parent: string, name: string): string {
  return parent === ROOT_PATH ? `/${name}` : `${parent}/${name}`;
}
