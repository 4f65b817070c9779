import { EventEmitter } from 'node:events';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import type { PipelineDocument } from '../protocol/pipeline';
import { nodeName } from '../protocol/pipeline';
import type { EndReason, ExecutionRecord, NodeModification, NodeState, PipelineSummary, RunnerEvent } from '../protocol/runner';
import { readPipelineStream } from '../evaluator/readPipeline';
import type { JobOutcome, PipelineBackend } from './backend';
import { DecoratedController } from './clearml/decoratedController';
import { StepEngine } from './clearml/stepEngine';
import { NodeCallbacks } from './callbacks/nodeCallbacks';
import { applyModification } from './model/applyModification';
import { validateModification } from './model/validateModification';
import { RunTree, type RunNode } from './model/runTree';
import { GENERATED_PIPELINE, isLazyGenerate, launch, outputsOf, type Ending, type LaunchHost } from './run/launch';
import { STRUCTURAL } from './run/replay';
import { restore } from './run/restore';
import { saveCheckpoint } from './run/saveCheckpoint';
import { OpenContexts, reuseContextOf } from './run/reuseContext';
import { instanceImageMap } from './docker/imageMap';
import type { RunContext } from './runContext';
import { ResourceBudget } from './scheduler/resourceBudget';
import { RoutedPipeline } from './routedPipeline';
import { BackendChoiceError, unknownProfile } from './backendProfiles';
import { Scheduler } from './scheduler/scheduler';
import type { ControlRequest } from '../protocol/control';
import { ControlInbox } from './store/controlInbox';
import type { EventLog, PipelineMeta } from './store/pipelineStore';
import type { PipelineSpace } from './store/pipelineSpace';
import { summarize, type RunHandle } from './runHandle';
import type { PendingReason } from './scheduler/pendingReasons';
import type { PipelineStore } from './store/pipelineStore';

export type { RunContext } from './runContext';

/** Events this instance writes to its log: enough to rebuild its state after any stop. */
const PERSISTED = new Set<RunnerEvent['type']>(['created', 'execution-start', 'execution-end', 'state', 'skip', 'reset', 'modify', 'nodes-added', 'autorun', 'sleep', 'wake']);

/** How long a run stays settled before its checkpoint is written (a node rerun at once writes none). */
const CHECKPOINT_AFTER_MS = 1500;

/** An execution from the moment it is scheduled to its end. */
interface LiveExecution {
  execution: ExecutionRecord;
  /** Aborted with the EndReason: kill, reset, sleep, close, whatever stage it is at. */
  controller: AbortController;
  /** Where a stopped execution leaves its node: killed, or pending again (reset, sleep). */
  after: 'killed' | 'pending';
}

/**
 * One pipeline instance: its node tree, scheduler, backend session and store. The views and the
 * CLI subscribe to `event` and call the operations; nothing else changes its state. Executions
 * are launched (run/launch.ts), which reports what became of each; `conclude` applies that, once.
 */
export class PipelineRun extends EventEmitter<{ event: [RunnerEvent] }> implements RunHandle {
  readonly tree: RunTree;
  readonly scheduler: Scheduler;
  /** Logs, results and shared data: read them here, never by path. */
  readonly space: PipelineSpace;
  private backendSession: PipelineBackend | undefined;
  private readonly profileBudgets = new Map<string, ResourceBudget>();
  private readonly log: EventLog;
  private readonly live = new Map<RunNode, LiveExecution>();
  private execSeq = 0;
  /** What shaped the tree after its definition, in order: a checkpoint keeps them. */
  private structural: RunnerEvent[] = [];
  /** The last execution start the log holds (replayed): a checkpoint keeps it. */
  private lastStart: ExecutionRecord | null = null;
  /** Opened to be read (inspect): it writes no checkpoint. */
  private readOnly = false;
  /** How much of the log the last checkpoint written stands for. */
  private checkpointed = -1;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private settleWaiters: (() => void)[] = [];
  private replaying = false;
  private readonly inbox: ControlInbox;
  /** PipelineController steps (runner/clearml), when the pipeline has any. */
  private readonly steps: StepEngine | undefined;
  /** The controller of a PipelineDecorator pipeline (its body adds the steps), when it is one. */
  private readonly decorated: DecoratedController | undefined;
  private readonly launchHost: LaunchHost;
  private fallingAsleep: Promise<void> | undefined;
  /** Reuse contexts with a container of their own (container_reuse_context="new"). */
  private readonly contexts = new OpenContexts();
  /** Conducto node callbacks (on_error(co.callback.retry(3))...), carried out as states settle. */
  private readonly callbacks: NodeCallbacks;
  private watchCallbacks: boolean;
  private closing = false;
  status: 'active' | 'sleeping' = 'active';

