// PipelineController semantics on top of the runner (docs/clearml.md): references resolved when a
// step starts, parameters and input for the in-container wrapper, the step cache, retries,
// continue behaviours, abort_on_failure and callbacks through the controller host. Nodes without
// a `step` object are left to the ordinary (Conducto) rules.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ControllerSpec, StepSpec } from '../../protocol/pipeline';
import type { ExecutionRecord, NodeState } from '../../protocol/runner';
import { pythonExecutable } from '../../sdk/sdkLocation';
import { CONTAINER_PATHS, type ExecOutcome } from '../executor/execRequest';
import type { RunNode, RunTree } from '../model/runTree';
import { ControllerHost, type HostReply } from './controllerHost';
import { asText, Resolver, shellWord, stepFolder } from './references';
import { cacheKey, StepCache } from './stepCache';

/** What the engine needs from the pipeline instance. */
export interface StepRunHost {
  readonly pipelineId: string;
  readonly tree: RunTree;
  readonly dataDir: string;
  readonly execDir: string;
  /** The store's root folder (its `pipelines/` parent): the step cache lives in `cache/clearml`. */
  readonly storeRoot: string;
  readonly definitionFile: string;
  readonly pipelineName: string;
  readonly sdkDir: string;
  /** Skips or unskips a node, persisted like a user's skip. */
  setSkipped(node: RunNode, skipped: boolean): void;
  notice(path: string, message: string): void;
}

export type Prepared =
  | { run: { command: string; env: Record<string, string> } }
  | { outcome: ExecOutcome; cached?: boolean }
  | { skip: true };

export interface AfterExecution {
  state: NodeState;
  /** Run the step again (retry_on_failure); this execution stays in the history as failed. */
  retry?: boolean;
  /** A pre_execute_callback skipped the step: drop the execution, skip the node. */
  skip?: boolean;
  /** abort_on_failure: kill the running steps and start nothing more. */
  abort?: boolean;
}

export const STEP_WRAPPER = 'python3 -m pipewright.clearml.step';

const STATUS: Record<NodeState, string> = { pending: 'pending', queued: 'queued', running: 'running', done: 'completed', error: 'failed', killed: 'aborted' };

export class StepEngine {
  readonly controller: ControllerSpec | undefined;
  readonly cache: StepCache;
  /** abort_on_failure fired: nothing more starts until a reset. */
  aborted = false;
  private readonly retries = new Map<RunNode, number>();
  private readonly autoSkipped = new Set<RunNode>();
  private readonly skipping = new Set<RunNode>();
  private readonly cacheKeys = new Map<RunNode, string>();
  private readonly refreshOnce = new Set<RunNode>();
  private host: ControllerHost | undefined;

