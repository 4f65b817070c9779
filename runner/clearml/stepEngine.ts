// PipelineController semantics on top of the runner (docs/clearml.md): references resolved when a
// step starts, parameters and input for the in-container wrapper, the step cache, retries,
// continue behaviours, abort_on_failure and callbacks through the controller host. Nodes without
// a `step` object are left to the ordinary (Conducto) rules.
import * as path from 'node:path';
import type { ControllerSpec, StepSpec } from '../../protocol/pipeline';
import type { ExecutionRecord, NodeState, RunnerEvent, SkipReason } from '../../protocol/runner';
import type { JobOutcome, JobSpec } from '../backend';
import { CancelledError, withTimeout } from '../docker/timeout';
import { ConfinedFolder, RefusedPath } from '../files/confinedFolder';
import type { RunNode, RunTree } from '../model/runTree';
import { CONTAINER_PATHS } from '../nodePaths';
import type { PipelineSpace } from '../store/pipelineSpace';
import { ControllerHost, type CallbackHost, type HostReply } from './controllerHost';
import { asText, readResult, Resolver, shellWord, stepFolder } from './references';
import { readMetrics } from './metrics';
import { cacheKey, StepCache, type Place } from './stepCache';

/** What the engine needs from the pipeline instance. */
export interface StepRunHost {
  readonly pipelineId: string;
  readonly tree: RunTree;
  readonly space: PipelineSpace;
  /** The store's root folder (its `pipelines/` parent): the step cache lives in `cache/clearml`. */
  readonly storeRoot: string;
  readonly definitionFile: string;
  readonly pipelineName: string;
  readonly sdkDir: string;
  /** The interpreter the controller (callbacks) runs the definition with: the user's choice. */
  readonly python: string;
  /** Skips or unskips a node, persisted like a user's skip (with the reason, for a restart). */
  setSkipped(node: RunNode, skipped: boolean, reason?: SkipReason): void;
  notice(path: string, message: string): void;
  /** Answers the callbacks instead of a controller host (a decorated pipeline's running function). */
  callbackHost?(): CallbackHost | undefined;
}

/** What a step's execution becomes before any container: run it, its end already known, or skipped. */
export type Prepared =
  | { run: Pick<JobSpec, 'command' | 'env' | 'inputs'> }
  | { outcome: JobOutcome; cached?: boolean }
  /** A pre_execute_callback said no (ClearML's skip_job): the step never runs, it is skipped. */
  | { skip: true };

export interface AfterExecution {
  state: NodeState;
  /** Run the step again (retry_on_failure); this execution stays in the history as failed. */
  retry?: boolean;
  /** abort_on_failure: kill the running steps and start nothing more. */
  abort?: boolean;
}

export const STEP_WRAPPER = 'python3 -m pipewright.clearml.step';
/** The step's input file (name, parameters, function) the wrapper reads. */
const STEP_INPUT = 'step.json';

const STATUS: Record<NodeState, string> = { pending: 'pending', queued: 'queued', running: 'running', done: 'completed', error: 'failed', killed: 'aborted' };

const CALLBACK_NAMES: Record<string, string> = { pre: 'pre_execute_callback', post: 'post_execute_callback', status: 'status_change_callback', retry: 'retry_on_failure' };

/** How long closing waits for status_change_callbacks still being answered. */
const STATUS_DRAIN_MS = 10_000;

export class StepEngine {
  readonly controller: ControllerSpec | undefined;
  readonly cache: StepCache;
  /** abort_on_failure fired: nothing more starts until a reset. */
  aborted = false;
  // retries, autoSkipped and aborted are kept by `observe` from the run's events, live and on
  // replay alike, so a restarted runner goes on with the same retry budgets and skips.
  private readonly retries = new Map<RunNode, number>();
  /** Steps skipped because of a parent: a reset of that parent brings them back. */
  private readonly autoSkipped = new Set<RunNode>();
  /** A pre_execute_callback said no; the skip event is not written yet. */
  private readonly skipping = new Set<RunNode>();
  /** Steps whose execution's container started (status `running`, not `queued`). */
  private readonly containerUp = new Set<RunNode>();
  /** The status last reported to status_change_callback (ClearML's previous_status). */
  private readonly statuses = new Map<RunNode, string>();
  private readonly statusCalls = new Set<Promise<void>>();
  private readonly cacheKeys = new Map<RunNode, string>();
  private readonly refreshOnce = new Set<RunNode>();
  private host: ControllerHost | undefined;

