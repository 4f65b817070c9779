// Writes a run's checkpoint (store/checkpointFile.ts) from its tree as it is now.
import { statSync } from 'node:fs';
import type { ExecutionRecord, RunnerEvent } from '../../protocol/runner';
import type { RunTree } from '../model/runTree';
import { writeCheckpoint } from '../store/checkpointFile';
import type { PipelineStore } from '../store/pipelineStore';
import type { Replayed } from './replay';

export interface CheckpointSource {
  tree: RunTree;
  state: Replayed;
  /** What shaped the tree after its definition, in order. */
  structural: readonly RunnerEvent[];
  /** The last execution start the log holds, whole. */
  lastStart: ExecutionRecord | null;
}

/** Stands for the whole log as it is now: only its owner calls this, after its last write. */
export function saveCheckpoint(store: PipelineStore, id: string, source: CheckpointSource): void {
  const { tree, state } = source;
  const leaves = [...tree.leaves(tree.root)];
  const open = leaves.flatMap((leaf) => leaf.executions.filter((e) => e.endedAt === undefined).map((e) => e.id));
  const header = { events: statSync(store.eventLogFile(id)).size, ...state, open, previousStart: source.lastStart };
  writeCheckpoint(store.checkpointFile(id), header, source.structural, leaves, leaves.map((leaf) => leaf.state));
}
