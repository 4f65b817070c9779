import type { RunContext } from '../../runner/runContext';
import type { PipelineStore } from '../../runner/store/pipelineStore';

/** A context that runs nothing: for tests that only look at what the store writes. */
export function noEngineContext(store: PipelineStore, sdkDir: string): RunContext {
  return {
    store,
    defaultImage: 'unused',
    backend: {
      description: 'none',
      capacity: () => ({ cpu: 1, mem: 1 }),
      open: () => {
        throw new Error('this test runs no node');
      },
    },
    resolveImage: () => Promise.reject(new Error('this test runs no node')),
    budget: { cpu: 1, mem: 1 },
    sdkDir,
    python: 'python3',
  };
}
