import { statSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunnerEvent } from '../protocol/runner';
import type { RunHandle } from '../runner/runHandle';
import { withNewInstance } from '../runner/service/newInstance';
import { engineOptions } from '../runner/service/engineOptions';
import { RemoteRun } from '../runner/service/remoteRun';
import { ServiceClient, type ServiceLauncher } from '../runner/service/serviceClient';
import type { ServiceRunInfo } from '../protocol/service';
import { PipelineStore, type PipelineMeta } from '../runner/store/pipelineStore';
import { defaultStoreRoot } from '../runner/store/storeLocation';
import { evaluateDefinition } from '../evaluator/evaluateDefinition';
import { PipelineRun } from '../runner/pipelineRun';
import { evaluationLimits, pythonInterpreter, runContextOptions } from './settings';

export interface RunChange {
  run: RunHandle;
  /** Node paths whose state, skip flag or executions changed; empty when the run as a whole did. */
  paths: Set<string>;
  /** The run is new to this window (started, opened, or found running in the runner service). */
  added?: true;
}

/** Stored runs kept read, for the Runs list and the panel together: one of a million nodes is about 600 MB. */
const INSPECTED_KEPT = 2;

/** How long after losing the runner service a window starts another to recover its runs. */
const RECONNECT_DELAY_MS = 500;

/**
 * The live runs this window shows. They belong to the runner service (one per user and store,
 * runner/service/), so they outlive the window: this is a client that starts and controls runs
 * there and follows each through a replica. Views subscribe to `onDidChange` (batched: a busy run
 * changes hundreds of nodes a second) and `onEvent` (every runner event, unbatched, for the
 * Problems panel and progress).
 */
export class RunManager implements vscode.Disposable {
  private readonly runs = new Map<string, RunHandle>();
  /** The latest run of each pipeline function started here: key `file#function`. */
  private readonly latest = new Map<string, string>();
  private client: Promise<ServiceClient | null> | undefined;
  private clientRoot: string | undefined;
  private readonly attaching = new Map<string, Promise<RunHandle>>();
  private readonly changeEmitter = new vscode.EventEmitter<RunChange[]>();
  private readonly eventEmitter = new vscode.EventEmitter<{ run: RunHandle; event: RunnerEvent }>();
  readonly onDidChange = this.changeEmitter.event;
  readonly onEvent = this.eventEmitter.event;
  private pending = new Map<RunHandle, Set<string>>();
  /** Stored runs read from the store (not live), most recently asked for last, with their log's size then. */
  private readonly inspected = new Map<string, { run: Promise<RunHandle>; logBytes: number }>();
  private flushTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  /** `launcher`: how to start the runner service (the CLI shipped beside the extension). */
  constructor(private readonly launcher: (storeRoot: string) => ServiceLauncher) {}

  private storeRoot(): string {
    return runContextOptions().storeRoot ?? defaultStoreRoot();
  }

  /**
   * The runner service of the store in the settings: with `start`, started when none runs.
   * Connecting attaches to every run it holds (a reload finds its runs going on).
   */
  private service(start: boolean): Promise<ServiceClient | null> {
    const root = this.storeRoot();
    if (this.client && this.clientRoot !== root) this.forgetClient();
    if (this.client) {
      return this.client.then((c) => (c && !c.closed ? c : start ? this.connect(root, true) : null));
    }
    return this.connect(root, start);
  }

  private connect(root: string, start: boolean): Promise<ServiceClient | null> {
    this.clientRoot = root;
    const connecting = ServiceClient.connect(root, start ? this.launcher(root) : undefined).then(async (client) => {
      if (!client) return null;
      client.onRuns((runs) => void this.attachAll(client, runs));
      client.onClose(() => this.lostService(client));
      await client.request({ op: 'hello', client: 'vscode' });
      void this.attachAll(client, (await client.request({ op: 'list' })) as ServiceRunInfo[]);
      return client;
    });
    this.client = connecting.then(
      (c) => c,
      (err: unknown) => {
        this.client = undefined;
        throw err;
      },
    );
    return this.client;
  }

  private forgetClient(): void {
    const old = this.client;
    this.client = undefined;
    void old?.then((c) => c?.close(), () => undefined);
  }

  /** Follows every run the service holds that this window does not follow yet. */
  private async attachAll(client: ServiceClient, runs: readonly ServiceRunInfo[]): Promise<void> {
    for (const info of runs) {
      if (this.runs.has(info.id)) continue;
      await this.attach(client, info.id).catch(() => undefined);
    }
  }

  private attach(client: ServiceClient, id: string): Promise<RunHandle> {
    const held = this.runs.get(id);
    if (held) return Promise.resolve(held);
    let attaching = this.attaching.get(id);
    if (!attaching) {
      attaching = RemoteRun.attach(client, this.store(), id)
        .then((run) => {
          run.onDetached = () => this.detached(run);
          this.adopt(run);
          return run;
        })
        .finally(() => this.attaching.delete(id));
      this.attaching.set(id, attaching);
    }
    return attaching;
  }

  private detached(run: RunHandle): void {
    if (this.runs.get(run.id) !== run) return;
    this.runs.delete(run.id);
    this.pending.delete(run);
    if (!this.disposed) this.changeEmitter.fire([]);
  }