  /** The shared data folder and the executions' folder, written by nodes: never read through a link. */
  private readonly data: ConfinedFolder;
  private readonly exec: ConfinedFolder;

  constructor(private readonly run: StepRunHost) {
    this.controller = run.tree.root.spec.controller;
    this.cache = new StepCache(path.join(run.storeRoot, 'cache', 'clearml'));
    this.data = new ConfinedFolder(run.space.dataDir);
    // Logs are the user's only, like the rest of the store.
    this.exec = new ConfinedFolder(run.space.execDir, 'the executions folder', 0o600);
  }

  /** Does this pipeline have steps? */
  static applies(tree: RunTree): boolean {
    return tree.root.spec.controller !== undefined || tree.root.children.some((c) => c.spec.step !== undefined);
  }

  isStep(leaf: RunNode): boolean {
    return leaf.spec.step !== undefined;
  }

  private get cacheMode(): string {
    return process.env.PIPEWRIGHT_STEP_CACHE ?? '';
  }

  // ---- scheduling ----------------------------------------------------------------------------

  /**
   * When a step may start (ClearML): after its parents completed. A skipped parent skips it; a
   * failed parent keeps it pending, or skips it (continue_on_fail), or lets it run
   * (skip_children_on_fail=False); likewise for aborted (killed) parents.
   */
  dependencies(parent: RunNode, child: RunNode): 'ready' | 'failed' | 'waiting' | 'skip' | undefined {
    if (!child.spec.step) return undefined;
    if (this.aborted) return 'failed';
    let waiting = false;
    let skip = false;
    for (const p of child.spec.parents) {
      const dep = this.run.tree.byPath.get(p);
      if (!dep || dep.parent !== parent) continue;
      if (dep.skipped) {
        if (dep.spec.step) skip = true;
        continue;
      }
      const state = dep.isLeaf ? dep.state : dep.viewState;
      if (state === 'error' || state === 'killed') {
        const step = dep.spec.step;
        if (!step) {
          if (dep.viewState === 'done') continue;
          return 'failed';
        }
        const aborted = state === 'killed';
        if (!(aborted ? step.skip_children_on_abort : step.skip_children_on_fail)) continue;
        // ClearML: a step that may fail (or be aborted) without failing the pipeline skips its children.
        if (aborted ? step.continue_on_abort : step.continue_on_fail) {
          skip = true;
          continue;
        }
        return 'failed';
      }
      if (state !== 'done') waiting = true;
    }
    return skip ? 'skip' : waiting ? 'waiting' : 'ready';
  }

  /** The scheduler found a step to skip (its parent was skipped, or failed/aborted with continue). */
  skipChild(child: RunNode): void {
    this.run.setSkipped(child, true, 'parent');
  }

  /** A node was reset (its retries started over in `observe`): steps skipped because of it may run again. */
  reopen(node: RunNode): RunNode[] {
    const reset = new Set<string>();
    for (const leaf of this.run.tree.leaves(node)) reset.add(leaf.path);
    const unskipped: RunNode[] = [];
    let grew = true;
    while (grew) {
      grew = false;
      for (const skipped of this.autoSkipped) {
        if (node !== this.run.tree.root && !skipped.spec.parents.some((p) => reset.has(p))) continue;
        this.autoSkipped.delete(skipped);
        this.run.setSkipped(skipped, false);
        reset.add(skipped.path);
        unskipped.push(skipped);
        grew = true;
      }
    }
    return unskipped;
  }

  /** The next execution of these steps ignores the cache (the result is stored again). */
  refresh(node: RunNode): void {
    for (const leaf of this.run.tree.leaves(node)) if (leaf.spec.step) this.refreshOnce.add(leaf);
  }

  // ---- running -------------------------------------------------------------------------------

  /** A step's folder in the data folder. */
  private stepPlace(step: StepSpec): Place {
    return { folder: this.data, rel: stepFolder(step.name) };
  }

  /** An execution's log in the executions folder. */
  private logPlace(execution: ExecutionRecord): Place {
    return { folder: this.exec, rel: path.relative(this.run.space.execDir, this.run.space.log(execution.id).path) };
  }

  private fail(execution: ExecutionRecord, message: string): Prepared {
    this.run.space.note(execution.id, message);
    return { outcome: { exitCode: null, reason: 'error', message, peakMemoryBytes: null, containerId: '' } };
  }

