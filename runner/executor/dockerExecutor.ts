import type Dockerode from 'dockerode';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EndReason } from '../../protocol/runner';
import { CgroupMemory } from './cgroupMemory';
import { CONTAINER_PATHS, type ExecOutcome, type ExecRequest, type RunningExec } from './execRequest';
import { ExitWatcher } from './exitWatcher';
import { LogTail } from './logTail';
import { LABELS } from './containerConfig';
import { sendJob, WorkerPool, type Worker } from './workerPool';
import { jobScript } from './workerScripts';

export interface ExecutorOptions {
  hostCpus: number;
  /** Host path of the engine's socket, mounted for `requires_docker` nodes (null: remote engine). */
  dockerSocket: string | null;
  workerIdleMs?: number;
}

/** Live output of a running execution. */
export type OnLog = (text: string) => void;

const SIGKILL_STATUS = 137;

/** Runs Exec nodes in worker containers and reports how each ended. */
export class DockerExecutor {
  readonly pool: WorkerPool;
  private readonly watchers = new Map<string, ExitWatcher>();

  constructor(
    readonly docker: Dockerode,
    private readonly options: ExecutorOptions,
  ) {
    this.pool = new WorkerPool(docker, options.hostCpus, options.dockerSocket, options.workerIdleMs);
  }

  run(req: ExecRequest, hooks: { onLog?: OnLog; onStart?: (containerId: string) => void } = {}): RunningExec {
    let worker: Worker | undefined;
    let killReason: EndReason | undefined;
    let onKill: (() => void) | undefined;
    const kill = (reason: EndReason) => {
      if (killReason) return;
      killReason = reason;
      onKill?.();
    };
    const done = (async (): Promise<ExecOutcome> => {
      writeFileSync(path.join(req.execDir, `${req.execId}.sh`), jobScript(req.command, req.env, req.workdir));
      let acquired;
      try {
        acquired = await this.pool.acquire(req);
      } catch (err) {
        return { exitCode: null, reason: 'error', message: engineMessage(err), peakMemoryBytes: null, containerId: '' };
      }
      worker = acquired.worker;
      const cpuClamped = acquired.cpuLimit < req.cpu ? acquired.cpuLimit : undefined;
      if (killReason) {
        await this.pool.discard(worker);
        return { exitCode: null, reason: killReason, peakMemoryBytes: null, containerId: worker.id, cpuClamped };
      }
      const outcome = await this.follow(worker, req, hooks, (stop) => (onKill = stop), () => killReason);
      return { ...outcome, cpuClamped };
    })();
    return { execId: req.execId, done, kill, containerId: () => worker?.id };
  }