  /**
   * The service went away. With runs of this window under way (it crashed, was killed), another is
   * started, which recovers them, and the window follows them there; else the next request starts one.
   */
  private lostService(client: ServiceClient): void {
    if (this.disposed) return;
    // Asked before the replicas hear of it and let go.
    const underWay = [...this.runs.values()].some((r) => r.tree.root.leafCounts.running > 0 || r.tree.root.leafCounts.queued > 0);
    void this.client?.then((current) => {
      if (current !== client) return;
      this.client = undefined;
      if (underWay) setTimeout(() => void this.service(true).catch(() => undefined), RECONNECT_DELAY_MS);
    });
  }

  /** Settings changed: the next request goes to the service of the store they name. */
  resetEngine(): void {
    if (this.clientRoot !== this.storeRoot()) this.forgetClient();
  }

  /** Connects to a running service (none is started) and follows its runs. */
  async reattach(): Promise<void> {
    await this.service(false).catch(() => undefined);
  }

  store(): PipelineStore {
    return new PipelineStore(runContextOptions().storeRoot);
  }

  active(): RunHandle[] {
    return [...this.runs.values()];
  }

  get(id: string): RunHandle | undefined {
    return this.runs.get(id);
  }

  latestFor(file: string, func: string): RunHandle | undefined {
    const id = this.latest.get(`${file}#${func}`);
    return id ? this.runs.get(id) : undefined;
  }

  /** Pipelines in the store that no live run of this window is. */
  stored(): PipelineMeta[] {
    return this.store().list().filter((m) => !this.runs.has(m.id));
  }

  /**
   * A run to look at: the live one when this window follows it, else the stored one read from the
   * store (from its checkpoint: a finished run of a million nodes in a few seconds). The Runs list
   * and the panel share what was read; it is read again once its log has grown (another process
   * ran it meanwhile). A read-only run: control goes through `open`.
   */
  inspect(id: string): Promise<RunHandle> {
    const live = this.runs.get(id);
    if (live) return Promise.resolve(live);
    const store = this.store();
    const logBytes = statSync(store.eventLogFile(id), { throwIfNoEntry: false })?.size ?? 0;
    const kept = this.inspected.get(id);
    this.inspected.delete(id);
    if (kept && kept.logBytes === logBytes) {
      this.inspected.set(id, kept);
      return kept.run;
    }
    const run = PipelineRun.inspect(id, { store });
    this.inspected.set(id, { run, logBytes });
    // A failed read is not kept: the next look tries again.
    run.catch(() => this.inspected.get(id)?.run === run && this.inspected.delete(id));
    for (const old of this.inspected.keys()) if (this.inspected.size > INSPECTED_KEPT) this.inspected.delete(old);
    return run;
  }

  /**
   * Evaluates a definition's pipeline and has the runner service run a new instance of it.
   * `args`: the function's arguments as the command line takes them (`--n=5`), recorded with it.
   */
  async start(file: string, func: string | undefined, args: readonly string[] = []): Promise<RunHandle> {
    const python = await pythonInterpreter(vscode.Uri.file(file));
    const doc = await evaluateDefinition(file, { func, args: [...args], python, limits: evaluationLimits() });
    // The interpreter that evaluated the definition also runs its callbacks (ClearML).
    const run = await withNewInstance(doc, this.store(), runContextOptions(), args, (id) => this.openInService(id, python, true));
    this.latest.set(`${path.resolve(file)}#${func ?? doc.name}`, run.id);
    return run;
  }

  /** Has the runner service run a stored pipeline (wake, control), recovering what a stopped runner left. */
  async open(id: string): Promise<RunHandle> {
    const existing = this.runs.get(id);
    if (existing) return existing;
    const file = this.store().meta(id).file;
    return this.openInService(id, await pythonInterpreter(vscode.Uri.file(file)));
  }

  private async openInService(id: string, python: string, autorun?: boolean): Promise<RunHandle> {
    const client = (await this.service(true))!;
    await client.request({ op: 'open', pipeline: id, options: engineOptions({ ...runContextOptions(), python }), ...(autorun !== undefined ? { autorun } : {}) });
    return this.attach(client, id);
  }

  /** Stops the run (if live) and deletes it from the store. */
  async delete(id: string): Promise<void> {
    const run = this.runs.get(id);
    if (run) {
      await run.stop();
      this.runs.delete(id);
    }
    this.store().delete(id);
    this.inspected.delete(id);
    this.changeEmitter.fire([]);
  }

  private adopt(run: RunHandle): void {
    this.runs.set(run.id, run);
    // Live now: what was read of it from the store is out of date.
    this.inspected.delete(run.id);
    // A run found in the service (after a reload, or started by another client) is its
    // definition's latest when no newer one is known here.
    const key = `${path.resolve(run.meta.file)}#${run.meta.name}`;
    const known = this.runs.get(this.latest.get(key) ?? '');
    if (!known || known.meta.createdAt < run.meta.createdAt) this.latest.set(key, run.id);
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

  /** The window closes: it stops following; the runs go on in the runner service. */
  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    const client = await this.client?.catch(() => null);
    await Promise.all([...this.runs.values()].map((r) => r.close().catch(() => undefined)));
    client?.close();
    this.runs.clear();
    this.changeEmitter.dispose();
    this.eventEmitter.dispose();
  }
}
