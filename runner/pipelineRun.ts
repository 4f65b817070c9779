import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { ImageSpec, NodeParams, ParamName, PipelineDocument } from '../protocol/pipeline';
import { nodeName } from '../protocol/pipeline';
import { readPipelineFile } from '../evaluator/readPipeline';
import type { EndReason, ExecutionRecord, NodeModification, NodeState, PipelineSummary, RunnerEvent } from '../protocol/runner';
import type { DockerExecutor } from './executor/dockerExecutor';
import { CONTAINER_PATHS, type ExecOutcome, type RunningExec } from './executor/execRequest';
import { validateModification } from './model/validateModification';
import { RunTree, type RunNode } from './model/runTree';
import { ResourceBudget, type Budget } from './scheduler/resourceBudget';
import { Scheduler } from './scheduler/scheduler';
import { ControlInbox, type ControlRequest } from './store/controlInbox';
import { StepEngine } from './clearml/stepEngine';
import type { EventLog, PipelineMeta, PipelineStore } from './store/pipelineStore';

export interface ResolvedImage {
  name: string;
  /** Where a copy_dir landed in the image; null: the definition folder is mounted. */
  workdir: string | null;
  /** The image's PATH. */
  path: string | null;
}

export type ImageResolver = (spec: ImageSpec | null, definitionDir: string, report: (message: string) => void) => Promise<ResolvedImage>;

export interface RunContext {
  store: PipelineStore;
  /** A fresh executor for this pipeline (its own worker pool). */
  makeExecutor: () => DockerExecutor;
  resolveImage: ImageResolver;
  budget: Budget;
  sdkDir: string;
}

/** Events this instance writes to its log: enough to rebuild its state after any stop. */
const PERSISTED = new Set<RunnerEvent['type']>(['created', 'execution-start', 'execution-end', 'state', 'skip', 'reset', 'modify', 'nodes-added', 'autorun', 'sleep', 'wake']);

/**
 * One pipeline instance: its node tree, scheduler, worker pool and store. The views and the CLI
 * subscribe to `event` and call the operations; nothing else changes its state.
 */
export class PipelineRun extends EventEmitter<{ event: [RunnerEvent] }> {
  readonly tree: RunTree;
  readonly scheduler: Scheduler;
  private executorInstance: DockerExecutor | undefined;
  private readonly log: EventLog;
  private readonly running = new Map<RunNode, RunningExec>();
  /** Running leaves a reset or sleep stopped: they go back to pending, not killed. */
  private readonly returnToPending = new Set<RunNode>();
  private execSeq = 0;
  private settleWaiters: (() => void)[] = [];
  private replaying = false;
  private readonly inbox: ControlInbox;
  /** PipelineController steps (runner/clearml), when the pipeline has any. */
  private readonly steps: StepEngine | undefined;
  status: 'active' | 'sleeping' = 'active';

  private constructor(
    readonly meta: PipelineMeta,
    doc: PipelineDocument,
    private readonly ctx: RunContext,
  ) {
    super();
    this.tree = new RunTree(doc.nodes);
    this.scheduler = new Scheduler(this.tree, new ResourceBudget(ctx.budget), (leaf) => this.startLeaf(leaf));
    this.log = ctx.store.openEventLog(meta.id);
    this.inbox = new ControlInbox(ctx.store.dir(meta.id));
    if (StepEngine.applies(this.tree)) {
      const steps = (this.steps = this.makeStepEngine());
      this.scheduler.dependencyRule = (parent, child) => steps.dependencies(parent, child);
      this.scheduler.onSkip = (child) => steps.skipChild(child);
    }
    this.tree.onState = (node, state) => {
      if (!this.replaying) this.emitEvent({ type: 'state', pipeline: this.id, time: Date.now(), path: node.path, state, ...(node.skipped ? { skipped: true } : {}) }, false);
    };
  }

  /** Made on first use, so reading a stored pipeline needs no Docker. */
  private get executor(): DockerExecutor {
    return (this.executorInstance ??= this.ctx.makeExecutor());
  }

  get id(): string {
    return this.meta.id;
  }
  get definitionDir(): string {
    return path.dirname(this.meta.file);
  }

  /** A new instance of a pipeline, kept in the store. */
  static create(doc: PipelineDocument, ctx: RunContext): PipelineRun {
    const meta = ctx.store.create(doc);
    ctx.store.claim(meta.id);
    const run = new PipelineRun(meta, doc, ctx);
    run.emitEvent({ type: 'created', pipeline: meta.id, time: meta.createdAt, name: meta.name, file: meta.file });
    run.inbox.listen((request) => run.control(request));
    return run;
  }

