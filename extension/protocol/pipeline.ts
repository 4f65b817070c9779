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
