import type Dockerode from 'dockerode';
import { PassThrough, type Duplex } from 'node:stream';
import type { CgroupMemory } from './cgroupMemory';
import { cpuLimit, LABELS, workerContainerConfig, workerKey, type WorkerRequest } from './containerConfig';
import type { OutputConsumer, StreamName } from './jobOutput';

export interface Worker {
  readonly name: string;
  readonly key: string;
  readonly container: Dockerode.Container;
  readonly id: string;
  /** The attached stdin of the agent: jobs go here. */
  readonly stdin: Duplex;
  busy: boolean;
  dead: boolean;
  /** Resolves when the container stops, with what the engine says about it. */
  readonly exited: Promise<{ oomKilled: boolean; exitCode: number | null }>;
  /**
   * Aborted when the container stops: a job waits on it with a listener it removes when done (a
   * reaction per job on `exited` would keep every job's closure alive as long as the worker).
   */
  readonly gone: AbortSignal;
  idleSince: number;
  /** The job whose output the worker's streams carry now. */
  current?: OutputConsumer;
  /** Its memory cgroup on the host, looked up once. */
  cgroup?: CgroupMemory;
  /** The nonce of the last job it ended: where the next job's output begins in its log (re-attach). */
  lastNonce?: string;
  /** The only worker of a pinned reuse context (JobSpec.pinnedContext): never reaped when idle. */
  readonly pinned: boolean;
  readonly context: string | null;
  /** Its context ended while it ran a job: removed when the job is done. */
  contextEnded?: boolean;
}

/** How long a pinned worker whose runner died waits for the rest of its context, at least. */
const PINNED_IDLE_SEC = 3600;

/** Jobs of a pinned context take turns at its one worker, first come first served. */
interface Lane {
  busy: boolean;
  waiting: (() => void)[];
}

/**
 * Long-lived worker containers, shared by nodes with the same image, resources and reuse context,
 * as Conducto and act do it: a node costs a few bytes on an attached stdin instead of a
 * `docker run`. Each worker's agent (agent.ts) runs one job at a time.
 */
export class WorkerPool {
  private readonly workers = new Map<string, Worker[]>();
  private readonly lanes = new Map<string, Lane>();
  private readonly removals = new Set<Promise<unknown>>();
  /** Workers being created and started: a shutdown waits for them and removes them. */
  private readonly starting = new Set<Promise<unknown>>();
  /** Bumped by every shutdown: a worker whose start began before it is not handed out. */
  private generation = 0;
  private counter = 0;
  private reaper: NodeJS.Timeout | undefined;

  constructor(
    private readonly docker: Dockerode,
    private readonly hostCpus: number,
    private readonly idleMs = 15_000,
  ) {}

  /**
   * An idle worker for this request, started if none. A pinned context has one worker: a job
   * waits for its turn while another of the context runs there (Conducto runs a context's nodes
   * in one container).
   */
  async acquire(req: WorkerRequest): Promise<{ worker: Worker; cpuLimit: number }> {
    const limit = cpuLimit(req.cpu, this.hostCpus);
    const key = workerKey(req);
    const pinned = Boolean(req.pinnedContext && req.reuseContext);
    if (pinned) await this.takeLane(key);
    try {
      const list = this.workers.get(key) ?? [];
      this.workers.set(key, list);
      const idle = list.find((w) => !w.busy && !w.dead);
      if (idle) {
        idle.busy = true;
        return { worker: idle, cpuLimit: limit };
      }
      const generation = this.generation;
      const start = this.startWorker(req, key, limit, pinned);
      const settled = start.then(async (w) => {
        // The pool was shut down while this one started (a run closed or slept): remove it.
        // Not busy: its lane, if pinned, is freed once, by acquire's catch below.
        if (generation !== this.generation) {
          w.busy = false;
          await this.discard(w);
        }
      }, () => undefined);
      this.starting.add(settled);
      void settled.finally(() => this.starting.delete(settled));
      const worker = await start;
      await settled;
      if (generation !== this.generation) throw new Error('the worker pool was shut down while a worker started');
      list.push(worker);
      this.scheduleReap();
      return { worker, cpuLimit: limit };
    } catch (err) {
      if (pinned) this.freeLane(key);
      throw err;
    }
  }

  release(worker: Worker): void {
    const wasBusy = worker.busy;
    worker.busy = false;
    worker.current = undefined;
    worker.idleSince = Date.now();
    if (worker.pinned && wasBusy) this.freeLane(worker.key);
    if (worker.dead) this.forget(worker);
    else if (worker.contextEnded) void this.discard(worker);
  }

  /** Stops and removes a worker (kill, time limit, broken worker). */
  async discard(worker: Worker): Promise<void> {
    if (worker.pinned && worker.busy) {
      worker.busy = false;
      this.freeLane(worker.key);
    }
    worker.dead = true;
    this.forget(worker);
    worker.stdin.destroy();
    // Awaited by shutdown too: a run that closes leaves no container being removed behind it.
    const removal = worker.container.remove({ force: true }).catch(() => undefined);
    this.removals.add(removal);
    await removal;
    this.removals.delete(removal);
  }