  private constructor(
    readonly meta: PipelineMeta,
    doc: PipelineDocument,
    private readonly ctx: RunContext,
  ) {
    super();
    this.tree = new RunTree(doc.nodes);
    this.space = ctx.store.space(meta.id);
    this.scheduler = new Scheduler(this.tree, new ResourceBudget(ctx.budget), (leaf) => this.startLeaf(leaf));
    // A node sent to a backend profile holds that engine's resources, not the run's.
    if (ctx.profiles) this.scheduler.budgetOf = (leaf) => this.profileBudget(this.profileOf(leaf));
    // A "new" reuse context has one container: its nodes run there one at a time.
    this.scheduler.exclusiveKey = (leaf) => {
      const context = reuseContextOf(leaf);
      return context.pinned ? context.key : null;
    };
    this.log = ctx.store.openEventLog(meta.id);
    this.inbox = new ControlInbox(ctx.store.dir(meta.id));
    if (StepEngine.applies(this.tree)) {
      const steps = (this.steps = this.makeStepEngine());
      this.scheduler.dependencyRule = (parent, child) => steps.dependencies(parent, child);
      this.scheduler.onSkip = (child) => steps.skipChild(child);
    }
    this.callbacks = new NodeCallbacks({
      tree: this.tree,
      // Read when needed: a pipeline opened read-only (inspect) has no budget.
      maxMem: () => ctx.budget.mem,
      // A run being closed or put to sleep ends its nodes `killed` or pending: no retries then.
      acting: () => !this.closing && !this.asleep,
      notice: (nodePath, message) => this.emitEvent({ type: 'notice', pipeline: this.id, time: Date.now(), path: nodePath, message }, true),
      reset: (nodePath) => this.reset(nodePath),
      skip: (nodePath) => this.skip(nodePath, true),
      setMem: (nodePath, mem) => this.modify(nodePath, { mem }),
    });
    this.watchCallbacks = NodeCallbacks.applies(this.tree);
    if (DecoratedController.applies(this.tree)) {
      const decorated = (this.decorated = this.makeDecoratedController());
      this.scheduler.unbudgeted = (leaf) => decorated.isController(leaf);
    }
    this.tree.onState = (node, state) => {
      if (this.replaying) return;
      this.emitEvent({ type: 'state', pipeline: this.id, time: Date.now(), path: node.path, state, ...(node.skipped ? { skipped: true } : {}) }, false);
      if (this.watchCallbacks) this.callbacks.stateChanged(node, state);
    };
    this.launchHost = {
      pipelineId: meta.id,
      definitionDir: this.definitionDir,
      // Kept with the instance: a `start` after a crash runs the rest in the image the run began with.
      defaultImage: meta.defaultImage ?? ctx.defaultImage,
      // Likewise its image map, under the one given now.
      imageMap: instanceImageMap(meta.imageMap, ctx.imageMap),
      resolveImage: ctx.resolveImage,
      profileOf: (leaf) => this.profileOf(leaf),
      spansEngines: Boolean(ctx.profiles),
      profileResolver: async (profile) => {
        if (!ctx.profiles?.has(profile)) throw new BackendChoiceError(unknownProfile(profile, ctx.profiles));
        return (await ctx.profiles.open(profile)).resolveImage;
      },
      steps: this.steps,
      decorated: this.decorated,
      backend: () => this.backend,
      emit: (event) => this.emitEvent(event),
    };
  }

  /** Opened on first use, so reading a stored pipeline needs no engine. */
  private get backend(): PipelineBackend {
    if (!this.backendSession) {
      const main = this.ctx.backend.open(this.id, this.space);
      this.backendSession = this.ctx.profiles ? new RoutedPipeline(main, this.ctx.profiles, this.id, this.space) : main;
    }
    return this.backendSession!;
  }

  /** The backend profile a node is sent to: its step's execution_queue, when a profile has that name. */
  private profileOf(leaf: RunNode): string | null {
    // A node's own backend= names a profile; one that is not configured fails at launch, naming it.
    if (leaf.params.backend) return leaf.params.backend;
    const step = leaf.spec.step;
    if (!step || !this.ctx.profiles) return null;
    const queue = step.queue ?? this.tree.root.spec.controller?.default_queue ?? null;
    return this.ctx.profiles.has(queue) ? queue : null;
  }

