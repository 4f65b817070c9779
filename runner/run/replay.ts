// A pipeline instance's state rebuilt from its event log, after any stop.
import type { ExecutionRecord, PipelineStatus, RunnerEvent } from '../../protocol/runner';
import { applyModification } from '../model/applyModification';
import type { RunTree } from '../model/runTree';

/** Events that change the tree's nodes, their params or skipping, as opposed to states and executions. */
export const STRUCTURAL = new Set<RunnerEvent['type']>(['nodes-added', 'modify', 'skip']);

export interface Replayed {
  autorun: boolean;
  status: PipelineStatus;
  /** The highest execution number used: new executions count on from it. */
  execSeq: number;
}

/** Applies every event to `tree` (nodes, states, executions); `observe` sees each event too. */
export async function replay(batches: AsyncIterable<readonly RunnerEvent[]>, tree: RunTree, observe?: (event: RunnerEvent) => void): Promise<Replayed> {
  const replayer = new Replayer(tree);
  for await (const events of batches) {
    for (const event of events) {
      replayer.apply(event);
      observe?.(event);
    }
  }
  return replayer.state;
}

/**
 * Applies events one at a time: a whole log after a stop, or a live run's events as they come (a
 * client's replica of a run the runner service holds).
 */
export class Replayer {
  readonly state: Replayed = { autorun: false, status: 'active', execSeq: 0 };
  /** Executions started and not yet ended: their end is stored as what changed since. */
  private readonly started = new Map<string, ExecutionRecord>();
  /** The last execution start: a stored start holds only what differs from it. */
  private previousStart: ExecutionRecord | null = null;
  /** What shaped the tree after its definition (a checkpoint keeps them: checkpointFile.ts). */
  readonly structural: RunnerEvent[] = [];
  /** How much of the log the checkpoint it resumed from stood for (0: none). */
  checkpointEnd = 0;

  constructor(private readonly tree: RunTree) {}

  /** Goes on from a checkpoint: its state, the start later deltas build on, the executions not yet ended. */
  resume(state: Replayed, previousStart: ExecutionRecord | null, open: readonly ExecutionRecord[], checkpointEnd: number): void {
    Object.assign(this.state, state);
    this.checkpointEnd = checkpointEnd;
    this.previousStart = previousStart;
    for (const record of open) this.started.set(record.id, record);
  }

  get lastStart(): ExecutionRecord | null {
    return this.previousStart;
  }

  apply(event: RunnerEvent): void {
    const { tree, state: out, started } = this;
    if (STRUCTURAL.has(event.type)) this.structural.push(event);
    switch (event.type) {
      case 'autorun':
        out.autorun = event.autorun;
        break;
      case 'sleep':
        out.status = 'sleeping';
        break;
      case 'wake':
        out.status = 'active';
        break;
      case 'nodes-added':
        if (event.append) tree.append(tree.get(event.under), event.nodes);
        else tree.replaceChildren(tree.get(event.under), event.nodes);
        break;
      case 'modify':
        applyModification(tree, tree.get(event.path), event.changes);
        break;
      case 'skip':
        tree.setSkipped(tree.get(event.path), event.skipped);
        break;
      case 'reset':
        for (const leaf of tree.leaves(tree.get(event.path))) tree.setLeafState(leaf, 'pending');
        break;
      case 'state': {
        const node = tree.byPath.get(event.path);
        if (node?.isLeaf) tree.setLeafState(node, event.state);
        break;
      }
      case 'execution-start': {
        const leaf = tree.byPath.get(event.path);
        const record = this.wholeStart(event);
        if (!leaf?.isLeaf) break;
        // The node's own string, not a copy per execution.
        if (record.path === leaf.path) record.path = leaf.path;
        leaf.addExecution(record);
        started.set(record.id, record);
        tree.setLeafState(leaf, 'running');
        this.seq(record.id);
        break;
      }
      case 'execution-end': {
        const leaf = tree.byPath.get(event.path);
        if (!leaf?.isLeaf) break;
        const start = started.get(event.execution.id);
        started.delete(event.execution.id);
        if (start) {
          Object.assign(start, event.execution);
          // As the live run does: an ended job's handle is of no use.
          start.token = undefined;
          // A stored delta is made whole for whoever observes the event after this.
          if (event.delta) {
            event.execution = start;
            delete event.delta;
          }
        } else leaf.addExecution({ ...event.execution });
        this.seq(event.execution.id);
        // A step that failed and was to run again (retry_on_failure) is pending.
        tree.setLeafState(leaf, event.retry ? 'pending' : event.state);
        break;
      }
      default:
        break;
    }
  }

  /** Execution ids count up (e1, e2...): new ones go on from the highest. */
  private seq(id: string): void {
    const n = Number(id.slice(1)) || 0;
    if (n > this.state.execSeq) this.state.execSeq = n;
  }

  /** The start's execution record, whole (a stored delta merged with the start before it); the event is made whole too. */
  private wholeStart(event: RunnerEvent & { type: 'execution-start' }): ExecutionRecord {
    let record: ExecutionRecord;
    if (event.delta) {
      record = { ...this.previousStart, ...event.execution } as ExecutionRecord;
      // Not written: the event's path (never the previous start's).
      if (!('path' in event.execution)) record.path = event.path;
      for (const key of event.unset ?? []) delete (record as unknown as Record<string, unknown>)[key];
      event.execution = record;
      delete event.delta;
      delete event.unset;
    } else record = { ...event.execution };
    // As it was when it started (its end is merged into `record` later).
    this.previousStart = { ...record };
    return record;
  }
}