  /**
   * Opens a stored instance: replays its log, then settles what a stopped runner left behind
   * (re-attaching to containers still running, marking the rest killed with the reason).
   */
  static async open(id: string, ctx: RunContext): Promise<PipelineRun> {
    const owner = ctx.store.liveOwner(id);
    if (owner) throw new Error(`pipeline ${id} is being run by another process (pid ${owner.pid}); control it there`);
    const meta = ctx.store.meta(id);
    const doc = await ctx.store.readDocument(id);
    ctx.store.claim(id);
    const run = new PipelineRun(meta, doc, ctx);
    await run.replay();
    await run.recover();
    ctx.store.touch(id);
    run.inbox.listen((request) => run.control(request));
    return run;
  }

  /** A stored instance as it was last left, read-only: no Docker, no ownership, no recovery. */
  static async inspect(id: string, ctx: Pick<RunContext, 'store'>): Promise<PipelineRun> {
    const meta = ctx.store.meta(id);
    const doc = await ctx.store.readDocument(id);
    const readOnly: RunContext = {
      ...(ctx as RunContext),
      makeExecutor: () => {
        throw new Error('a pipeline opened for reading runs nothing');
      },
    };
    const run = new PipelineRun(meta, doc, readOnly);
    await run.replay();
    run.log.close();
    return run;
  }