  /** A profile's budget: what the profile says until its engine answers, then what it offers (unset: nothing, so a node runs alone). */
  private profileBudget(profile: string | null): ResourceBudget | undefined {
    const profiles = this.ctx.profiles;
    // A name no profile has: the run's budget, and its node fails at launch saying so.
    if (!profiles?.has(profile)) return undefined;
    let budget = this.profileBudgets.get(profile);
    if (!budget) {
      const configured = profiles.profiles.get(profile)!.budget;
      const made = new ResourceBudget({ cpu: configured.cpu ?? 0, mem: configured.mem ?? 0 });
      this.profileBudgets.set(profile, (budget = made));
      void profiles.open(profile).then(
        (opened) => {
          made.resize(opened.budget);
          this.scheduler.pump();
        },
        () => undefined,
      );
    }
    return budget;
  }

  get id(): string {
    return this.meta.id;
  }
  get definitionDir(): string {
    return path.dirname(this.meta.file);
  }

  /** A new instance of a pipeline, kept in the store; `args`: the function's arguments it was evaluated with (`--n=5`). */
  static create(doc: PipelineDocument, ctx: RunContext, options: { args?: readonly string[] } = {}): PipelineRun {
    const meta = ctx.store.create(doc, { defaultImage: ctx.defaultImage, imageMap: ctx.imageMap?.entries.map((e) => `${e.from}=${e.to}`), args: options.args ? [...options.args] : undefined });
    ctx.store.claim(meta.id);
    const run = new PipelineRun(meta, doc, ctx);
    run.emitEvent({ type: 'created', pipeline: meta.id, time: meta.createdAt, name: meta.name, file: meta.file });
    run.inbox.listen((request) => run.control(request));
    return run;
  }

  /**
   * A new instance kept in the store, run by nobody yet: whoever `open`s it runs it (the runner
   * service). Its log begins with `created`, as `create`'s does.
   */
  static prepare(doc: PipelineDocument, store: PipelineStore, options: { defaultImage?: string; imageMap?: string[]; args?: string[] }): PipelineMeta {
    const meta = store.create(doc, options);
    const log = store.openEventLog(meta.id);
    try {
      log.append([{ type: 'created', pipeline: meta.id, time: meta.createdAt, name: meta.name, file: meta.file }]);
    } finally {
      log.close();
    }
    return meta;
  }

  /**
   * Opens a stored instance: replays its log, then settles what a stopped runner left behind
   * (re-attaching to containers still running, marking the rest killed with the reason).
   */
  static async open(id: string, ctx: RunContext): Promise<PipelineRun> {
    const meta = ctx.store.meta(id);
    const doc = await ctx.store.readDocument(id);
    // Throws, naming the owner, while another process runs it (checking and taking are one step).
    ctx.store.claim(id);
    try {
      const run = new PipelineRun(meta, doc, ctx);
      await run.replay(doc);
      await run.recover();
      // Only now may anything start: re-attached executions hold their resources first.
      run.scheduler.setAsleep(run.status === 'sleeping');
      ctx.store.touch(id);
      run.inbox.listen((request) => run.control(request));
      return run;
    } catch (err) {
      ctx.store.release(id);
      throw err;
    }
  }

  /** A stored instance as it was last left, read-only: no engine, no ownership, no recovery. */
  static async inspect(id: string, ctx: Pick<RunContext, 'store'>): Promise<PipelineRun> {
    const meta = ctx.store.meta(id);
    const doc = await ctx.store.readDocument(id);
    const readOnly = {
      ...(ctx as RunContext),
      backend: {
        description: 'none (read-only)',
        capacity: () => ({ cpu: 0, mem: 0 }),
        open: () => {
          throw new Error('a pipeline opened for reading runs nothing');
        },
      },
    } satisfies RunContext;
    const run = new PipelineRun(meta, doc, readOnly);
    run.readOnly = true;
    await run.replay(doc);
    run.log.close();
    return run;
  }

