import type { NodeParams, NodeType, PipelineNode } from '../../protocol/pipeline';

export const defaultParams: NodeParams = {
  cpu: 1, gpu: 0, mem: 2, env: {}, image: null, requires_docker: false, max_time: 14400,
  container_reuse_context: null, skip: false, suppress_errors: false, stop_on_error: true,
  max_concurrent: null, doc: null, title: null, tags: [],
};

/** A node for tests: `node('/Test/app', 'Exec', 'echo hi')`. */
export function node(path: string, type: NodeType, command?: string, params: Partial<NodeParams> = {}, parents: string[] = []): PipelineNode {
  return { path, type, ...(command !== undefined ? { command } : {}), params: { ...defaultParams, ...params }, parents, source: { file: '/x/pipeline.py', line: 1 } };
}
