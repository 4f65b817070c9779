// The local Docker engine as a backend: long-lived worker containers per image and resources, each
// taking one job at a time through a FIFO in the pipeline's exec folder (bind-mounted), writing the
// job's output and exit status there. Needs the runner and the engine on one host.
import type Dockerode from 'dockerode';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { abortReason, type Backend, type JobHooks, type JobOutcome, type JobSpec, type LeftJob, type PipelineBackend } from '../backend';
import type { DockerEngineInfo } from '../docker/connect';
import { engineMessage } from '../docker/progress';
import { CONTAINER_PATHS } from '../nodePaths';
import type { Budget } from '../scheduler/resourceBudget';
import type { PipelineSpace } from '../store/pipelineSpace';
import { CgroupMemory } from './cgroupMemory';
import { LABELS, type WorkerRequest } from './containerConfig';
import { ExitWatcher } from './exitWatcher';
import { LogTail } from './logTail';
import { sendJob, WorkerPool, type Worker } from './workerPool';
import { jobScript } from './workerScripts';

export interface LocalDockerOptions {
  /** Host path of the engine's socket, mounted for `requires_docker` nodes (null: none to mount). */
  dockerSocket: string | null;
  /** The Python SDK's folder, mounted read-only into every container. */
  sdkDir: string;
  workerIdleMs?: number;
}

const SIGKILL_STATUS = 137;
const GB = 2 ** 30;

export class LocalDocker implements Backend {
  readonly description: string;

  constructor(
    readonly docker: Dockerode,
    private readonly engine: DockerEngineInfo,
    private readonly options: LocalDockerOptions,
    private readonly machine: Budget,
  ) {
    this.description = `local Docker at ${engine.endpoint}`;
  }

  capacity(): Budget {
    return { cpu: this.engine.ncpu || this.machine.cpu, mem: this.engine.memTotal ? Math.floor((this.engine.memTotal / GB) * 10) / 10 : this.machine.mem };
  }

  open(pipelineId: string, space: PipelineSpace): LocalDockerPipeline {
    return new LocalDockerPipeline(this.docker, pipelineId, space, { ...this.options, hostCpus: this.capacity().cpu });
  }
}

/** One pipeline's worker containers and the jobs they run. */
export class LocalDockerPipeline implements PipelineBackend {
  readonly pool: WorkerPool;
  private watcherInstance: ExitWatcher | undefined;

  constructor(
    readonly docker: Dockerode,
    private readonly pipelineId: string,
    private readonly space: PipelineSpace,
    private readonly options: LocalDockerOptions & { hostCpus: number },
  ) {
    this.pool = new WorkerPool(docker, options.hostCpus, options.dockerSocket, options.workerIdleMs);
  }

  async run(job: JobSpec, hooks: JobHooks, signal: AbortSignal): Promise<JobOutcome> {
    const req = this.request(job);
    if (signal.aborted) return ended(signal, '');
    writeFileSync(path.join(req.execDir, `${req.execId}.sh`), jobScript(req.command, req.env, req.workdir));
    // Starting a worker can take a while (a new container); a kill meanwhile ends the wait at once,
    // and the worker, once up, is removed rather than given the job.
    const acquiring = this.pool.acquire(req);
    let acquired: Awaited<typeof acquiring> | 'aborted';
    try {
      acquired = await untilAborted(acquiring, signal);
    } catch (err) {
      return { exitCode: null, reason: 'error', message: engineMessage(err), peakMemoryBytes: null, containerId: '' };
    }
    if (acquired === 'aborted') {
      acquiring.then(({ worker }) => this.pool.discard(worker), () => undefined);
      return ended(signal, '');
    }
    const { worker } = acquired;
    const cpuClamped = acquired.cpuLimit < req.cpu ? acquired.cpuLimit : undefined;
    const outcome = await this.follow(worker, req, hooks, signal);
    return { ...outcome, cpuClamped };
  }