  /** Carries out a request from another process (the CLI while this one runs the pipeline). */
  control(request: ControlRequest): void | Promise<void> {
    switch (request.op) {
      case 'reset':
        return this.reset(request.path);
      case 'skip':
        return this.skip(request.path, request.skipped);
      case 'kill':
        return this.kill(request.path);
      case 'modify':
        return this.modify(request.path, request.changes);
      case 'autorun':
        return this.setAutorun(request.on);
      case 'refresh':
        return this.refresh(request.path);
      case 'sleep':
        return this.sleep();
      case 'wake':
        return this.wake();
    }
  }

  private makeStepEngine(): StepEngine {
    const store = this.ctx.store;
    return new StepEngine({
      pipelineId: this.id,
      tree: this.tree,
      space: this.space,
      storeRoot: path.dirname(store.root),
      definitionFile: this.meta.file,
      pipelineName: this.meta.name,
      sdkDir: this.ctx.sdkDir,
      python: this.ctx.python,
      setSkipped: (node, skipped, reason) => {
        this.emitEvent({ type: 'skip', pipeline: this.id, time: Date.now(), path: node.path, skipped, ...(reason ? { reason } : {}) });
        this.tree.setSkipped(node, skipped);
      },
      notice: (nodePath, message) => this.emitEvent({ type: 'notice', pipeline: this.id, time: Date.now(), path: nodePath, message }),
      callbackHost: () => this.decorated,
    });
  }

  private makeDecoratedController(): DecoratedController {
    return new DecoratedController({
      tree: this.tree,
      space: this.space,
      definitionFile: this.meta.file,
      sdkDir: this.ctx.sdkDir,
      python: this.ctx.python,
      parameters: () => this.tree.root.spec.controller?.parameters ?? {},
      addSteps: (nodes) => {
        const added = this.tree.append(this.tree.root, nodes);
        this.emitEvent({ type: 'nodes-added', pipeline: this.id, time: Date.now(), under: this.tree.root.path, nodes: added.map((n) => n.spec), append: true });
        this.scheduler.pump();
      },
      dependencies: (step) => this.steps?.dependencies(this.tree.root, step),
    });
  }

  summary(): PipelineSummary {
    return summarize(this);
  }

  get autorun(): boolean {
    return this.scheduler.autorun;
  }

  whyPending(): PendingReason[] {
    return this.scheduler.whyPending();
  }

  /** Settled and not asleep: a pipeline put to sleep meanwhile waits here for its wake. */
  async ended(): Promise<void> {
    await this.settled();
    while (this.asleep) {
      await new Promise<void>((resolve) => {
        const woken = (event: RunnerEvent) => {
          if (event.type !== 'wake') return;
          this.off('event', woken);
          resolve();
        };
        this.on('event', woken);
      });
      await this.settled();
    }
  }

  stop(): Promise<void> {
    return this.close();
  }

  // ---- operations -------------------------------------------------------------------------
  // While the pipeline sleeps they change its state and start nothing (the scheduler is asleep).

  /** The run toggle. */
  setAutorun(on: boolean): void {
    if (this.status === 'sleeping') throw new Error(`pipeline ${this.id} is asleep; wake it first`);
    this.emitEvent({ type: 'autorun', pipeline: this.id, time: Date.now(), autorun: on });
    this.scheduler.setAutorun(on);
    this.checkSettled();
  }

  /** Runs a node and its subtree again; earlier executions stay in the history. */
  reset(nodePath: string): void {
    const node = this.tree.get(nodePath);
    this.emitEvent({ type: 'reset', pipeline: this.id, time: Date.now(), path: nodePath });
    this.resetSubtree(node);
    const unskipped = this.steps?.reopen(node) ?? [];
    this.scheduler.reopened(node);
    for (const step of unskipped) this.scheduler.reopened(step);
    this.checkSettled();
  }

  /**
   * The editor's Run / Reset: the node runs again now, so the Run toggle goes on first.
   * `withoutCache`: pipeline steps ignore their cached results (Run Without Cache).
   */
  runAgain(nodePath: string, { withoutCache = false } = {}): void {
    if (!this.scheduler.autorun) this.setAutorun(true);
    if (withoutCache) this.refresh(nodePath);
    else this.reset(nodePath);
  }

  /** A PipelineController pipeline: its steps have a cache (see refresh). */
  get hasSteps(): boolean {
    return this.steps !== undefined;
  }

  /** Runs pipeline steps again without their cached results (which the new runs replace). */
  refresh(nodePath: string): void {
    const node = this.tree.get(nodePath);
    if (!this.steps) throw new Error(`${nodePath}: only pipeline steps (PipelineController) have a cache to refresh`);
    this.steps.refresh(node);
    this.reset(nodePath);
  }