  /**
   * Before a step's container runs: resolve its references, ask the pre_execute_callback, look in
   * the cache, write its input file. The execution records the command and parameters as run.
   */
  async prepare(leaf: RunNode, execution: ExecutionRecord, image: string, signal: AbortSignal): Promise<Prepared> {
    const step = leaf.spec.step!;
    const queue = step.queue ?? this.controller?.default_queue ?? 'default';
    const id = `${this.run.pipelineId}.${execution.id}`;
    const retry = this.retries.get(leaf) ?? 0;
    execution.step = { id, queue, parameters: {}, ...(retry ? { retry } : {}) };
    let parameters: Record<string, unknown> = {};
    let resolver: Resolver;
    try {
      resolver = new Resolver(this.run.space.dataDir, this.controller?.parameters ?? {});
      for (const [key, value] of Object.entries(step.parameters)) parameters[key] = resolver.resolve(value, step.kind === 'function' && key.startsWith('kwargs/'));
    } catch (err) {
      return this.fail(execution, `cannot start step ${step.name}: ${(err as Error).message}`);
    }
    if (step.callbacks.pre || this.controller?.callbacks.pre) {
      let reply: HostReply;
      try {
        reply = await this.ask('pre', leaf, { parameters }, undefined, signal, execution);
      } catch (err) {
        if (err instanceof CancelledError) throw err;
        return this.fail(execution, `pre_execute_callback of ${step.name}: ${(err as Error).message}`);
      }
      if (reply.error) return this.fail(execution, `pre_execute_callback of ${step.name} raised:\n${reply.error}`);
      if (reply.skip) {
        this.skipping.add(leaf);
        return { skip: true };
      }
      if (reply.parameters) parameters = reply.parameters;
    }
    execution.step.parameters = parameters;
    let command = leaf.spec.command ?? '';
    try {
      if (step.kind === 'task') {
        command = resolver.command(command, parameters);
        if (step.args_from_parameters) {
          for (const [key, value] of Object.entries(parameters)) if (key.startsWith('Args/')) command += ` --${key.slice(5)} ${shellWord(asText(value))}`;
        }
      }
    } catch (err) {
      return this.fail(execution, `cannot start step ${step.name}: ${(err as Error).message}`);
    }
    execution.command = command;
    /** The cache entry this execution may reuse. */
    let reuse: string | undefined;
    if (step.cache && this.cacheMode !== 'off') {
      const fn = step.function ? { file: step.function.file, name: step.function.name, code_hash: step.function.code_hash } : null;
      const key = cacheKey({ kind: step.kind, command, function: fn, ...(step.script ? { script: step.script.code_hash } : {}), parameters, image, env: leaf.params.env, inputs: Object.fromEntries(resolver.inputs) });
      execution.step.cacheKey = key;
      this.cacheKeys.set(leaf, key);
      const refresh = this.refreshOnce.delete(leaf) || this.cacheMode === 'refresh';
      if (!refresh) reuse = key;
    }
    try {
      if (reuse && this.cache.restore(reuse, this.stepPlace(step), this.logPlace(execution), this.run.space.dir)) {
        execution.cached = true;
        return { outcome: { exitCode: 0, peakMemoryBytes: null, containerId: '' }, cached: true };
      }
      this.data.makeFolder(stepFolder(step.name));
    } catch (err) {
      if (err instanceof RefusedPath) return this.fail(execution, `cannot start step ${step.name}: ${err.message}`);
      throw err;
    }
    const input = {
      name: step.name,
      id,
      project: step.project,
      kind: step.kind,
      command,
      parameters,
      function: step.function ?? null,
      queue,
      dir: `${CONTAINER_PATHS.data}/${stepFolder(step.name)}`,
    };
    this.run.space.writeInput(execution.id, STEP_INPUT, JSON.stringify(input, null, 1));
    return { run: { command: STEP_WRAPPER, env: {}, inputs: [{ env: 'PIPEWRIGHT_STEP_INPUT', name: STEP_INPUT }] } };
  }

