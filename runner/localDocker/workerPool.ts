import type Dockerode from 'dockerode';
import { constants, existsSync, openSync, writeSync, closeSync } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CgroupMemory } from './cgroupMemory';
import { cpuLimit, LABELS, workerContainerConfig, workerKey, type WorkerRequest } from './containerConfig';

export interface Worker {
  readonly name: string;
  readonly key: string;
  readonly container: Dockerode.Container;
  readonly id: string;
  readonly fifo: string;
  busy: boolean;
  dead: boolean;
  /** Resolves when the container stops, with what the engine says about it. */
  readonly exited: Promise<{ oomKilled: boolean; exitCode: number | null }>;
  idleSince: number;
  /** Its memory cgroup on the host, looked up once. */
  cgroup?: CgroupMemory;
}

const READY_TIMEOUT_MS = 30_000;

/**
 * Long-lived worker containers, shared by nodes with the same image, resources and reuse context,
 * as Conducto and act do it: a node costs a write to a FIFO instead of a `docker run`.
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
    worker.idleSince = Date.now();
    if (worker.dead) this.forget(worker);
  }

  /** Stops and removes a worker (kill, time limit, broken worker). */
  async discard(worker: Worker): Promise<void> {
    worker.dead = true;
    this.forget(worker);
    await worker.container.remove({ force: true }).catch(() => undefined);
  }

  /** Sends a job id to a worker's FIFO. The worker must be idle, so its read end is open. */
  async send(worker: Worker, execId: string): Promise<void> {
    await sendJob(worker.fifo, execId, () => worker.dead, worker.name);
  }

  /** Removes every worker (end of a run, sleep). */
  async shutdown(): Promise<void> {
    if (this.reaper) clearInterval(this.reaper);
    this.reaper = undefined;
    const all = [...this.workers.values()].flat();
    this.workers.clear();
    await Promise.all(all.map((w) => ((w.dead = true), w.container.remove({ force: true }).catch(() => undefined))));
  }

  get size(): number {
    let n = 0;
    for (const list of this.workers.values()) n += list.length;
    return n;
  }

  private async startWorker(req: WorkerRequest, key: string, limit: number): Promise<Worker> {
    const name = `pipewright-${req.pipelineId}-w${++this.counter}-${process.pid}`;
    const config = workerContainerConfig(req, name, limit, this.dockerSocket);
    const container = await this.docker.createContainer(config);
    // 'next-exit': a created, not yet started container already counts as "not running".
    const exited = container
      .wait({ condition: 'next-exit' })
      .then(async (res: { StatusCode?: number }) => {
        const info = await container.inspect().catch(() => undefined);
        return { oomKilled: Boolean(info?.State?.OOMKilled), exitCode: res?.StatusCode ?? null };
      })
      .catch(() => ({ oomKilled: false, exitCode: null }));
    const worker: Worker = {
      name,
      key,
      container,
      id: container.id,
      fifo: path.join(req.execDir, `${name}.fifo`),
      busy: true,
      dead: false,
      exited,
      idleSince: Date.now(),
    };
    void exited.then(() => {
      worker.dead = true;
    });
    try {
      await container.start();
    } catch (err) {
      await container.remove({ force: true }).catch(() => undefined);
      throw err;
    }
    // The worker makes its FIFO first thing; wait for it so the first job is not lost.
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!existsSync(worker.fifo)) {
      if (worker.dead) {
        const logs = await container.logs({ stdout: true, stderr: true }).catch(() => Buffer.from(''));
        await container.remove({ force: true }).catch(() => undefined);
        throw new Error(`the worker container for ${req.image} exited at start: ${logs.toString('utf8').trim() || 'no output'} (the image needs /bin/sh and mkfifo)`);
      }
      if (Date.now() > deadline) {
        await this.discard(worker);
        throw new Error(`the worker container for ${req.image} did not start within ${READY_TIMEOUT_MS / 1000}s`);
      }
      await sleep(3);
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

/**
 * Writes a job id to a worker's FIFO, retrying while the worker has not opened it yet. Sending an id
 * twice is harmless: the worker skips a job whose log exists.
 */
export async function sendJob(fifo: string, execId: string, isDead: () => boolean = () => false, workerName = path.basename(fifo, '.fifo')): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      // Non-blocking: a FIFO nobody reads yet fails at once (ENXIO) instead of hanging the runner.
      const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      try {
        writeSync(fd, `${execId}\n`);
      } finally {
        closeSync(fd);
      }
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENXIO' && code !== 'ENOENT') || isDead()) throw new Error(`worker ${workerName} did not take the job: ${(err as Error).message}`, { cause: err });
      if (Date.now() > deadline) throw new Error(`worker ${workerName} was not ready within ${READY_TIMEOUT_MS / 1000}s`, { cause: err });
      await sleep(2);
    }
  }
}