  skip(nodePath: string, skipped: boolean): void {
    const node = this.tree.get(nodePath);
    this.emitEvent({ type: 'skip', pipeline: this.id, time: Date.now(), path: nodePath, skipped });
    this.tree.setSkipped(node, skipped);
    if (skipped) this.scheduler.pump();
    else {
      // Pipeline steps the runner skipped because of this one come back with it.
      const unskipped = this.steps?.reopen(node) ?? [];
      this.scheduler.reopened(node);
      for (const step of unskipped) this.scheduler.reopened(step);
    }
    this.checkSettled();
  }

  /** Stops running Exec nodes of a subtree (whatever stage they are at) and marks queued ones killed. */
  kill(nodePath: string): void {
    const node = this.tree.get(nodePath);
    this.stopSubtree(node, 'killed', 'killed');
    this.scheduler.pump();
    this.checkSettled();
  }

  /** Changes a node's command or params (validated); a reset runs it with them. */
  modify(nodePath: string, changes: NodeModification): void {
    const node = this.tree.get(nodePath);
    validateModification(node, changes);
    this.emitEvent({ type: 'modify', pipeline: this.id, time: Date.now(), path: nodePath, changes });
    applyModification(this.tree, node, changes);
  }

  /** Stops every container and keeps the state; nothing starts until `wake`. */
  sleep(): Promise<void> {
    if (this.asleep) return Promise.reject(new Error(`pipeline ${this.id} is already asleep`));
    this.scheduler.setAsleep(true);
    this.stopSubtree(this.tree.root, 'sleep', 'pending');
    const falling = (async () => {
      await this.settled();
      await this.backendSession?.shutdown();
      this.status = 'sleeping';
      this.emitEvent({ type: 'sleep', pipeline: this.id, time: Date.now() });
      this.ctx.store.touch(this.id, 'sleeping');
    })();
    this.fallingAsleep = falling.finally(() => (this.fallingAsleep = undefined));
    return this.fallingAsleep;
  }

  /** Asleep, or falling asleep (its containers being stopped). */
  get asleep(): boolean {
    return this.status === 'sleeping' || this.fallingAsleep !== undefined;
  }

  /** Continues a sleeping pipeline; one still falling asleep wakes once it sleeps. */
  wake(): void | Promise<void> {
    if (this.fallingAsleep) return this.fallingAsleep.then(() => this.wake());
    if (this.status !== 'sleeping') throw new Error(`pipeline ${this.id} is not asleep`);
    this.status = 'active';
    this.emitEvent({ type: 'wake', pipeline: this.id, time: Date.now() });
    this.ctx.store.touch(this.id, 'active');
    this.scheduler.setAsleep(false);
  }

  /** Resolves when nothing is running or queued. */
  settled(): Promise<void> {
    if (this.isSettled()) return Promise.resolve();
    return new Promise((resolve) => this.settleWaiters.push(resolve));
  }

  /** Stops every execution and the backend's containers and lets go of the store (the instance stays on disk). */
  async close(): Promise<void> {
    this.closing = true;
    // Nothing new may start while closing; queued nodes go back to pending (not persisted).
    this.scheduler.setAsleep(true);
    for (const leaf of this.scheduler.dequeue(() => true)) this.tree.setLeafState(leaf, 'pending');
    for (const live of this.live.values()) live.controller.abort('runner stopped' satisfies EndReason);
    await this.settled();
    await this.backendSession?.shutdown();
    await this.steps?.close();
    this.inbox.close();
    this.log.close();
    if (this.checkpointTimer) clearTimeout(this.checkpointTimer);
    try {
      this.ctx.store.touch(this.id);
      this.ctx.store.saveSummary(this.summary());
      this.saveCheckpoint();
    } catch (err) {
      // The store cannot be written (a full disk): the containers are gone all the same; say so.
      this.emitEvent({ type: 'notice', pipeline: this.id, time: Date.now(), message: `could not save the pipeline's summary: ${(err as Error).message}` }, false);
    } finally {
      this.ctx.store.release(this.id);
    }
  }

  // ---- running ----------------------------------------------------------------------------