  /** After a step's execution: store it in the cache, post_execute_callback, retry, abort. */
  async afterExecution(leaf: RunNode, execution: ExecutionRecord, state: NodeState): Promise<AfterExecution> {
    const key = this.cacheKeys.get(leaf);
    this.cacheKeys.delete(leaf);
    if (state === 'pending') return { state };
    const step = leaf.spec.step!;
    this.keepMetrics(leaf, execution);
    if (state === 'done') {
      // A step that left a link (or a FIFO) for its result misleads the steps after it: it fails.
      const problem = this.refusedResult(step);
      if (problem) {
        state = 'error';
        execution.reason = 'error';
        execution.message = problem;
        this.run.space.note(execution.id, problem);
      }
    }
    if (state === 'done' && key && !execution.cached) {
      try {
        this.cache.save(key, this.stepPlace(step), this.logPlace(execution), { pipeline: this.run.pipelineId, step: step.name, execution: execution.id });
      } catch (err) {
        this.run.notice(leaf.path, `could not store ${step.name} in the step cache: ${(err as Error).message}`);
      }
    }
    if (step.callbacks.post || this.controller?.callbacks.post) {
      let problem: string | undefined;
      try {
        const status = state === 'done' && execution.cached ? 'cached' : STATUS[state];
        const executed = state === 'done' ? `${this.run.pipelineId}.${execution.id}` : null;
        const reply = await this.ask('post', leaf, {}, { [step.name]: { status, executed } }, undefined, execution);
        if (reply.error) problem = `post_execute_callback of ${step.name} raised:\n${reply.error}`;
      } catch (err) {
        problem = `post_execute_callback of ${step.name}: ${(err as Error).message}`;
      }
      if (problem) {
        state = 'error';
        execution.reason = 'error';
        execution.message = problem;
        this.run.space.note(execution.id, problem);
      }
    }
    if (state === 'error') {
      const done = this.retries.get(leaf) ?? 0;
      let again = false;
      if (step.retry_callback) {
        try {
          const reply = await this.ask('retry', leaf, { retries: done });
          if (reply.error) this.run.notice(leaf.path, `retry_on_failure of ${step.name} raised:\n${reply.error}`);
          again = reply.retry === true;
        } catch (err) {
          this.run.notice(leaf.path, `retry_on_failure of ${step.name}: ${(err as Error).message}`);
        }
      } else if (step.retry !== null && done < step.retry) again = true;
      if (again) {
        // The count goes up when the runner writes the execution's end with `retry` (observe).
        this.run.notice(leaf.path, `step ${step.name} failed; retry ${done + 1}${step.retry_callback ? '' : ` of ${step.retry}`}`);
        return { state, retry: true };
      }
    }
    let abort = false;
    if (this.abortsPipeline(step, state) && !this.aborted) {
      this.aborted = true;
      abort = true;
      this.run.notice('/', `step ${step.name} failed: aborting the pipeline (abort_on_failure)`);
    }
    return { state, abort };
  }

  /** What the step reported through its Logger goes into the execution record (also when it failed). */
  private keepMetrics(leaf: RunNode, execution: ExecutionRecord): void {
    if (!execution.step) return;
    try {
      const metrics = readMetrics(this.data, leaf.spec.step!.name);
      if (metrics) execution.step.metrics = metrics;
    } catch (err) {
      this.run.notice(leaf.path, `the reports of step ${leaf.spec.step!.name} are not kept: ${(err as Error).message}`);
    }
  }

  /** Why the step's result cannot be read, if the data folder refuses it. */
  private refusedResult(step: StepSpec): string | undefined {
    try {
      readResult(this.data, step.name);
      return undefined;
    } catch (err) {
      if (err instanceof RefusedPath) return `step ${step.name} left a result the runner refuses: ${err.message}`;
      throw err;
    }
  }

  /** abort_on_failure, as ClearML: a failure without continue_on_fail (an abort is no failure). */
  private abortsPipeline(step: StepSpec, state: NodeState): boolean {
    return state === 'error' && this.controller?.abort_on_failure === true && !step.continue_on_fail;
  }

  // ---- what the run's events say ----------------------------------------------------------

  /**
   * Every event of the run, as it is emitted and when the log is replayed after a restart: the
   * retry counts, the runner's skips and abort_on_failure are rebuilt from them, and a change of a
   * step's status calls its status_change_callback (not on replay).
   */
  observe(event: RunnerEvent, replaying: boolean): void {
    if (event.type === 'reset') {
      const node = this.run.tree.byPath.get(event.path);
      this.aborted = false;
      if (node) for (const leaf of this.run.tree.leaves(node)) this.retries.delete(leaf);
      return;
    }
    if (event.type !== 'state' && event.type !== 'skip' && event.type !== 'execution-start' && event.type !== 'execution-end') return;
    const leaf = this.run.tree.byPath.get(event.path);
    const step = leaf?.spec.step;
    if (!leaf || !step) return;
    let skipped: boolean | undefined;
    switch (event.type) {
      case 'skip':
        // Emitted before the tree changes: the event says what the node becomes.
        skipped = event.skipped;
        this.skipping.delete(leaf);
        if (event.skipped && event.reason === 'parent') this.autoSkipped.add(leaf);
        else if (!event.skipped) this.autoSkipped.delete(leaf);
        break;
      case 'execution-start':
        if (event.execution.containerId) this.containerUp.add(leaf);
        break;
      case 'execution-end':
        if (event.retry) this.retries.set(leaf, (event.execution.step?.retry ?? 0) + 1);
        else if (this.abortsPipeline(step, event.state)) this.aborted = true;
        break;
      case 'state':
        if (event.state !== 'running') this.containerUp.delete(leaf);
        break;
    }
    const status = this.status(leaf, skipped);
    const previous = this.statuses.get(leaf) ?? 'pending';
    if (status === previous) return;
    this.statuses.set(leaf, status);
    if (!replaying) this.statusChanged(leaf, previous, status);
  }

