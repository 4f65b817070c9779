// The runner service: one detached process per user and store that owns every live run, so a run
// outlives the window or CLI that started it. Clients (runner/service/serviceClient.ts) connect
// over a private Unix socket, ask it to run stored pipelines, watch their events and control them.
import { chmodSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import * as path from 'node:path';
import { parseLiveRuns, parseServiceRequest, type EngineOptions, type ServiceMessage, type ServiceRequest, type ServiceRunInfo, type WatchStart } from '../../protocol/service';
import type { RunnerEvent } from '../../protocol/runner';
import { PipelineRun } from '../pipelineRun';
import { createRunContext, type EngineRunContext } from '../runContext';
import { ProcessLock } from '../store/processLock';
import { writePrivateFileAtomic } from '../store/privateFiles';
import type { ServiceAddress } from './serviceAddress';

/** How often a watcher gets the events of its runs: a busy run emits thousands a second. */
const EVENT_BATCH_MS = 25;

export interface ServiceOptions {
  /** Exit after this long with no active run and no client. */
  idleMs: number;
  log?: (line: string) => void;
}

/** One client's connection: what it watches and the events waiting to be sent to it. */
class Connection {
  readonly watching = new Map<string, RunnerEvent[]>();
  private timer: NodeJS.Timeout | undefined;
  hello = false;
  constructor(readonly socket: Socket) {}

  send(message: ServiceMessage): void {
    if (!this.socket.destroyed) this.socket.write(`${JSON.stringify(message)}\n`);
  }

  queue(pipeline: string, event: RunnerEvent): void {
    const batch = this.watching.get(pipeline);
    if (!batch) return;
    batch.push(event);
    this.timer ??= setTimeout(() => this.flush(), EVENT_BATCH_MS);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const [pipeline, events] of this.watching) {
      if (!events.length) continue;
      this.send({ pipeline, events: events.splice(0) });
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

export class RunnerService {
  private server: Server | undefined;
  private lock: ProcessLock | null = null;
  private readonly connections = new Set<Connection>();
  private readonly runs = new Map<string, PipelineRun>();
  private readonly opening = new Map<string, Promise<PipelineRun>>();
  private readonly contexts = new Map<string, Promise<EngineRunContext>>();
  private idleSince = Date.now();
  private idleTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  /** Resolves when the service has stopped (idle, or told to). */
  readonly stopped: Promise<void>;
  private resolveStopped!: () => void;

  constructor(
    private readonly address: ServiceAddress,
    private readonly options: ServiceOptions,
  ) {
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
  }

  private get liveFile(): string {
    return path.join(this.address.dir, 'live.json');
  }

  /**
   * Takes the store's service lock and listens. False when another live service holds the lock (a
   * client then connects to that one). Runs a stopped service held are recovered first.
   */
  async start(): Promise<boolean> {
    this.lock = ProcessLock.tryAcquire(this.address.lock);
    if (!this.lock) return false;
    // The lock is ours, so a socket file left here belongs to a service that died.
    rmSync(this.address.socket, { force: true });
    const server = (this.server = createServer((socket) => this.accept(socket)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.address.socket, () => resolve());
    });
    chmodSync(this.address.socket, 0o600);
    this.log(`listening on ${this.address.socket} (pid ${process.pid}, store ${this.address.storeRoot})`);
    await this.recoverLeft();
    this.idleTimer = setInterval(() => this.checkIdle(), Math.min(1000, Math.max(100, this.options.idleMs / 4)));
    return true;
  }

  /** Runs the previous service held when it stopped (crash, kill -9): re-attached as `start` would. */
  private async recoverLeft(): Promise<void> {
    if (!existsSync(this.liveFile)) return;
    // Written by an earlier service, maybe another version: checked before anything is opened.
    const parsed = parseLiveRuns(readFileSync(this.liveFile, 'utf8'));
    if (!parsed.ok) this.log(`${this.liveFile}: ${parsed.error}; no run recovered`);
    const left = parsed.ok ? parsed.value : [];
    for (const { id, options } of left) {
      try {
        await this.open(id, options);
        this.log(`recovered ${id}`);
      } catch (err) {
        this.log(`could not recover ${id}: ${(err as Error).message}`);
      }
    }
    this.saveLive();
  }

  private readonly runOptions = new Map<string, EngineOptions>();

  private saveLive(): void {
    const live = [...this.runs.keys()].map((id) => ({ id, options: this.runOptions.get(id) ?? {} }));
    try {
      writePrivateFileAtomic(this.liveFile, JSON.stringify(live));
    } catch (err) {
      this.log(`could not record the live runs in ${this.liveFile}: ${(err as Error).message}`);
    }
  }

  private log(line: string): void {
    this.options.log?.(`${new Date().toISOString()} ${line}`);
  }

  private accept(socket: Socket): void {
    const connection = new Connection(socket);
    this.connections.add(connection);
    let pending = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop()!;
      for (const line of lines) if (line.trim()) this.receive(connection, line);
    });
    const gone = () => {
      connection.close();
      if (this.connections.delete(connection)) this.idleSince = Date.now();
    };
    socket.on('close', gone);
    socket.on('error', gone);
  }

  private receive(connection: Connection, line: string): void {
    const parsed = parseServiceRequest(line);
    if (!parsed.ok) {
      // Without a readable id nobody waits for an answer by number: say it on re -1.
      const re = (() => {
        try {
          const id = (JSON.parse(line) as { id?: unknown }).id;
          return typeof id === 'number' ? id : -1;
        } catch {
          return -1;
        }
      })();
      connection.send({ re, ok: false, error: `malformed request: ${parsed.error}` });
      return;
    }
    const request = parsed.value;
    // Events the run emitted before the answer reach the client before it: an `ended` reply finds
    // the client's replica with the run's last states.
    const answer = (message: ServiceMessage) => {
      connection.flush();
      connection.send(message);
    };
    this.handle(connection, request).then(
      (value) => answer({ re: request.id, ok: true, ...(value !== undefined ? { value } : {}) }),
      (err: unknown) => answer({ re: request.id, ok: false, error: (err as Error).message ?? String(err) }),
    );
  }

  private async handle(connection: Connection, request: ServiceRequest): Promise<unknown> {
    switch (request.op) {
      case 'hello':
        connection.hello = true;
        return { pid: process.pid, store: this.address.storeRoot };
      case 'list':
        return this.runInfos();
      case 'open': {
        const run = await this.open(request.pipeline, request.options);
        if (request.autorun !== undefined && run.autorun !== request.autorun && !run.asleep) run.setAutorun(request.autorun);
        return undefined;
      }
      case 'watch':
        return this.watch(connection, request.pipeline);
      case 'unwatch':
        connection.watching.delete(request.pipeline);
        return undefined;
      case 'control':
        return this.held(request.pipeline).control(request.request);
      case 'whyPending':
        return this.held(request.pipeline).whyPending();
      case 'ended':
        return this.held(request.pipeline).ended();
      case 'close':
        return this.release(request.pipeline);
      case 'stop':
        // Answered first: the connection is cut while stopping.
        setImmediate(() => void this.stop('asked by a client'));
        return undefined;
    }
  }

  private held(id: string): PipelineRun {
    const run = this.runs.get(id);
    if (!run) throw new Error(`pipeline ${id} is not running in the runner service (open it first)`);
    return run;
  }

  private runInfos(): ServiceRunInfo[] {
    return [...this.runs.values()].map((r) => ({ id: r.id, name: r.meta.name, file: r.meta.file }));
  }

  private broadcastRuns(): void {
    const runs = this.runInfos();
    for (const c of this.connections) if (c.hello) c.send({ runs });
  }

  private context(options: EngineOptions): Promise<EngineRunContext> {
    const full = { ...options, storeRoot: this.address.storeRoot };
    const key = JSON.stringify(full);
    let ctx = this.contexts.get(key);
    if (!ctx) {
      ctx = createRunContext(full);
      this.contexts.set(key, ctx);
      ctx.catch(() => this.contexts.delete(key));
    }
    return ctx;
  }

  /** The run, held here from now on: opened from the store (recovering what a stopped runner left). */
  private open(id: string, options: EngineOptions): Promise<PipelineRun> {
    const held = this.runs.get(id);
    if (held) return Promise.resolve(held);
    let opening = this.opening.get(id);
    if (!opening) {
      opening = (async () => {
        const ctx = await this.context(options);
        const run = await PipelineRun.open(id, { ...ctx, python: options.python || ctx.python });
        this.runs.set(id, run);
        this.runOptions.set(id, options);
        run.on('event', (event) => {
          for (const c of this.connections) c.queue(id, event);
        });
        this.saveLive();
        this.broadcastRuns();
        return run;
      })().finally(() => this.opening.delete(id));
      this.opening.set(id, opening);
    }
    return opening;
  }

  private watch(connection: Connection, id: string): WatchStart {
    const run = this.held(id);
    // Persisted events reach the log before anyone hears of them (synchronously): what the log
    // holds now is everything before the events this watcher will be sent.
    const offset = statSync(path.join(this.address.storeRoot, 'pipelines', id, 'events.jsonl')).size;
    connection.flush();
    connection.watching.set(id, []);
    const queued = [...run.tree.leaves(run.tree.root)].filter((leaf) => leaf.state === 'queued').map((leaf) => leaf.path);
    return { offset, queued };
  }

  private async release(id: string): Promise<void> {
    const run = this.runs.get(id);
    if (!run) return;
    this.runs.delete(id);
    this.runOptions.delete(id);
    try {
      await run.close();
    } finally {
      for (const c of this.connections) {
        if (!c.watching.has(id)) continue;
        c.flush();
        c.watching.delete(id);
        c.send({ released: id });
      }
      this.saveLive();
      this.broadcastRuns();
    }
  }

  /** A run is active while anything of it runs or is queued, or it is falling asleep. */
  private active(): boolean {
    if (this.opening.size) return true;
    for (const run of this.runs.values()) {
      const c = run.tree.root.leafCounts;
      if (c.running > 0 || c.queued > 0 || (run.asleep && run.status !== 'sleeping')) return true;
    }
    return false;
  }

  private checkIdle(): void {
    if (this.connections.size > 0 || this.active()) {
      this.idleSince = Date.now();
      return;
    }
    if (Date.now() - this.idleSince >= this.options.idleMs) void this.stop('idle: no active run and no client');
  }

  /** Lets go of every run (their containers stop; they stay in the store) and stops listening. */
  stop(why: string): Promise<void> {
    this.stopping ??= (async () => {
      this.log(`stopping (${why})`);
      if (this.idleTimer) clearInterval(this.idleTimer);
      // No new client; those connected hear of each run let go, then are cut off.
      this.server?.close();
      await Promise.all([...this.runs.keys()].map((id) => this.release(id).catch((err: Error) => this.log(`closing ${id}: ${err.message}`))));
      for (const c of this.connections) c.socket.destroy();
      rmSync(this.address.socket, { force: true });
      this.lock?.release();
      this.resolveStopped();
    })();
    return this.stopping;
  }
}