  private startLeaf(leaf: RunNode): void {
    const id = `e${++this.execSeq}`;
    const execution: ExecutionRecord = {
      id,
      path: leaf.path,
      command: leaf.spec.command ?? '',
      params: leaf.params,
      image: '',
      startedAt: Date.now(),
    };
    leaf.addExecution(execution);
    const live: LiveExecution = { execution, controller: new AbortController(), after: 'killed' };
    this.live.set(leaf, live);
    this.contexts.started(leaf);
    void launch(this.launchHost, leaf, execution, live.controller.signal).then((ending) => this.conclude(leaf, live, ending));
  }

  /**
   * Applies what became of an execution. Whatever fails while doing so (the store cannot be
   * written, a callback host breaks), the node leaves `running` and the run can settle.
   */
  private async conclude(leaf: RunNode, live: LiveExecution, ending: Ending): Promise<void> {
    try {
      if (ending.kind === 'skipped') this.skippedByCallback(leaf, live.execution);
      else await this.finish(leaf, live, ending.outcome);
    } catch (err) {
      this.failSafe(leaf, live.execution, err);
    } finally {
      if (this.live.get(leaf) === live) this.live.delete(leaf);
      this.scheduler.release(leaf);
      try {
        this.scheduler.pump();
      } catch (err) {
        this.emitEvent({ type: 'notice', pipeline: this.id, time: Date.now(), message: `the runner could not start the next nodes: ${(err as Error).message}` }, false);
      }
      this.checkSettled();
    }
  }

  /** A pre_execute_callback said no: the step never ran; it is skipped, as ClearML's skip_job. */
  private skippedByCallback(leaf: RunNode, execution: ExecutionRecord): void {
    leaf.executions.splice(leaf.executions.indexOf(execution), 1);
    this.scheduler.release(leaf);
    this.tree.setLeafState(leaf, 'pending');
    this.emitEvent({ type: 'skip', pipeline: this.id, time: Date.now(), path: leaf.path, skipped: true, reason: 'callback' });
    this.tree.setSkipped(leaf, true);
  }

  private async finish(leaf: RunNode, live: LiveExecution, outcome: JobOutcome): Promise<void> {
    const { execution } = live;
    Object.assign(execution, {
      endedAt: outcome.endedAt ?? Date.now(),
      exitCode: outcome.exitCode,
      peakMemoryBytes: outcome.peakMemoryBytes,
      ...(outcome.reason ? { reason: outcome.reason } : {}),
      ...(outcome.message ? { message: outcome.message } : {}),
      ...(outcome.containerId ? { containerId: outcome.containerId } : {}),
      ...(outcome.cpuClamped !== undefined ? { cpuClamped: outcome.cpuClamped } : {}),
      ...(outcome.ranOn ? { ranOn: outcome.ranOn } : {}),
    });
    // The handle on a running job: nothing needs it once the job ended (48 bytes a node at a million).
    execution.token = undefined;
    let state: NodeState = outcome.exitCode === 0 && !outcome.reason ? 'done' : outcome.reason === 'killed' || outcome.reason === 'runner stopped' ? 'killed' : 'error';
    // Reset or put to sleep, or never handed over by a runner that stopped: it runs again.
    if ((live.controller.signal.aborted && live.after === 'pending') || outcome.notStarted) state = 'pending';
    if (state === 'done' && isLazyGenerate(leaf)) {
      const problem = await this.importGenerated(leaf, execution);
      if (problem) {
        state = 'error';
        execution.message = problem;
      }
    }
    let retry = false;
    let abort = false;
    if (this.steps?.isStep(leaf) && state !== 'pending') {
      const after = await this.steps.afterExecution(leaf, execution, state);
      ({ state } = after);
      retry = after.retry === true;
      abort = after.abort === true;
    }
    this.emitEvent({ type: 'execution-end', pipeline: this.id, time: execution.endedAt!, path: leaf.path, state, execution: { ...execution }, ...(retry ? { retry } : {}) });
    // Once its end is recorded (it is never re-attached, never written again from the start). A
    // pipeline step's log is the step's own file, which its controller reads (stepEngine.ts).
    if (!this.steps?.isStep(leaf)) {
      try {
        this.space.packLogs(execution.id);
      } catch (err) {
        // The logs stay in their own files: nothing is lost, the node ended as it did.
        this.emitEvent({ type: 'notice', pipeline: this.id, time: Date.now(), path: leaf.path, message: `could not pack the logs of ${execution.id}: ${(err as Error).message}` }, false);
      }
    }
    this.scheduler.release(leaf);
    this.tree.setLeafState(leaf, retry ? 'pending' : state);
    if (retry || outcome.notStarted) this.scheduler.reopened(leaf);
    if (abort) this.stopSubtree(this.tree.root, 'killed', 'killed');
  }

