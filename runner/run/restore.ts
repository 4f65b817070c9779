// A stored run's state rebuilt into its tree: from its checkpoint when it has one that fits, then
// the events logged after it; else from the whole log.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { PipelineNode } from '../../protocol/pipeline';
import { NODE_STATES, type RunnerEvent } from '../../protocol/runner';
import type { RunNode, RunTree } from '../model/runTree';
import { CheckpointReader } from '../store/checkpointFile';
import type { PipelineStore } from '../store/pipelineStore';
import { executionsFrom } from './checkpointExecutions';
import { Replayer } from './replay';

export interface RestoreOptions {
  /** The definition's nodes (the tree was built from them): a checkpoint that does not fit is undone. */
  nodes: readonly PipelineNode[];
  /** Only the log's bytes before this (what a live run's log held when a client began to watch it). */
  end?: number;
  /** False for pipeline steps: their engine rebuilds its own state from every event. */
  useCheckpoint: boolean;
  /** Sees each event replayed from the log. */
  observe?: (event: RunnerEvent) => void;
}

/** Replays what `tree` needs; the Replayer holds the run's status and goes on applying live events. */
export async function restore(store: PipelineStore, id: string, tree: RunTree, options: RestoreOptions): Promise<Replayer> {
  let replayer = new Replayer(tree);
  let from = 0;
  const checkpoint = options.useCheckpoint ? usableCheckpoint(store, id, options.end) : null;
  if (checkpoint) {
    if (fits(checkpoint, tree, replayer)) {
      resumeFrom(checkpoint, tree, replayer);
      from = checkpoint.header.events;
    } else {
      // Written for another tree (not by this store's code): the log alone is the truth.
      checkpoint.close();
      tree.rebuild(options.nodes);
      replayer = new Replayer(tree);
    }
  }
  for await (const events of store.readEventBatches(id, options.end, from)) {
    for (const event of events) {
      replayer.apply(event);
      options.observe?.(event);
    }
  }
  return replayer;
}

/** The run's checkpoint if it can stand for the beginning of its log; null if not (the log is replayed whole). */
function usableCheckpoint(store: PipelineStore, id: string, end: number | undefined): CheckpointReader | null {
  let checkpoint: CheckpointReader | null;
  try {
    checkpoint = CheckpointReader.open(store.checkpointFile(id));
  } catch {
    // Cut short or of another version: it only ever saves time.
    return null;
  }
  if (!checkpoint) return null;
  const offset = checkpoint.header.events;
  const logFile = store.eventLogFile(id);
  // It must end where a line of this log ends, within what is to be read.
  if (offset <= 0 || offset > (end ?? statSync(logFile).size) || byteAt(logFile, offset - 1) !== 0x0a) {
    checkpoint.close();
    return null;
  }
  return checkpoint;
}

function resumeFrom(checkpoint: CheckpointReader, tree: RunTree, replayer: Replayer): void {
  const { header } = checkpoint;
  tree.restoreLeaves(checkpoint.states, executionsFrom(checkpoint, tree));
  const ids = new Set(header.open);
  const openIn = (leaf: RunNode) => leaf.executions.filter((record) => ids.has(record.id));
  // Running nodes have them (the others' executions stay on disk), unless a later state left one behind.
  const leaves = ids.size ? [...tree.leaves(tree.root)] : [];
  let open = leaves.filter((leaf) => leaf.state === 'running').flatMap(openIn);
  if (open.length < ids.size) open = leaves.flatMap(openIn);
  replayer.resume({ autorun: header.autorun, status: header.status, execSeq: header.execSeq }, header.previousStart, open, header.events);
}

/** Applies the checkpoint's structural events: does the tree then have the Exec nodes it was written for? */
function fits(checkpoint: CheckpointReader, tree: RunTree, replayer: Replayer): boolean {
  try {
    for (const event of checkpoint.structural) replayer.apply(event);
  } catch {
    // An event for a node the tree does not have.
    return false;
  }
  // Every Exec node is counted once, in its state.
  const counts = tree.root.leafCounts;
  return NODE_STATES.reduce((n, state) => n + counts[state], 0) === checkpoint.header.leaves;
}

function byteAt(file: string, at: number): number {
  const fd = openSync(file, 'r');
  try {
    const one = Buffer.alloc(1);
    return readSync(fd, one, 0, 1, at) === 1 ? one[0]! : -1;
  } finally {
    closeSync(fd);
  }
}
