import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunnerEvent } from '../protocol/runner';
import { PipelineRun } from '../runner/pipelineRun';
import { createRunContext, type EngineRunContext } from '../runner/runContext';
import { PipelineStore, type PipelineMeta } from '../runner/store/pipelineStore';
import { evaluateDefinition } from '../evaluator/evaluateDefinition';
import { evaluationLimits, pythonInterpreter, runContextOptions } from './settings';

export interface RunChange {
  run: PipelineRun;
  /** Node paths whose state, skip flag or executions changed; empty when the run as a whole did. */
  paths: Set<string>;
  /** The run is new to this window (started, opened or woken here). */
  added?: true;
}

/**
 * The runner inside the extension host: the pipeline instances this window runs, and those in the
 * store. Views subscribe to `onDidChange` (batched: a busy run changes hundreds of nodes a second)
 * and `onEvent` (every runner event, unbatched, for the Problems panel and progress).
 */
export class RunManager implements vscode.Disposable {
  private readonly runs = new Map<string, PipelineRun>();
  /** The latest run of each pipeline function started here: key `file#function`. */
  private readonly latest = new Map<string, string>();
  private context: Promise<EngineRunContext> | undefined;
  private readonly changeEmitter = new vscode.EventEmitter<RunChange[]>();
  private readonly eventEmitter = new vscode.EventEmitter<{ run: PipelineRun; event: RunnerEvent }>();
  readonly onDidChange = this.changeEmitter.event;
  readonly onEvent = this.eventEmitter.event;
  private pending = new Map<PipelineRun, Set<string>>();
  private flushTimer: NodeJS.Timeout | undefined;

  /** The Docker engine, store and budget, created on first use with the current settings. */
  engine(): Promise<EngineRunContext> {
    this.context ??= createRunContext(runContextOptions()).catch((err: unknown) => {
      this.context = undefined;
      throw err;
    });
    return this.context;
  }

  /** Settings changed: the next run uses a new engine context. */
  resetEngine(): void {
    this.context = undefined;
  }

  store(): PipelineStore {
    return new PipelineStore(runContextOptions().storeRoot);
  }

  active(): PipelineRun[] {
    return [...this.runs.values()];
  }

  get(id: string): PipelineRun | undefined {
    return this.runs.get(id);
  }

  latestFor(file: string, func: string): PipelineRun | undefined {
    const id = this.latest.get(`${file}#${func}`);
    return id ? this.runs.get(id) : undefined;
  }

  /** Pipelines in the store that this window does not hold open. */
  stored(): PipelineMeta[] {
    return this.store().list().filter((m) => !this.runs.has(m.id));
  }

  /**
   * Evaluates a definition's pipeline and runs a new instance of it. `args`: the function's
   * arguments as the command line takes them (`--n=5`), recorded with the instance.
   */
  async start(file: string, func: string | undefined, args: readonly string[] = []): Promise<PipelineRun> {
    const python = await pythonInterpreter(vscode.Uri.file(file));
    const doc = await evaluateDefinition(file, { func, args: [...args], python, limits: evaluationLimits() });
    // The interpreter that evaluated the definition also runs its callbacks (ClearML).
    const run = PipelineRun.create(doc, { ...(await this.engine()), python }, { args });
    this.adopt(run);
    this.latest.set(`${path.resolve(file)}#${func ?? doc.name}`, run.id);
    run.setAutorun(true);
    return run;
  }

  /** Opens a stored pipeline here (wake, control). */
  async open(id: string): Promise<PipelineRun> {
    const existing = this.runs.get(id);
    if (existing) return existing;
    const file = this.store().meta(id).file;
    const run = await PipelineRun.open(id, { ...(await this.engine()), python: await pythonInterpreter(vscode.Uri.file(file)) });
    this.adopt(run);
    return run;
  }

  async delete(id: string): Promise<void> {
    const run = this.runs.get(id);
    if (run) {
      await run.close();
      this.runs.delete(id);
    }
    this.store().delete(id);
    this.changeEmitter.fire([]);
  }

  private adopt(run: PipelineRun): void {
    this.runs.set(run.id, run);
    run.on('event', (event) => {
      this.eventEmitter.fire({ run, event });
      const paths = this.pending.get(run) ?? new Set<string>();
      this.pending.set(run, paths);
      if ('path' in event && typeof event.path === 'string') paths.add(event.path);
      if (event.type === 'nodes-added') paths.add(event.under);
      this.scheduleFlush();
    });
    this.changeEmitter.fire([{ run, paths: new Set(), added: true }]);
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      const changes = [...this.pending].map(([run, paths]) => ({ run, paths }));
      this.pending = new Map();
      this.changeEmitter.fire(changes);
    }, 100);
  }

  async dispose(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await Promise.all([...this.runs.values()].map((r) => r.close().catch(() => undefined)));
    this.runs.clear();
    this.changeEmitter.dispose();
    this.eventEmitter.dispose();
  }
}