  /** Recording an end failed: the node still ends (in error, saying why), unpersisted if need be. */
  private failSafe(leaf: RunNode, execution: ExecutionRecord, err: unknown): void {
    const message = `the runner could not record how this node ended: ${(err as Error).message ?? String(err)}`;
    execution.endedAt ??= Date.now();
    execution.exitCode ??= null;
    execution.reason = 'error';
    execution.message = message;
    if (leaf.state === 'running' || leaf.state === 'queued') this.tree.setLeafState(leaf, 'error');
    this.emitEvent({ type: 'notice', pipeline: this.id, time: Date.now(), path: leaf.path, message }, false);
  }

  /** A Lazy's Generate printed a pipeline: it becomes the children of the sibling Execute. */
  private async importGenerated(leaf: RunNode, execution: ExecutionRecord): Promise<string | null> {
    const execute = leaf.parent?.children.find((c) => nodeName(c.path) === 'Execute');
    if (!execute) return 'this Lazy node has no Execute child';
    const generated = this.space.result(execution.id, GENERATED_PIPELINE);
    if (!generated) return 'the Generate command printed no pipeline (it must call a function that returns a node through `conducto FILE FUNC`)';
    try {
      const doc = await readPipelineStream(generated, `the pipeline ${leaf.path} generated`);
      const added = this.tree.graft(execute, doc.nodes);
      if (added.some((n) => n.callbacks?.length)) this.watchCallbacks = true;
      this.emitEvent({ type: 'nodes-added', pipeline: this.id, time: Date.now(), under: execute.path, nodes: added });
      return null;
    } catch (err) {
      return `could not import the generated pipeline: ${(err as Error).message}`;
    }
  }

  /** Frees the containers of reuse contexts whose node has ended. */
  private endContexts(): void {
    const session = this.backendSession;
    for (const context of this.contexts.takeEnded((p) => this.tree.byPath.get(p)?.state)) void session?.endContext?.(context);
  }

  // ---- state helpers ----------------------------------------------------------------------

  private resetSubtree(node: RunNode): void {
    this.stopSubtree(node, 'killed', 'pending');
    for (const leaf of this.tree.leaves(node)) if (!this.live.has(leaf)) this.tree.setLeafState(leaf, 'pending');
    this.scheduler.forget(node);
  }

  /** Running leaves are stopped with `reason`, at whatever stage; they and queued ones end in `after`. */
  private stopSubtree(node: RunNode, reason: EndReason, after: 'killed' | 'pending'): void {
    const inside = (leaf: RunNode) => leaf === node || leaf.path.startsWith(node.path === '/' ? '/' : `${node.path}/`);
    for (const leaf of this.scheduler.dequeue(inside)) {
      this.tree.setLeafState(leaf, after);
      // No execution records this end, so the log needs it (listeners heard it from the tree).
      if (after === 'killed') this.log.append([{ type: 'state', pipeline: this.id, time: Date.now(), path: leaf.path, state: 'killed' }]);
    }
    for (const [leaf, live] of this.live) {
      if (!inside(leaf) || live.controller.signal.aborted) continue;
      live.after = after;
      live.controller.abort(reason);
    }
  }

  private isSettled(): boolean {
    const c = this.tree.root.leafCounts;
    return c.running === 0 && c.queued === 0 && this.live.size === 0;
  }

