/**
 * Where things are inside every node's container, whatever the backend: the SDK (its `bin/` on
 * PATH), the shared data (co.data.pipeline, pipeline steps' artifacts; also at Conducto's path), the
 * user's data shared by all their pipelines (co.data.user), the definition's folder, and
 * the files the runner and the node exchange.
 */
export const CONTAINER_PATHS = {
  sdk: '/pipewright/sdk',
  exec: '/pipewright/exec',
  data: '/pipewright/data',
  src: '/pipewright/src',
  /** Conducto's paths of the same shared data (co.data.pipeline), and of the user's (co.data.user). */
  conductoPipelineData: '/conducto/data/pipeline',
  conductoUserData: '/conducto/data/user',
} as const;