  /**
   * Re-attaches to an execution a previous runner process started: waits for its exit file while
   * its container lives. Returns null when the container is gone and no exit file was written.
   */
  reattach(req: Pick<ExecRequest, 'execDir' | 'execId' | 'maxTimeSec'>, containerId: string, startedAt: number, onLog?: OnLog): RunningExec | null {
    const exitFile = path.join(req.execDir, `${req.execId}.exit`);
    const container = this.docker.getContainer(containerId);
    let killReason: EndReason | undefined;
    let onKill: (() => void) | undefined;
    const done = (async (): Promise<ExecOutcome> => {
      const info = await container.inspect().catch(() => undefined);
      const alive = Boolean(info?.State?.Running);
      if (!alive && !existsSync(exitFile)) return { exitCode: null, reason: 'runner stopped', message: 'the runner stopped and its container is gone', peakMemoryBytes: null, containerId };
      // The previous runner may have stopped between recording the start and sending the job: no
      // log means the worker has not begun it, so send it again (the worker runs an id only once).
      const workerName = info?.Config?.Labels?.[LABELS.worker];
      if (alive && workerName && !existsSync(path.join(req.execDir, `${req.execId}.log`))) {
        await sendJob(path.join(req.execDir, `${workerName}.fifo`), req.execId).catch(() => undefined);
      }
      const watcher = this.watcher(req.execDir);
      const tail = onLog ? new LogTail(path.join(req.execDir, `${req.execId}.log`), onLog) : undefined;
      tail?.start();
      const remainingMs = Math.max(0, startedAt + req.maxTimeSec * 1000 - Date.now());
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        watcher.wait(req.execId).then(() => 'exit' as const),
        container.wait().then(() => 'container' as const, () => 'container' as const),
        new Promise<'killed'>((resolve) => (onKill = () => resolve('killed'))),
        new Promise<'time'>((resolve) => (timer = setTimeout(() => resolve('time'), remainingMs))),
      ]);
      clearTimeout(timer);
      watcher.cancel(req.execId);
      tail?.stop();
      const code = readExitCode(exitFile);
      await container.remove({ force: true }).catch(() => undefined);
      if (ended === 'time') return { exitCode: null, reason: 'time limit', message: `exceeded max_time of ${req.maxTimeSec}s`, peakMemoryBytes: null, containerId };
      if (ended === 'killed') return { exitCode: null, reason: killReason ?? 'killed', peakMemoryBytes: null, containerId };
      if (code === null) return { exitCode: null, reason: 'runner stopped', message: 'its container stopped while the runner was away', peakMemoryBytes: null, containerId };
      return { exitCode: code, peakMemoryBytes: null, containerId };
    })();
    return {
      execId: req.execId,
      done,
      kill: (reason) => {
        killReason ??= reason;
        onKill?.();
      },
      containerId: () => containerId,
    };
  }

  /**
   * Removes a pipeline's containers that a stopped runner left and nobody re-attaches to (workers
   * that were idle when it stopped); only safe before this process starts workers for it.
   */
  async removeLeftWorkers(pipelineId: string, keep: ReadonlySet<string>): Promise<void> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [`${LABELS.pipeline}=${pipelineId}`] } }).catch(() => []);
    await Promise.all(list.filter((c) => !keep.has(c.Id)).map((c) => this.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  }

  async shutdown(): Promise<void> {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    await this.pool.shutdown();
  }

  private watcher(dir: string): ExitWatcher {
    let w = this.watchers.get(dir);
    if (!w) this.watchers.set(dir, (w = new ExitWatcher(dir)));
    return w;
  }

  private async follow(worker: Worker, req: ExecRequest, { onLog, onStart }: { onLog?: OnLog; onStart?: (containerId: string) => void }, setKill: (stop: () => void) => void, killReason: () => EndReason | undefined): Promise<ExecOutcome> {
    const cgroup = (worker.cgroup ??= CgroupMemory.forContainer(worker.id));
    cgroup.resetPeak();
    const oomBefore = cgroup.oomKills();
    const watcher = this.watcher(req.execDir);
    const exited = watcher.wait(req.execId);
    const tail = onLog ? new LogTail(path.join(req.execDir, `${req.execId}.log`), onLog) : undefined;
    let timer: NodeJS.Timeout | undefined;
    const stopped = new Promise<EndReason>((resolve) => {
      setKill(() => resolve(killReason() ?? 'killed'));
      timer = setTimeout(() => resolve('time limit'), req.maxTimeSec * 1000);
    });
    onStart?.(worker.id);
    try {
      await this.pool.send(worker, req.execId);
    } catch (err) {
      clearTimeout(timer);
      watcher.cancel(req.execId);
      await this.pool.discard(worker);
      return { exitCode: null, reason: 'error', message: (err as Error).message, peakMemoryBytes: null, containerId: worker.id };
    }
    tail?.start();
    const first = await Promise.race([exited.then(() => 'exit' as const), stopped, worker.exited.then(() => 'worker died' as const)]);
    clearTimeout(timer);
    watcher.cancel(req.execId);
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

function readExitCode(file: string): number | null {
  try {
    const value = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}

/** Engine errors carry JSON bodies and status codes; users want the sentence. */
export function engineMessage(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string; statusCode?: number };
  return e?.json?.message ?? e?.message ?? String(err);
}

export { CONTAINER_PATHS };
