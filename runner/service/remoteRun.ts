import { EventEmitter } from 'node:events';
import type { ControlRequest } from '../../protocol/control';
import type { PipelineDocument } from '../../protocol/pipeline';
import type { NodeModification, PipelineStatus, PipelineSummary, RunnerEvent } from '../../protocol/runner';
import type { WatchStart } from '../../protocol/service';
import { StepEngine } from '../clearml/stepEngine';
import { RunTree } from '../model/runTree';
import { Replayer } from '../run/replay';
import { restore } from '../run/restore';
import { summarize, type RunHandle } from '../runHandle';
import type { PendingReason } from '../scheduler/pendingReasons';
import type { PipelineMeta } from '../store/pipelineMeta';
import type { PipelineSpace } from '../store/pipelineSpace';
import type { PipelineStore } from '../store/pipelineStore';
import type { ServiceClient } from './serviceClient';

/**
 * A client's replica of a run the runner service holds: its tree rebuilt from the run's log, then
 * kept current by the events the service streams; operations are sent to the service. Closing a
 * replica only stops watching: the run goes on.
 */
export class RemoteRun extends EventEmitter<{ event: [RunnerEvent] }> implements RunHandle {
  readonly tree: RunTree;
  readonly space: PipelineSpace;
  readonly hasSteps: boolean;
  private replayer: Replayer;
  private readonly unsubscribe: (() => void)[] = [];
  private fallingAsleep = false;
  private detached = false;
  /** Called once when this replica stops following the run: the service let go of it, or is gone. */
  onDetached: ((why: string) => void) | undefined;

  private constructor(
    private readonly client: ServiceClient,
    readonly meta: PipelineMeta,
    doc: PipelineDocument,
    store: PipelineStore,
  ) {
    super();
    this.tree = new RunTree(doc.nodes);
    this.space = store.space(meta.id);
    this.hasSteps = StepEngine.applies(this.tree);
    this.replayer = new Replayer(this.tree);
  }

  /** Follows the run `id` the service holds: its past from the log, then its events as they come. */
  static async attach(client: ServiceClient, store: PipelineStore, id: string): Promise<RemoteRun> {
    const doc = await store.readDocument(id);
    const run = new RemoteRun(client, store.meta(id), doc, store);
    await run.follow(store, doc);
    return run;
  }

  private async follow(store: PipelineStore, doc: PipelineDocument): Promise<void> {
    let early: RunnerEvent[] | null = [];
    this.unsubscribe.push(
      this.client.onEvents(this.id, (events) => (early ? early.push(...events) : this.applyLive(events))),
      this.client.onReleased(this.id, () => this.detach('the runner service let go of this run')),
      this.client.onClose((why) => this.detach(why)),
    );
    try {
      const start = (await this.client.request({ op: 'watch', pipeline: this.id })) as WatchStart;
      this.replayer = await restore(store, this.id, this.tree, { nodes: doc.nodes, end: start.offset, useCheckpoint: !this.hasSteps });
      for (const nodePath of start.queued) {
        const leaf = this.tree.byPath.get(nodePath);
        if (leaf?.isLeaf && leaf.state === 'pending') this.tree.setLeafState(leaf, 'queued');
      }
    } catch (err) {
      this.detach((err as Error).message);
      throw err;
    }
    const buffered = early;
    early = null;
    this.applyLive(buffered);
  }

  private applyLive(events: readonly RunnerEvent[]): void {
    for (const event of events) {
      this.replayer.apply(event);
      if (event.type === 'sleep') this.fallingAsleep = false;
      this.emit('event', event);
    }
  }

  private detach(why: string): void {
    if (this.detached) return;
    this.detached = true;
    for (const stop of this.unsubscribe.splice(0)) stop();
    this.onDetached?.(why);
  }

  get id(): string {
    return this.meta.id;
  }
  /** The connection to the runner service is gone (it stopped or crashed). */
  get serviceLost(): boolean {
    return this.client.closed;
  }
  get status(): PipelineStatus {
    return this.replayer.state.status;
  }
  get asleep(): boolean {
    return this.status === 'sleeping' || this.fallingAsleep;
  }
  get autorun(): boolean {
    return this.replayer.state.autorun;
  }

  summary(): PipelineSummary {
    return summarize(this);
  }

  async whyPending(): Promise<PendingReason[]> {
    return (await this.client.request({ op: 'whyPending', pipeline: this.id })) as PendingReason[];
  }

  async control(request: ControlRequest): Promise<void> {
    await this.client.request({ op: 'control', pipeline: this.id, request });
  }

  setAutorun(on: boolean): Promise<void> {
    return this.control({ op: 'autorun', on });
  }

  async runAgain(nodePath: string, { withoutCache = false } = {}): Promise<void> {
    if (!this.autorun) await this.setAutorun(true);
    await this.control(withoutCache ? { op: 'refresh', path: nodePath } : { op: 'reset', path: nodePath });
  }

  skip(nodePath: string, skipped: boolean): Promise<void> {
    return this.control({ op: 'skip', path: nodePath, skipped });
  }

  kill(nodePath: string): Promise<void> {
    return this.control({ op: 'kill', path: nodePath });
  }

  modify(nodePath: string, changes: NodeModification): Promise<void> {
    return this.control({ op: 'modify', path: nodePath, changes });
  }

  async sleep(): Promise<void> {
    this.fallingAsleep = true;
    try {
      await this.control({ op: 'sleep' });
    } finally {
      this.fallingAsleep = false;
    }
  }

  wake(): Promise<void> {
    return this.control({ op: 'wake' });
  }

  /** Nothing runs or is queued, as far as the events received say. */
  settled(): Promise<void> {
    const isSettled = () => this.tree.root.leafCounts.running === 0 && this.tree.root.leafCounts.queued === 0;
    if (isSettled()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!isSettled()) return;
        this.off('event', check);
        resolve();
      };
      this.on('event', check);
    });
  }

  async ended(): Promise<void> {
    await this.client.request({ op: 'ended', pipeline: this.id });
  }

  /** Stops watching here; the service runs on. */
  async close(): Promise<void> {
    if (this.detached) return;
    this.detach('closed by this client');
    await this.client.request({ op: 'unwatch', pipeline: this.id }).catch(() => undefined);
  }

  /** Asks the service to stop the run (its containers stop; it stays in the store). */
  async stop(): Promise<void> {
    await this.client.request({ op: 'close', pipeline: this.id });
    this.detach('stopped');
  }
}
