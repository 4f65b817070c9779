/**
 * Where things are inside every node's container, whatever the backend: the SDK (its `bin/` on
 * PATH), the shared data (co.data.pipeline, pipeline steps' artifacts), the definition's folder, and
 * the files the runner and the node exchange.
 */
export const CONTAINER_PATHS = {
  sdk: '/pipewright/sdk',
  exec: '/pipewright/exec',
  data: '/pipewright/data',
  src: '/pipewright/src',
} as const;