  /** Carries out a request from another process (the CLI while this one runs the pipeline). */
  control(request: ControlRequest): Promise<void> | void {
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
      dataDir: store.dataDir(this.id),
      execDir: store.execDir(this.id),
      storeRoot: path.dirname(store.root),
      definitionFile: this.meta.file,
      pipelineName: this.meta.name,
      sdkDir: this.ctx.sdkDir,
      setSkipped: (node, skipped, reason) => {
        this.emitEvent({ type: 'skip', pipeline: this.id, time: Date.now(), path: node.path, skipped, ...(reason ? { reason } : {}) });
        this.tree.setSkipped(node, skipped);
      },
      notice: (nodePath, message) => this.emitEvent({ type: 'notice', pipeline: this.id, time: Date.now(), path: nodePath, message }),
    });
  }

  summary(): PipelineSummary {
    return {
      id: this.id,
      name: this.meta.name,
      file: this.meta.file,
      createdAt: this.meta.createdAt,
      lastUsedAt: Date.now(),
      status: this.status,
      autorun: this.scheduler.autorun,
      rootState: this.tree.root.state,
      counts: { ...this.tree.root.leafCounts },
    };
  }

  // ---- operations -------------------------------------------------------------------------

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

  /** Stops running Exec nodes of a subtree and marks queued ones killed. */
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
    this.applyModification(node, changes);
  }

  /** Stops every container and keeps the state; `wake` continues. */
  async sleep(): Promise<void> {
    const autorun = this.scheduler.autorun;
    this.scheduler.autorun = false;
    this.stopSubtree(this.tree.root, 'sleep', 'pending');
    await this.settled();
    await this.executorInstance?.shutdown();
    this.scheduler.autorun = autorun;
    this.status = 'sleeping';
    this.emitEvent({ type: 'sleep', pipeline: this.id, time: Date.now() });
    this.ctx.store.touch(this.id, 'sleeping');
  }

  wake(): void {
    this.status = 'active';
    this.emitEvent({ type: 'wake', pipeline: this.id, time: Date.now() });
    this.ctx.store.touch(this.id, 'active');
    if (this.scheduler.autorun) this.scheduler.setAutorun(true);
  }

  /** Resolves when nothing is running or queued. */
  settled(): Promise<void> {
    if (this.isSettled()) return Promise.resolve();
    return new Promise((resolve) => this.settleWaiters.push(resolve));
  }

  /** Stops the worker containers and lets go of the store (the instance stays on disk). */
  async close(): Promise<void> {
    // Nothing new may start while closing; queued nodes go back to pending (not persisted).
    this.scheduler.autorun = false;
    for (const leaf of this.scheduler.dequeue(() => true)) this.tree.setLeafState(leaf, 'pending');
    for (const exec of this.running.values()) exec.kill('runner stopped');
    await this.settled();
    await this.executorInstance?.shutdown();
    await this.steps?.close();
    this.inbox.close();
    this.log.close();
    this.ctx.store.touch(this.id);
    this.ctx.store.saveSummary(this.summary());
    this.ctx.store.release(this.id);
  }

  logFile(execution: ExecutionRecord): string {
    return path.join(this.ctx.store.dir(this.id), execution.logFile);
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
      logFile: `exec/${id}.log`,
      stderrFile: `exec/${id}.err`,
    };
    leaf.executions.push(execution);
    void this.execute(leaf, execution).then(
      (outcome) => this.finish(leaf, execution, outcome),
      (err: Error) => this.finish(leaf, execution, { exitCode: null, reason: 'error', message: err.message, peakMemoryBytes: null, containerId: '' }),
    );
  }

  private async execute(leaf: RunNode, execution: ExecutionRecord): Promise<ExecOutcome> {
    const report = (message: string) => this.emitEvent({ type: 'notice', pipeline: this.id, time: Date.now(), path: leaf.path, message });
    const image = await this.ctx.resolveImage(leaf.params.image, this.definitionDir, report);
    execution.image = image.name;
    const store = this.ctx.store;
    const env: Record<string, string> = {
      ...leaf.params.env,
      PIPEWRIGHT_PIPELINE: this.id,
      PIPEWRIGHT_NODE_PATH: leaf.path,
      PIPEWRIGHT_EXECUTION: execution.id,
    };
    let command = execution.command;
    if (this.steps?.isStep(leaf)) {
      // A pipeline step: references, callbacks and the cache first; it may not need to run.
      const prepared = await this.steps.prepare(leaf, execution, image.name);
      if ('skip' in prepared) return { exitCode: null, peakMemoryBytes: null, containerId: '' };
      if ('outcome' in prepared) {
        this.emitEvent({ type: 'execution-start', pipeline: this.id, time: Date.now(), path: leaf.path, execution: { ...execution } });
        return prepared.outcome;
      }
      command = prepared.run.command;
      Object.assign(env, prepared.run.env);
    }
    if (isLazyGenerate(leaf)) env.PIPEWRIGHT_NODE_OUTPUT = `${CONTAINER_PATHS.exec}/${execution.id}.node.json`;
    const exec = this.executor.run(
      {
        pipelineId: this.id,
        execId: execution.id,
        path: leaf.path,
        command,
        env,
        image: image.name,
        imagePath: image.path,
        workdir: image.workdir ?? CONTAINER_PATHS.src,
        definitionDir: image.workdir ? null : this.definitionDir,
        cpu: leaf.params.cpu,
        mem: leaf.params.mem,
        gpu: leaf.params.gpu,
        requiresDocker: leaf.params.requires_docker,
        reuseContext: leaf.params.container_reuse_context,
        maxTimeSec: leaf.params.max_time,
        execDir: store.execDir(this.id),
        dataDir: store.dataDir(this.id),
        sdkDir: this.ctx.sdkDir,
      },
      {
        onLog: (text) => this.emitEvent({ type: 'log', pipeline: this.id, time: Date.now(), path: leaf.path, execution: execution.id, text }),
        onStart: (containerId) => {
          execution.containerId = containerId;
          this.emitEvent({ type: 'execution-start', pipeline: this.id, time: Date.now(), path: leaf.path, execution: { ...execution } });
        },
      },
    );
    this.running.set(leaf, exec);
    return exec.done;
  }

  private async finish(leaf: RunNode, execution: ExecutionRecord, outcome: ExecOutcome): Promise<void> {
    this.running.delete(leaf);
    Object.assign(execution, {
      endedAt: Date.now(),
      exitCode: outcome.exitCode,
      peakMemoryBytes: outcome.peakMemoryBytes,
      ...(outcome.reason ? { reason: outcome.reason } : {}),
      ...(outcome.message ? { message: outcome.message } : {}),
      ...(outcome.containerId ? { containerId: outcome.containerId } : {}),
      ...(outcome.cpuClamped !== undefined ? { cpuClamped: outcome.cpuClamped } : {}),
    });
    let state: NodeState = outcome.exitCode === 0 && !outcome.reason ? 'done' : outcome.reason === 'killed' || outcome.reason === 'runner stopped' ? 'killed' : 'error';
    if (this.returnToPending.delete(leaf)) state = 'pending';
    if (state === 'done' && isLazyGenerate(leaf)) {
      const problem = await this.importGenerated(leaf, execution);
      if (problem) {
        state = 'error';
        execution.message = problem;
      }
    }
    let retry = false;
    let abort = false;
    if (this.steps?.isStep(leaf)) {
      const after = await this.steps.afterExecution(leaf, execution, state);
      if (after.skip) {
        // A pre_execute_callback said no: the step never ran, it is skipped (ClearML's skip_job).
        leaf.executions.splice(leaf.executions.indexOf(execution), 1);
        this.scheduler.release(leaf);
        this.tree.setLeafState(leaf, 'pending');
        this.emitEvent({ type: 'skip', pipeline: this.id, time: Date.now(), path: leaf.path, skipped: true, reason: 'callback' });
        this.tree.setSkipped(leaf, true);
        this.scheduler.pump();
        this.checkSettled();
        return;
      }
      ({ state } = after);
      retry = after.retry === true;
      abort = after.abort === true;
    }
    this.emitEvent({ type: 'execution-end', pipeline: this.id, time: execution.endedAt!, path: leaf.path, state, execution: { ...execution }, ...(retry ? { retry } : {}) });
    this.scheduler.release(leaf);
    this.tree.setLeafState(leaf, retry ? 'pending' : state);
    if (retry) this.scheduler.reopened(leaf);
    if (abort) this.stopSubtree(this.tree.root, 'killed', 'killed');
    this.scheduler.pump();
    this.checkSettled();
  }

  /** A Lazy's Generate printed a pipeline: it becomes the children of the sibling Execute. */
  private async importGenerated(leaf: RunNode, execution: ExecutionRecord): Promise<string | null> {
    const execute = leaf.parent?.children.find((c) => nodeName(c.path) === 'Execute');
    const file = path.join(this.ctx.store.execDir(this.id), `${execution.id}.node.json`);
    if (!execute) return 'this Lazy node has no Execute child';
    if (!existsSync(file)) return 'the Generate command printed no pipeline (it must call a function that returns a node through `conducto FILE FUNC`)';
    try {
      const doc = await readPipelineFile(file);
      const added = this.tree.graft(execute, doc.nodes);
      this.emitEvent({ type: 'nodes-added', pipeline: this.id, time: Date.now(), under: execute.path, nodes: added });
      return null;
    } catch (err) {
      return `could not import the generated pipeline: ${(err as Error).message}`;
    }
  }

  // ---- state helpers ----------------------------------------------------------------------

  private resetSubtree(node: RunNode): void {
    this.stopSubtree(node, 'killed', 'pending');
    for (const leaf of this.tree.leaves(node)) if (!this.running.has(leaf)) this.tree.setLeafState(leaf, 'pending');
    const clear = (n: RunNode) => {
      if (n.isLeaf) return;
      n.activated = false;
      n.cursor = 0;
      n.waiting = [];
      n.children.forEach(clear);
    };
    clear(node);
  }

  /** Running leaves are stopped with `reason`; they and queued ones end in `after`. */
  private stopSubtree(node: RunNode, reason: EndReason, after: 'killed' | 'pending'): void {
    const inside = (leaf: RunNode) => leaf === node || leaf.path.startsWith(node.path === '/' ? '/' : `${node.path}/`);
    for (const leaf of this.scheduler.dequeue(inside)) {
      this.tree.setLeafState(leaf, after);
      // No execution records this end, so the log needs it (listeners heard it from the tree).
      if (after === 'killed') this.log.append([{ type: 'state', pipeline: this.id, time: Date.now(), path: leaf.path, state: 'killed' }]);
    }
    for (const [leaf, exec] of this.running) {
      if (!inside(leaf)) continue;
      if (after === 'pending') this.returnToPending.add(leaf);
      exec.kill(reason);
    }
  }

  private applyModification(node: RunNode, changes: NodeModification): void {
    const { command, ...params } = changes;
    if (command !== undefined && node.isLeaf) node.spec = { ...node.spec, command };
    const keys = Object.keys(params) as ParamName[];
    if (!keys.length) return;
    const merged: NodeParams = { ...node.params, ...params } as NodeParams;
    const set = [...new Set([...(node.spec.set ?? []), ...keys])];
    this.tree.updateParams(node, merged, set);
    if ('skip' in params && params.skip !== undefined) this.tree.setSkipped(node, params.skip);
  }

  private isSettled(): boolean {
    const c = this.tree.root.leafCounts;
    return c.running === 0 && c.queued === 0 && this.running.size === 0;
  }

  private checkSettled(): void {
    if (!this.isSettled()) return;
    const waiters = this.settleWaiters;
    this.settleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  // ---- events and the log ---------------------------------------------------------------

  /** Persisted events reach the log before any listener hears of them: a crash cannot lose one. */
  private emitEvent(event: RunnerEvent, persist = PERSISTED.has(event.type)): void {
    if (this.replaying) return;
    if (persist) this.log.append([event]);
    this.steps?.observe(event, false);
    this.emit('event', event);
  }

  private async replay(): Promise<void> {
    this.replaying = true;
    const lastStart = new Map<string, ExecutionRecord>();
    try {
      for await (const event of this.ctx.store.readEvents(this.id)) {
        switch (event.type) {
          case 'autorun':
            this.scheduler.autorun = event.autorun;
            break;
          case 'sleep':
            this.status = 'sleeping';
            break;
          case 'wake':
            this.status = 'active';
            break;
          case 'nodes-added':
            this.tree.replaceChildren(this.tree.get(event.under), event.nodes);
            break;
          case 'modify':
            this.applyModification(this.tree.get(event.path), event.changes);
            break;
          case 'skip':
            this.tree.setSkipped(this.tree.get(event.path), event.skipped);
            break;
          case 'reset':
            for (const leaf of this.tree.leaves(this.tree.get(event.path))) this.tree.setLeafState(leaf, 'pending');
            break;
          case 'state': {
            const node = this.tree.byPath.get(event.path);
            if (node?.isLeaf) this.tree.setLeafState(node, event.state);
            break;
          }
          case 'execution-start': {
            const leaf = this.tree.byPath.get(event.path);
            if (!leaf?.isLeaf) break;
            const record = { ...event.execution };
            leaf.executions.push(record);
            lastStart.set(record.id, record);
            this.tree.setLeafState(leaf, 'running');
            this.execSeq = Math.max(this.execSeq, Number(record.id.slice(1)) || 0);
            break;
          }
          case 'execution-end': {
            const leaf = this.tree.byPath.get(event.path);
            if (!leaf?.isLeaf) break;
            const record = lastStart.get(event.execution.id);
            if (record) Object.assign(record, event.execution);
            else leaf.executions.push({ ...event.execution });
            this.execSeq = Math.max(this.execSeq, Number(event.execution.id.slice(1)) || 0);
            // A step that failed and was to run again (retry_on_failure) is pending.
            this.tree.setLeafState(leaf, event.retry ? 'pending' : event.state);
            break;
          }
          default:
            break;
        }
        this.steps?.observe(event, true);
      }
    } finally {
      this.replaying = false;
      this.tree.dirty.clear();
    }
  }

  /** Finishes what a stopped runner left: re-attach to live containers, the rest killed. */
  private async recover(): Promise<void> {
    const leftRunning = [...this.tree.leaves(this.tree.root)].filter((l) => l.state === 'running' || l.state === 'queued');
    const unfinished: { leaf: RunNode; execution: ExecutionRecord }[] = [];
    for (const leaf of leftRunning) {
      const execution = leaf.executions[leaf.executions.length - 1];
      if (leaf.state === 'queued' || !execution || execution.endedAt !== undefined) this.tree.setLeafState(leaf, 'pending');
      else unfinished.push({ leaf, execution });
    }
    // Containers nobody re-attaches to (workers the stopped runner left idle) go first.
    await this.executor.removeLeftWorkers(this.id, new Set(unfinished.flatMap(({ execution }) => (execution.containerId ? [execution.containerId] : []))));
    for (const { leaf, execution } of unfinished) {
      const exec = execution.containerId
        ? this.executor.reattach({ execDir: this.ctx.store.execDir(this.id), execId: execution.id, maxTimeSec: execution.params.max_time }, execution.containerId, execution.startedAt, (text) =>
            this.emitEvent({ type: 'log', pipeline: this.id, time: Date.now(), path: leaf.path, execution: execution.id, text }),
          )
        : null;
      if (!exec) {
        await this.finish(leaf, execution, { exitCode: null, reason: 'runner stopped', message: 'the runner stopped before the node started', peakMemoryBytes: null, containerId: '' });
        continue;
      }
      this.running.set(leaf, exec);
      // It holds resources like any running node until it ends.
      this.scheduler.budget.take(leaf.params.cpu, leaf.params.mem);
      void exec.done.then((outcome) => {
        this.scheduler.budget.give(leaf.params.cpu, leaf.params.mem);
        return this.finish(leaf, execution, outcome);
      });
    }
    // Reconnect every container's scheduling state: a pipeline that was running continues.
    if (this.scheduler.autorun && this.status === 'active') this.scheduler.setAutorun(true);
  }
}

function isLazyGenerate(leaf: RunNode): boolean {
  return leaf.parent?.spec.type === 'Lazy' && nodeName(leaf.path) === 'Generate';
}