  /**
   * Follows an execution a previous runner process started: waits for its exit file while its
   * container lives; `runner stopped` when the container is gone and no exit file was written.
   */
  async reattach(left: LeftJob, hooks: JobHooks, signal: AbortSignal): Promise<JobOutcome> {
    const { execId, containerId } = left;
    const execDir = this.space.execDir;
    const exitFile = path.join(execDir, `${execId}.exit`);
    const container = this.docker.getContainer(containerId);
    const info = await container.inspect().catch(() => undefined);
    const alive = Boolean(info?.State?.Running);
    if (!alive && !existsSync(exitFile)) return { exitCode: null, reason: 'runner stopped', message: 'the runner stopped and its container is gone', peakMemoryBytes: null, containerId };
    // The previous runner may have stopped between recording the start and sending the job: no
    // log means the worker has not begun it, so send it again (the worker runs an id only once).
    const workerName = info?.Config?.Labels?.[LABELS.worker];
    if (alive && workerName && !existsSync(path.join(execDir, `${execId}.log`))) {
      await sendJob(path.join(execDir, `${workerName}.fifo`), execId).catch(() => undefined);
    }
    const watcher = this.watcher();
    const tail = hooks.onLog ? new LogTail(path.join(execDir, `${execId}.log`), hooks.onLog) : undefined;
    tail?.start();
    const remainingMs = Math.max(0, left.startedAt + left.maxTimeSec * 1000 - Date.now());
    let timer: NodeJS.Timeout | undefined;
    const stop = new AbortController();
    const result = await Promise.race([
      watcher.wait(execId).then(() => 'exit' as const),
      container.wait().then(
        () => 'container' as const,
        () => 'container' as const,
      ),
      aborted(signal, stop.signal).then(() => 'killed' as const),
      new Promise<'time'>((resolve) => (timer = setTimeout(() => resolve('time'), remainingMs))),
    ]);
    stop.abort();
    clearTimeout(timer);
    watcher.cancel(execId);
    tail?.stop();
    const code = readExitCode(exitFile);
    await container.remove({ force: true }).catch(() => undefined);
    if (result === 'time') return { exitCode: null, reason: 'time limit', message: `exceeded max_time of ${left.maxTimeSec}s`, peakMemoryBytes: null, containerId };
    if (result === 'killed') return ended(signal, containerId);
    if (code === null) return { exitCode: null, reason: 'runner stopped', message: 'its container stopped while the runner was away', peakMemoryBytes: null, containerId };
    return { exitCode: code, peakMemoryBytes: null, containerId };
  }