  private checkSettled(): void {
    // Callbacks first: a retry makes the run unsettled again. The outer call, once they are done, decides.
    if (this.callbacks.flushing) return;
    if (this.watchCallbacks) this.callbacks.flush();
    // After the callbacks: a retry keeps a reuse context going.
    this.endContexts();
    if (!this.isSettled()) return;
    this.checkpointSoon();
    const waiters = this.settleWaiters;
    this.settleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  // ---- events and the log ---------------------------------------------------------------

  /** Persisted events reach the log before any listener hears of them: a crash cannot lose one. */
  private emitEvent(event: RunnerEvent, persist = PERSISTED.has(event.type)): void {
    if (this.replaying) return;
    if (persist) this.log.append([event]);
    if (persist && STRUCTURAL.has(event.type)) this.structural.push(event);
    this.steps?.observe(event, false);
    this.decorated?.observe();
    this.emit('event', event);
  }

  private async replay(doc: PipelineDocument): Promise<void> {
    this.replaying = true;
    try {
      const steps = this.steps;
      const replayer = await restore(this.ctx.store, this.id, this.tree, { nodes: doc.nodes, useCheckpoint: !steps, ...(steps ? { observe: (event: RunnerEvent) => steps.observe(event, true) } : {}) });
      const replayed = replayer.state;
      this.scheduler.autorun = replayed.autorun;
      this.status = replayed.status;
      this.execSeq = replayed.execSeq;
      this.structural = replayer.structural;
      this.lastStart = replayer.lastStart;
      // Nothing logged after its checkpoint: closing unchanged writes none.
      if (replayer.checkpointEnd === statSync(this.ctx.store.eventLogFile(this.id)).size) this.checkpointed = replayer.checkpointEnd;
    } finally {
      this.replaying = false;
    }
  }

  /**
   * Writes the run as it is now beside its log (store/checkpointFile.ts): reopening it then reads a line
   * per Exec node, not every event. Not for pipeline steps (their engine needs every event).
   */
  private saveCheckpoint(): void {
    if (this.steps || this.readOnly) return;
    const logSize = statSync(this.ctx.store.eventLogFile(this.id)).size;
    if (logSize === this.checkpointed) return;
    const state = { autorun: this.scheduler.autorun, status: this.status, execSeq: this.execSeq };
    saveCheckpoint(this.ctx.store, this.id, { tree: this.tree, state, structural: this.structural, lastStart: this.log.lastStart() ?? this.lastStart });
    this.checkpointed = logSize;
  }

  /**
   * A run that stays settled a while gets its checkpoint then, not only when it closes: a window that
   * attaches to it while the runner service still holds it reads that, not the whole log.
   */
  private checkpointSoon(): void {
    if (this.checkpointTimer || this.closing || this.readOnly || this.steps) return;
    this.checkpointTimer = setTimeout(() => {
      this.checkpointTimer = undefined;
      if (this.closing || !this.isSettled()) return;
      try {
        this.saveCheckpoint();
      } catch (err) {
        this.emitEvent({ type: 'notice', pipeline: this.id, time: Date.now(), message: `could not save the pipeline's checkpoint: ${(err as Error).message}` }, false);
      }
    }, CHECKPOINT_AFTER_MS);
    this.checkpointTimer.unref();
  }

  /** Finishes what a stopped runner left: re-attach to live containers, the rest killed. */
  private async recover(): Promise<void> {
    const unfinished: { leaf: RunNode; execution: ExecutionRecord }[] = [];
    for (const leaf of this.tree.leaves(this.tree.root)) {
      if (leaf.state !== 'running' && leaf.state !== 'queued') continue;
      const execution = leaf.executions[leaf.executions.length - 1];
      if (leaf.state === 'queued' || !execution || execution.endedAt !== undefined) this.tree.setLeafState(leaf, 'pending');
      else unfinished.push({ leaf, execution });
    }
    // Containers nobody re-attaches to (workers the stopped runner left idle) go first.
    await this.backend.removeLeft(new Set(unfinished.flatMap(({ execution }) => (execution.containerId ? [execution.containerId] : []))));
    for (const { leaf, execution } of unfinished) {
      const live: LiveExecution = { execution, controller: new AbortController(), after: 'killed' };
      this.live.set(leaf, live);
      // It holds resources like any running node until it ends.
      this.scheduler.hold(leaf);
      const onLog = (text: string) => this.emitEvent({ type: 'log', pipeline: this.id, time: Date.now(), path: leaf.path, execution: execution.id, text });
      const ended: Promise<JobOutcome> =
        execution.containerId && execution.token
          ? this.backend.reattach(
              { execId: execution.id, containerId: execution.containerId, token: execution.token, startedAt: execution.startedAt, maxTimeSec: execution.params.max_time, outputs: outputsOf(leaf), ...(execution.profile ? { profile: execution.profile } : {}) },
              { onLog },
              live.controller.signal,
            )
        : Promise.resolve({ exitCode: null, reason: 'runner stopped', message: 'the runner stopped before the node started', peakMemoryBytes: null, containerId: '' });
      void ended
        .catch((err: Error): JobOutcome => ({ exitCode: null, reason: 'error', message: `re-attaching failed: ${err.message}`, peakMemoryBytes: null, containerId: execution.containerId ?? '' }))
        .then((outcome) => this.conclude(leaf, live, { kind: 'ended', outcome }));
    }
  }
}