  /** A pinned context is over: its idle worker goes now, a busy one when its job ends. */
  async endContext(context: string): Promise<void> {
    const ending = [...this.workers.values()].flat().filter((w) => w.pinned && w.context === context);
    await Promise.all(
      ending.map((w) => {
        if (!w.busy) return this.discard(w);
        w.contextEnded = true;
        return undefined;
      }),
    );
  }

  private async takeLane(key: string): Promise<void> {
    let lane = this.lanes.get(key);
    if (!lane) this.lanes.set(key, (lane = { busy: false, waiting: [] }));
    if (!lane.busy) {
      lane.busy = true;
      return;
    }
    // The turn is handed over with busy still set (see freeLane).
    await new Promise<void>((resolve) => lane.waiting.push(resolve));
  }

  private freeLane(key: string): void {
    const lane = this.lanes.get(key);
    if (!lane) return;
    const next = lane.waiting.shift();
    if (next) next();
    else this.lanes.delete(key);
  }

  /** Removes every worker (end of a run, sleep). */
  async shutdown(): Promise<void> {
    if (this.reaper) clearInterval(this.reaper);
    this.reaper = undefined;
    this.generation++;
    const all = [...this.workers.values()].flat();
    this.workers.clear();
    await Promise.all([...all.map((w) => this.discard(w)), ...this.starting, ...this.removals]);
  }

  get size(): number {
    let n = 0;
    for (const list of this.workers.values()) n += list.length;
    return n;
  }

  private async startWorker(req: WorkerRequest, key: string, limit: number, pinned: boolean): Promise<Worker> {
    const name = `pipewright-${req.pipelineId}-w${++this.counter}-${process.pid}`;
    // An idle worker whose runner died stops by itself, well after the live runner's own reaping;
    // a pinned one waits longer (up to an hour) for the rest of its context.
    const idleSec = Math.max(pinned ? PINNED_IDLE_SEC : 10, Math.ceil((4 * this.idleMs) / 1000));
    const container = await this.docker.createContainer(workerContainerConfig(req, name, limit, idleSec));
    let stream: Duplex;
    try {
      // Attached before it starts: not a byte of its output is missed.
      stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
    } catch (err) {
      await container.remove({ force: true }).catch(() => undefined);
      throw err;
    }
    // 'next-exit': a created, not yet started container already counts as "not running".
    const exited = container
      .wait({ condition: 'next-exit' })
      .then(async (res: { StatusCode?: number }) => {
        const info = await container.inspect().catch(() => undefined);
        return { oomKilled: Boolean(info?.State?.OOMKilled), exitCode: res?.StatusCode ?? null };
      })
      .catch(() => ({ oomKilled: false, exitCode: null }));
    const gone = new AbortController();
    const worker: Worker = { name, key, container, id: container.id, stdin: stream, busy: true, dead: false, exited, gone: gone.signal, idleSince: Date.now(), pinned, context: req.reuseContext };
    routeOutput(this.docker, stream, worker);
    void exited.then(() => {
      worker.dead = true;
      worker.cgroup?.close();
      worker.current?.close();
      gone.abort('worker gone');
    });
    try {
      await container.start();
    } catch (err) {
      stream.destroy();
      await container.remove({ force: true }).catch(() => undefined);
      throw err;
    }
    return worker;
  }

  private forget(worker: Worker): void {
    const list = this.workers.get(worker.key);
    if (!list) return;
    const at = list.indexOf(worker);
    if (at !== -1) list.splice(at, 1);
  }

  /** Idle workers are removed after a while so a finished pipeline holds no containers. */
  private scheduleReap(): void {
    if (this.reaper) return;
    this.reaper = setInterval(() => {
      const now = Date.now();
      for (const list of this.workers.values()) {
        for (const w of [...list]) if (!w.busy && !w.pinned && now - w.idleSince > this.idleMs) void this.discard(w);
      }
      if (this.size === 0 && this.reaper) {
        clearInterval(this.reaper);
        this.reaper = undefined;
      }
    }, Math.max(1000, this.idleMs / 3));
    this.reaper.unref();
  }
}

export { LABELS };

/** A container's multiplexed output, split into stdout and stderr, to the job that runs now. */
export function routeOutput(docker: Dockerode, stream: NodeJS.ReadableStream, target: { current?: OutputConsumer }): void {
  const to = (name: StreamName) => {
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => target.current?.feed(name, chunk));
    return out;
  };
  docker.modem.demuxStream(stream, to('stdout'), to('stderr'));
  const closed = () => target.current?.close();
  stream.on('end', closed);
  stream.on('close', closed);
  stream.on('error', closed);
}