  /** Removes this pipeline's containers a stopped runner left that nobody re-attaches to. */
  async removeLeft(keep: ReadonlySet<string>): Promise<void> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [`${LABELS.pipeline}=${this.pipelineId}`] } }).catch(() => []);
    await Promise.all(list.filter((c) => !keep.has(c.Id)).map((c) => this.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  }

  async shutdown(): Promise<void> {
    this.watcherInstance?.close();
    this.watcherInstance = undefined;
    await this.pool.shutdown();
  }

  /** The job with the host folders it needs, and its input and output files as container paths. */
  private request(job: JobSpec): WorkerRequest {
    const env = { ...job.env };
    for (const file of [...(job.inputs ?? []), ...(job.outputs ?? [])]) {
      env[file.env] = `${CONTAINER_PATHS.exec}/${path.basename(this.space.resultFile(job.execId, file.name))}`;
    }
    return { ...job, env, execDir: this.space.execDir, dataDir: this.space.dataDir, sdkDir: this.options.sdkDir };
  }

  private watcher(): ExitWatcher {
    return (this.watcherInstance ??= new ExitWatcher(this.space.execDir));
  }

  private async follow(worker: Worker, req: WorkerRequest, { onLog, onStart }: JobHooks, signal: AbortSignal): Promise<JobOutcome> {
    const cgroup = (worker.cgroup ??= CgroupMemory.forContainer(worker.id));
    cgroup.resetPeak();
    const oomBefore = cgroup.oomKills();
    const watcher = this.watcher();
    const exited = watcher.wait(req.execId);
    const tail = onLog ? new LogTail(path.join(req.execDir, `${req.execId}.log`), onLog) : undefined;
    let timer: NodeJS.Timeout | undefined;
    const stop = new AbortController();
    const stopped = Promise.race([
      aborted(signal, stop.signal).then(() => abortReason(signal)),
      new Promise<'time limit'>((resolve) => (timer = setTimeout(() => resolve('time limit'), req.maxTimeSec * 1000))),
    ]);
    const done = () => {
      stop.abort();
      clearTimeout(timer);
      watcher.cancel(req.execId);
    };
    onStart?.(worker.id);
    try {
      await this.pool.send(worker, req.execId);
    } catch (err) {
      done();
      await this.pool.discard(worker);
      return { exitCode: null, reason: 'error', message: (err as Error).message, peakMemoryBytes: null, containerId: worker.id };
    }
    tail?.start();
    const first = await Promise.race([exited.then(() => 'exit' as const), stopped, worker.exited.then(() => 'worker died' as const)]);
    done();
    const peak = cgroup.peakBytes();
    if (first !== 'exit') {
      // Killing the worker kills the job and everything it started.
      await this.pool.discard(worker);
      tail?.stop();
      if (first === 'worker died') {
        const died = await worker.exited;
        const code = readExitCode(watcher.exitFile(req.execId));
        if (code !== null) return { exitCode: code, peakMemoryBytes: peak, containerId: worker.id };
        return died.oomKilled
          ? { exitCode: null, reason: 'oom', message: `out of memory (limit ${req.mem} GB)`, peakMemoryBytes: peak, containerId: worker.id }
          : { exitCode: died.exitCode, reason: 'error', message: `the container stopped unexpectedly (status ${died.exitCode ?? 'unknown'})`, peakMemoryBytes: peak, containerId: worker.id };
      }
      const message = first === 'time limit' ? `exceeded max_time of ${req.maxTimeSec}s` : undefined;
      return { exitCode: null, reason: first, message, peakMemoryBytes: peak, containerId: worker.id };
    }
    tail?.stop();
    const code = readExitCode(watcher.exitFile(req.execId));
    const oomAfter = cgroup.oomKills();
    const oom = code === SIGKILL_STATUS && oomBefore !== null && oomAfter !== null && oomAfter > oomBefore;
    if (oom) {
      // Something in the worker was OOM-killed; do not trust it for the next node.
      await this.pool.discard(worker);
      return { exitCode: code, reason: 'oom', message: `out of memory (limit ${req.mem} GB)`, peakMemoryBytes: peak, containerId: worker.id };
    }
    this.pool.release(worker);
    return { exitCode: code, peakMemoryBytes: peak, containerId: worker.id };
  }
}

/** The outcome of a job cancelled before or while it ran. */
function ended(signal: AbortSignal, containerId: string): JobOutcome {
  return { exitCode: null, reason: abortReason(signal), peakMemoryBytes: null, containerId };
}

/** Resolves when `signal` aborts; `done` aborting drops the listener (the wait is over anyway). */
function aborted(signal: AbortSignal, done: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
    done.addEventListener('abort', () => signal.removeEventListener('abort', onAbort), { once: true });
  });
}

/** `work`, or 'aborted' as soon as `signal` aborts (the work goes on; the caller cleans up). */
async function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | 'aborted'> {
  const stop = new AbortController();
  try {
    return await Promise.race([work, aborted(signal, stop.signal).then(() => 'aborted' as const)]);
  } finally {
    stop.abort();
  }
}

function readExitCode(file: string): number | null {
  try {
    const value = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}
