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
  idleSince: number;
  /** The job whose output the worker's streams carry now. */
  current?: OutputConsumer;
  /** Its memory cgroup on the host, looked up once. */
  cgroup?: CgroupMemory;
}

/**
 * Long-lived worker containers, shared by nodes with the same image, resources and reuse context,
 * as Conducto and act do it: a node costs a few bytes on an attached stdin instead of a
 * `docker run`. Each worker's agent (agent.ts) runs one job at a time.
 */
export class WorkerPool {
  private readonly workers = new Map<string, Worker[]>();
  private counter = 0;
  private reaper: NodeJS.Timeout | undefined;

  constructor(
    private readonly docker: Dockerode,
    private readonly hostCpus: number,
    private readonly dockerSocket: string | null,
    private readonly idleMs = 15_000,
  ) {}

  /** An idle worker for this request, started if none. */
  async acquire(req: WorkerRequest): Promise<{ worker: Worker; cpuLimit: number }> {
    const limit = cpuLimit(req.cpu, this.hostCpus);
    const key = workerKey(req, limit);
    const list = this.workers.get(key) ?? [];
    this.workers.set(key, list);
    const idle = list.find((w) => !w.busy && !w.dead);
    if (idle) {
      idle.busy = true;
      return { worker: idle, cpuLimit: limit };
    }
    const worker = await this.startWorker(req, key, limit);
    list.push(worker);
    this.scheduleReap();
    return { worker, cpuLimit: limit };
  }

  release(worker: Worker): void {
    worker.busy = false;
    worker.current = undefined;
    worker.idleSince = Date.now();
    if (worker.dead) this.forget(worker);
  }

  /** Stops and removes a worker (kill, time limit, broken worker). */
  async discard(worker: Worker): Promise<void> {
    worker.dead = true;
    this.forget(worker);
    worker.stdin.destroy();
    await worker.container.remove({ force: true }).catch(() => undefined);
  }

  /** Removes every worker (end of a run, sleep). */
  async shutdown(): Promise<void> {
    if (this.reaper) clearInterval(this.reaper);
    this.reaper = undefined;
    const all = [...this.workers.values()].flat();
    this.workers.clear();
    await Promise.all(all.map((w) => this.discard(w)));
  }

  get size(): number {
    let n = 0;
    for (const list of this.workers.values()) n += list.length;
    return n;
  }

  private async startWorker(req: WorkerRequest, key: string, limit: number): Promise<Worker> {
    const name = `pipewright-${req.pipelineId}-w${++this.counter}-${process.pid}`;
    // An idle worker whose runner died stops by itself, well after the live runner's own reaping.
    const idleSec = Math.max(10, Math.ceil((4 * this.idleMs) / 1000));
    const container = await this.docker.createContainer(workerContainerConfig(req, name, limit, this.dockerSocket, idleSec));
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
    const worker: Worker = { name, key, container, id: container.id, stdin: stream, busy: true, dead: false, exited, idleSince: Date.now() };
    routeOutput(this.docker, stream, worker);
    void exited.then(() => {
      worker.dead = true;
      worker.current?.close();
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
        for (const w of [...list]) if (!w.busy && now - w.idleSince > this.idleMs) void this.discard(w);
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
