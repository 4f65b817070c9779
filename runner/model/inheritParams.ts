import type { NodeParams, ParamName } from '../../protocol/pipeline';

/** Params a child takes from its parent unless it sets them (Conducto's inheritance). */
export const INHERITED_PARAMS: readonly ParamName[] = ['cpu', 'gpu', 'mem', 'env', 'image', 'requires_docker', 'max_time', 'container_reuse_context', 'backend', 'placement'];

/**
 * Effective params of a node given its parent's effective params and the params it sets itself.
 * `own` holds the node's values for at least the names in `set`.
 */
export function inheritParams(parent: NodeParams | null, own: NodeParams, set: readonly ParamName[]): NodeParams {
  if (!parent) return own;
  const result: NodeParams = { ...own };
  const mine = new Set(set);
  for (const name of INHERITED_PARAMS) {
    if (name === 'env') {
      result.env = mine.has('env') ? { ...parent.env, ...own.env } : parent.env;
    } else if (!mine.has(name)) {
      // Pipewright's optional params (backend, placement) stay absent when the parent has none.
      if (parent[name] === undefined) delete (result as unknown as Record<string, unknown>)[name];
      else (result as unknown as Record<string, unknown>)[name] = parent[name];
    }
  }
  return result;
}