  /** A step's status as ClearML names it (PipelineController.Node.status). */
  private status(leaf: RunNode, skipped = leaf.skipped): string {
    if (skipped || this.skipping.has(leaf)) return 'skipped';
    if (leaf.state === 'running') return this.containerUp.has(leaf) ? 'running' : 'queued';
    if (leaf.state === 'done' && leaf.executions[leaf.executions.length - 1]?.cached) return 'cached';
    return STATUS[leaf.state];
  }

  // ---- the controller host ---------------------------------------------------------------

  private nodes(overrides: Record<string, Record<string, unknown>> = {}): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const child of this.run.tree.root.children) {
      const step = child.spec.step;
      if (!step) continue;
      const last = child.executions[child.executions.length - 1];
      out[step.name] = {
        status: this.status(child),
        executed: child.state === 'done' && last ? `${this.run.pipelineId}.${last.id}` : null,
        started: last ? last.startedAt / 1000 : null,
        ended: last?.endedAt ? last.endedAt / 1000 : null,
        retries: this.retries.get(child) ?? 0,
        ...overrides[step.name],
      };
    }
    return out;
  }

  /** Asks the controller host; `signal` ends the wait (the callback itself runs on). */
  private ask(op: string, leaf: RunNode, payload: Record<string, unknown>, overrides?: Record<string, Record<string, unknown>>, signal?: AbortSignal, execution?: ExecutionRecord): Promise<HostReply> {
    const host = this.run.callbackHost?.() ?? (this.host ??= new ControllerHost({ python: this.run.python, sdkDir: this.run.sdkDir, file: this.run.definitionFile, name: this.run.pipelineName, parameters: this.controller?.parameters ?? {}, dataDir: this.run.space.dataDir }));
    const name = leaf.spec.step!.name;
    const reply = host.request(op, { step: name, nodes: this.nodes(overrides), ...payload }).then((answer) => {
      if (answer.output) this.showOutput(leaf, `${CALLBACK_NAMES[op] ?? op} of ${name}`, answer.output, execution);
      return answer;
    });
    return withTimeout(reply, 0, `the ${op} callback of ${name}`, signal);
  }

  /** A callback's prints: a notice on the step (the CLI prints it) and, with an execution, its log. */
  private showOutput(leaf: RunNode, what: string, output: string, execution?: ExecutionRecord): void {
    const text = output.endsWith('\n') ? output : `${output}\n`;
    this.run.notice(leaf.path, `${what} printed:\n${text.trimEnd()}`);
    if (execution) this.run.space.note(execution.id, `[${what}]\n${text}`);
  }

  private statusChanged(leaf: RunNode, previous: string, status: string): void {
    const step = leaf.spec.step;
    if (!step?.callbacks.status) return;
    const call = this.ask('status', leaf, { previous, status }, { [step.name]: { status } }).then(
      (reply) => {
        if (reply.error) this.run.notice(leaf.path, `status_change_callback of ${step.name} raised:\n${reply.error}`);
      },
      (err: Error) => this.run.notice(leaf.path, `status_change_callback of ${step.name}: ${err.message}`),
    );
    this.statusCalls.add(call);
    void call.finally(() => this.statusCalls.delete(call));
  }

  /** Stops the controller host, once the status callbacks already sent are answered (or a while). */
  async close(): Promise<void> {
    if (this.statusCalls.size) {
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, STATUS_DRAIN_MS)));
      await Promise.race([Promise.allSettled([...this.statusCalls]), limit]);
      clearTimeout(timer);
    }
    this.host?.close();
    this.host = undefined;
  }
}