  constructor(private readonly run: StepRunHost) {
    this.controller = run.tree.root.spec.controller;
    this.cache = new StepCache(path.join(run.storeRoot, 'cache', 'clearml'));
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

  /** The scheduler found a step to skip (its parent was skipped, or failed with continue_on_fail). */
  skipChild(child: RunNode): void {
    this.autoSkipped.add(child);
    this.run.setSkipped(child, true);
    this.statusChanged(child, 'pending', 'skipped');
  }

  /** A node is reset: its retries start over; steps skipped because of it may run again. */
  reopen(node: RunNode): RunNode[] {
    this.aborted = false;
    const reset = new Set<string>();
    for (const leaf of this.run.tree.leaves(node)) {
      this.retries.delete(leaf);
      reset.add(leaf.path);
    }
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

  private stepDir(step: StepSpec): string {
    return path.join(this.run.dataDir, stepFolder(step.name));
  }

  private fail(execution: ExecutionRecord, message: string): Prepared {
    appendFileSync(path.join(this.run.execDir, `${execution.id}.log`), `${message}\n`);
    return { outcome: { exitCode: null, reason: 'error', message, peakMemoryBytes: null, containerId: '' } };
  }

  /**
   * Before a step's container runs: resolve its references, ask the pre_execute_callback, look in
   * the cache, write its input file. The execution records the command and parameters as run.
   */
  async prepare(leaf: RunNode, execution: ExecutionRecord, image: string): Promise<Prepared> {
    const step = leaf.spec.step!;
    const stepDir = this.stepDir(step);
    const queue = step.queue ?? this.controller?.default_queue ?? 'default';
    const id = `${this.run.pipelineId}.${execution.id}`;
    const retry = this.retries.get(leaf) ?? 0;
    execution.step = { id, queue, parameters: {}, ...(retry ? { retry } : {}) };
    let parameters: Record<string, unknown> = {};
    let resolver: Resolver;
    try {
      resolver = new Resolver(this.run.dataDir, this.controller?.parameters ?? {});
      for (const [key, value] of Object.entries(step.parameters)) parameters[key] = resolver.resolve(value, step.kind === 'function' && key.startsWith('kwargs/'));
    } catch (err) {
      return this.fail(execution, `cannot start step ${step.name}: ${(err as Error).message}`);
    }
    this.statusChanged(leaf, 'pending', 'running');
    if (step.callbacks.pre || this.controller?.callbacks.pre) {
      let reply: HostReply;
      try {
        reply = await this.ask('pre', leaf, { parameters });
      } catch (err) {
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
    if (step.cache && this.cacheMode !== 'off') {
      const fn = step.function ? { file: step.function.file, name: step.function.name, code_hash: step.function.code_hash } : null;
      const key = cacheKey({ kind: step.kind, command, function: fn, parameters, image, env: leaf.params.env, inputs: Object.fromEntries(resolver.inputs) });
      execution.step.cacheKey = key;
      this.cacheKeys.set(leaf, key);
      const refresh = this.refreshOnce.delete(leaf) || this.cacheMode === 'refresh';
      if (!refresh && this.cache.restore(key, stepDir, path.join(this.run.execDir, `${execution.id}.log`))) {
        execution.cached = true;
        return { outcome: { exitCode: 0, peakMemoryBytes: null, containerId: '' }, cached: true };
      }
    }
    mkdirSync(stepDir, { recursive: true });
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
    writeFileSync(path.join(this.run.execDir, `${execution.id}.step.json`), JSON.stringify(input, null, 1));
    return { run: { command: STEP_WRAPPER, env: { PIPEWRIGHT_STEP_INPUT: `${CONTAINER_PATHS.exec}/${execution.id}.step.json` } } };
  }

  /** After a step's execution: store it in the cache, post_execute_callback, retry, abort. */
  async afterExecution(leaf: RunNode, execution: ExecutionRecord, state: NodeState): Promise<AfterExecution> {
    if (this.skipping.delete(leaf)) {
      this.statusChanged(leaf, 'running', 'skipped');
      return { state: 'pending', skip: true };
    }
    const key = this.cacheKeys.get(leaf);
    this.cacheKeys.delete(leaf);
    if (state === 'pending') return { state };
    const step = leaf.spec.step!;
    if (state === 'done' && key && !execution.cached) {
      try {
        this.cache.save(key, this.stepDir(step), path.join(this.run.execDir, `${execution.id}.log`), { pipeline: this.run.pipelineId, step: step.name, execution: execution.id });
      } catch (err) {
        this.run.notice(leaf.path, `could not store ${step.name} in the step cache: ${(err as Error).message}`);
      }
    }
    if (step.callbacks.post || this.controller?.callbacks.post) {
      let problem: string | undefined;
      try {
        const status = state === 'done' && execution.cached ? 'cached' : STATUS[state];
        const executed = state === 'done' ? `${this.run.pipelineId}.${execution.id}` : null;
        const reply = await this.ask('post', leaf, {}, { [step.name]: { status, executed } });
        if (reply.error) problem = `post_execute_callback of ${step.name} raised:\n${reply.error}`;
      } catch (err) {
        problem = `post_execute_callback of ${step.name}: ${(err as Error).message}`;
      }
      if (problem) {
        state = 'error';
        execution.reason = 'error';
        execution.message = problem;
        appendFileSync(path.join(this.run.execDir, `${execution.id}.log`), `${problem}\n`);
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
        this.retries.set(leaf, done + 1);
        this.run.notice(leaf.path, `step ${step.name} failed; retry ${done + 1}${step.retry_callback ? '' : ` of ${step.retry}`}`);
        return { state, retry: true };
      }
    }
    this.statusChanged(leaf, 'running', state === 'done' && execution.cached ? 'cached' : STATUS[state]);
    let abort = false;
    if ((state === 'error' || state === 'killed') && this.controller?.abort_on_failure && !step.continue_on_fail && !this.aborted) {
      this.aborted = true;
      abort = true;
      this.run.notice('/', `step ${step.name} failed: aborting the pipeline (abort_on_failure)`);
    }
    return { state, abort };
  }

  // ---- the controller host ---------------------------------------------------------------

  private nodes(overrides: Record<string, Record<string, unknown>> = {}): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const child of this.run.tree.root.children) {
      const step = child.spec.step;
      if (!step) continue;
      const last = child.executions[child.executions.length - 1];
      let status = child.skipped ? 'skipped' : STATUS[child.state];
      if (child.state === 'done' && last?.cached) status = 'cached';
      out[step.name] = {
        status,
        executed: child.state === 'done' && last ? `${this.run.pipelineId}.${last.id}` : null,
        started: last ? last.startedAt / 1000 : null,
        ended: last?.endedAt ? last.endedAt / 1000 : null,
        retries: this.retries.get(child) ?? 0,
        ...overrides[step.name],
      };
    }
    return out;
  }

  private ask(op: string, leaf: RunNode, payload: Record<string, unknown>, overrides?: Record<string, Record<string, unknown>>): Promise<HostReply> {
    this.host ??= new ControllerHost({ python: pythonExecutable(), sdkDir: this.run.sdkDir, file: this.run.definitionFile, name: this.run.pipelineName });
    return this.host.request(op, { step: leaf.spec.step!.name, nodes: this.nodes(overrides), ...payload });
  }

  private statusChanged(leaf: RunNode, previous: string, status: string): void {
    const step = leaf.spec.step;
    if (!step?.callbacks.status) return;
    this.ask('status', leaf, { previous, status }, { [step.name]: { status } }).then(
      (reply) => {
        if (reply.error) this.run.notice(leaf.path, `status_change_callback of ${step.name} raised:\n${reply.error}`);
      },
      (err: Error) => this.run.notice(leaf.path, `status_change_callback of ${step.name}: ${err.message}`),
    );
  }

  close(): void {
    this.host?.close();
    this.host = undefined;
  }
}
