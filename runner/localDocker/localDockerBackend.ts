// The local Docker engine as a backend: long-lived worker containers per image, resources and
// reuse context, each running one job at a time through its agent (agent.ts) over the container's
// attached stdin/stdout/stderr. The node's output is written to the pipeline's space by the
// runner; its exit status comes from the agent's end marker; nothing on the host is shared with a
// container to carry jobs or results.
import type Dockerode from 'dockerode';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { abortReason, cancelledOutcome, JobWaits, type Backend, type JobHooks, type JobOutcome, type JobSpec, type LeftJob, type PipelineBackend } from '../backend';
import type { DockerEngineInfo } from '../docker/connect';
import { engineMessage } from '../docker/progress';
import { withTimeout } from '../docker/timeout';
import { setLongTimeout } from '../longTimeout';
import type { Budget } from '../scheduler/resourceBudget';
import type { LogWriter, PipelineSpace } from '../store/pipelineSpace';
import { jobFile, jobFrame, jobScript, newNonce } from './agent';
import { CgroupMemory } from './cgroupMemory';
import { EngineVolumes } from './engineVolumes';
import { LABELS, type WorkerRequest } from './containerConfig';
import { HostFolders, type WorkerFiles } from './workerFiles';
import { JobOutput, type OutputSink, type StreamName } from './jobOutput';
import { ownerKeyOf, PipelineNetwork } from './pipelineNetwork';
import { routeOutput, WorkerPool, type Worker } from './workerPool';

export interface LocalDockerOptions {
  /**
   * The engine's socket, mounted for `requires_docker` nodes (null: none to mount): a path on this
   * machine, or on the engine's machine when it shares no files with the runner.
   */
  dockerSocket: string | null;
  /** The Python SDK's folder, mounted read-only into every container (copied to an engine elsewhere). */
  sdkDir: string;
  workerIdleMs?: number;
  /** Where its nodes run, as recorded with each execution (the engine's host name; its endpoint when elsewhere). */
  ranOn?: string;
  /** The engine shares no files with the runner (DOCKER_HOST=tcp://…, ssh://…): files go by copies into volumes (engineVolumes.ts). */
  remote?: boolean;
}

/**
 * Where an engine's files are, from its endpoint: a unix socket is an engine on this machine, which
 * mounts host folders and whose socket a node may be given; any other (tcp://, ssh://) is an engine
 * elsewhere that shares no files with the runner, whose own socket is at Docker's default path there.
 */
export function engineFiles(endpoint: string): Pick<LocalDockerOptions, 'dockerSocket' | 'remote'> {
  if (endpoint.startsWith('unix://')) return { dockerSocket: endpoint.slice('unix://'.length), remote: false };
  return { dockerSocket: '/var/run/docker.sock', remote: true };
}

/** A pipeline's worker files on this engine: host folders, or volumes on an engine elsewhere. */
export function workerFilesFor(docker: Dockerode, options: LocalDockerOptions, pipelineId: string, owner: string, space: PipelineSpace): WorkerFiles {
  return options.remote ? new EngineVolumes(docker, pipelineId, owner, space, options.sdkDir, options.dockerSocket) : new HostFolders(space, options.sdkDir, options.dockerSocket);
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
    this.description = `${options.remote ? 'Docker engine' : 'local Docker'} at ${engine.endpoint}`;
  }

  capacity(): Budget {
    return { cpu: this.engine.ncpu || this.machine.cpu, mem: this.engine.memTotal ? Math.floor((this.engine.memTotal / GB) * 10) / 10 : this.machine.mem };
  }

  open(pipelineId: string, space: PipelineSpace): LocalDockerPipeline {
    const ranOn = this.options.remote ? `${this.engine.name || 'engine'} (${this.engine.endpoint})` : this.engine.name || undefined;
    return new LocalDockerPipeline(this.docker, pipelineId, space, { ...this.options, hostCpus: this.capacity().cpu, ...(ranOn ? { ranOn } : {}) });
  }
}

/** Output only read for its markers (the probe's, the count of earlier ends): kept nowhere. */
const DISCARD: OutputSink = { begin: () => undefined, write: () => undefined };

/** Where a job's output goes: its log files, started over when a re-attach rewrites them. */
function logSink(writer: LogWriter, restart: boolean): OutputSink {
  return { begin: () => restart && writer.restart(), write: (stream, bytes) => writer.write(stream, bytes) };
}

/** One pipeline's worker containers and the jobs they run. */
export class LocalDockerPipeline implements PipelineBackend {
  readonly pool: WorkerPool;
  readonly network: PipelineNetwork;
  readonly files: WorkerFiles;
  /** Containers of re-attached jobs that ended (their agents stop by themselves when idle). */
  private readonly finishedLeft = new Set<string>();
  /** Workers still being started for jobs killed while they waited: shutdown waits for their removal. */
  private readonly abandoned = new Set<Promise<unknown>>();

  constructor(
    readonly docker: Dockerode,
    private readonly pipelineId: string,
    private readonly space: PipelineSpace,
    private readonly options: LocalDockerOptions & { hostCpus: number },
  ) {
    this.pool = new WorkerPool(docker, options.hostCpus, options.workerIdleMs);
    this.network = new PipelineNetwork(docker, pipelineId, ownerKeyOf(space.dir));
    this.files = workerFilesFor(docker, options, pipelineId, this.network.owner, space);
  }

  async run(job: JobSpec, hooks: JobHooks, signal: AbortSignal): Promise<JobOutcome> {
    if (signal.aborted) return cancelledOutcome(signal, '');
    // Starting a worker can take a while (a new container); a kill meanwhile ends the wait at once,
    // and the worker, once up, is removed rather than given the job.
    const acquiring = this.request(job).then(async (req) => ({ ...(await this.pool.acquire(req)), req }));
    let acquired: Awaited<typeof acquiring>;
    try {
      acquired = await withTimeout(acquiring, 0, `starting a worker for ${job.image}`, signal);
    } catch (err) {
      if (!signal.aborted) return { exitCode: null, reason: 'error', message: engineMessage(err), peakMemoryBytes: null, containerId: '' };
      // A pinned context's worker stays for the rest of its context; a new one is not needed.
      const dropped = acquiring.then(({ worker }) => (worker.pinned ? this.pool.release(worker) : this.pool.discard(worker)), () => undefined);
      this.abandoned.add(dropped);
      void dropped.finally(() => this.abandoned.delete(dropped));
      return cancelledOutcome(signal, '');
    }
    const { worker, req } = acquired;
    const cpuClamped = acquired.cpuLimit < req.cpu ? acquired.cpuLimit : undefined;
    let outcome: JobOutcome;
    try {
      outcome = await this.follow(worker, req, hooks, signal);
    } catch (err) {
      // A hook or the store failed (a full disk): never leave the job running unwatched.
      await this.pool.discard(worker);
      outcome = { exitCode: null, reason: 'error', message: (err as Error).message ?? String(err), peakMemoryBytes: null, containerId: worker.id };
    }
    return { ...outcome, cpuClamped };
  }

  /**
   * Follows a job a previous runner process started: its output, from the engine's log of the
   * container from the job's start on (written again in full), to its end marker. `runner
   * stopped` when the container is gone or stopped without finishing the job.
   */
  async reattach(left: LeftJob, hooks: JobHooks, signal: AbortSignal): Promise<JobOutcome> {
    const { execId, containerId } = left;
    const container = this.docker.getContainer(containerId);
    const info = await container.inspect().catch(() => undefined);
    if (!info) return { exitCode: null, reason: 'runner stopped', message: 'the runner stopped and its container is gone', peakMemoryBytes: null, containerId };
    if (info.Config?.Image) this.files.useImage(info.Config.Image);
    const writer = this.space.logWriter(execId);
    // The engine's log from a little before the job's start: earlier jobs' output and end markers
    // come first. Read once to count those ends, then followed from the same time on.
    const since = Math.floor(left.startedAt / 1000) - 2;
    const { nonce, previous } = parseJobToken(left.token);
    const ends = previous ? await countEarlierEnds(container, nonce, previous, since) : { stdout: 0, stderr: 0 };
    const output = new JobOutput(nonce, logSink(writer, true), hooks.onLog, { start: { kind: 'after-ends', previous, ends }, endWithoutStart: true });
    // A no-op job queued behind it tells whether the job ever reached the agent: if the probe
    // ends first, the runner stopped before handing the job over.
    const probeNonce = newNonce();
    const probe = new JobOutput(probeNonce, DISCARD, undefined, { start: { kind: 'now' } });
    const waits = new JobWaits();
    let timer: { clear(): void } | undefined;
    let stdin: NodeJS.ReadWriteStream | undefined;
    try {
      const logs = (await container.logs({ follow: true, stdout: true, stderr: true, since })) as unknown as NodeJS.ReadableStream & { destroy(): void };
      routeOutput(this.docker, logs, { current: { feed: (stream, chunk) => (output.feed(stream, chunk), probe.feed(stream, chunk)), close: () => (output.close(), probe.close()) } });
      if (info.State?.Running) {
        stdin = (await container.attach({ stream: true, stdin: true, hijack: true })) as unknown as NodeJS.ReadWriteStream;
        stdin.write(jobFrame(probeNonce, 'true\n'));
      }
      const remainingMs = Math.max(0, left.startedAt + left.maxTimeSec * 1000 - Date.now());
      const result = await Promise.race([
        output.done.then((status) => ({ status })),
        probe.done.then(() => (output.ended ? new Promise<never>(() => undefined) : ('never sent' as const))),
        waits.until(signal).then(() => 'killed' as const),
        new Promise<'time'>((resolve) => (timer = setLongTimeout(() => resolve('time'), remainingMs))),
      ]);
      logs.destroy();
      if (result === 'never sent') {
        writer.restart(); // what came after the earlier ends was the probe's
        return await this.removed(container, { exitCode: null, reason: 'runner stopped', message: 'the runner stopped before handing the job to its container', peakMemoryBytes: null, containerId, notStarted: true });
      }
      if (result === 'time') return await this.removed(container, { exitCode: null, reason: 'time limit', message: `exceeded max_time of ${left.maxTimeSec}s`, peakMemoryBytes: null, containerId });
      if (result === 'killed') return await this.removed(container, cancelledOutcome(signal, containerId));
      if (result.status === null) return await this.removed(container, { exitCode: null, reason: 'runner stopped', message: 'its container stopped while the runner was away', peakMemoryBytes: null, containerId });
      if (!output.started) writer.write('stderr', Buffer.from('\n… what the node printed while the runner was away is gone (the engine keeps the last 60 MB) …\n'));
      if (result.status === 0) await this.collectOutputs(container, execId, left.outputs ?? []);
      // As the agent read it when the job ended (the worker may have stopped by itself since); else
      // its cgroup's, whose peak spans the worker's life (cgroup v2), which this job ended.
      const peakMemoryBytes = output.peakBytes ?? CgroupMemory.forContainer(containerId).peakBytes();
      // Kept until this run lets go: should the runner stop before it records this end, the next
      // one reads it again from the container (removing it now would lose the result).
      this.finishedLeft.add(containerId);
      return { exitCode: result.status, peakMemoryBytes, containerId, ...(output.endedAt && output.endedAt >= left.startedAt - 2000 ? { endedAt: Math.max(left.startedAt, output.endedAt) } : {}) };
    } finally {
      waits.end();
      timer?.clear();
      stdin?.end();
      output.close();
      probe.close();
      writer.close();
    }
  }

  /** The job with what its worker mounts and joins: its files and the pipeline's network. */
  private async request(job: JobSpec): Promise<WorkerRequest> {
    const [network, mounts] = await Promise.all([this.network.ensure(), this.files.mounts(job)]);
    return { ...job, mounts, network, owner: this.network.owner };
  }

  /** Removes this pipeline's containers a stopped runner left that nobody re-attaches to. */
  async removeLeft(keep: ReadonlySet<string>): Promise<void> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [`${LABELS.pipeline}=${this.pipelineId}`] } }).catch(() => []);
    // Only this store's: a namesake pipeline of another store may be running on the same engine.
    // (Workers made before the owner label have none: they can only be this pipeline's or stale.)
    const mine = list.filter((c) => (c.Labels?.[LABELS.owner] ?? this.network.owner) === this.network.owner);
    await Promise.all(mine.filter((c) => !keep.has(c.Id)).map((c) => this.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  }

  endContext(context: string): Promise<void> {
    return this.pool.endContext(context);
  }

  async shutdown(): Promise<void> {
    // A killed job's worker may still be on its way up (the run settled without it): it goes first.
    await Promise.all([...this.abandoned]);
    const left = [...this.finishedLeft];
    this.finishedLeft.clear();
    await Promise.all([this.pool.shutdown(), ...left.map((id) => this.docker.getContainer(id).remove({ force: true }).catch(() => undefined))]);
    await this.files.close();
    await this.network.remove();
  }

  private async removed(container: Dockerode.Container, outcome: JobOutcome): Promise<JobOutcome> {
    await container.remove({ force: true }).catch(() => undefined);
    return outcome;
  }

  private async follow(worker: Worker, req: WorkerRequest, { onLog, onStart }: JobHooks, signal: AbortSignal): Promise<JobOutcome> {
    const cgroup = (worker.cgroup ??= CgroupMemory.forContainer(worker.id));
    // The agent reports the job's peak and OOM kills from the same cgroup after the job; only the
    // reset of the peak needs the host (the cgroup is read-only inside). The host's own readings
    // stand in when the agent's are missing.
    cgroup.resetPeak();
    const nonce = newNonce();
    const writer = this.space.logWriter(req.execId);
    const output = new JobOutput(nonce, logSink(writer, false), onLog, { start: { kind: 'now' } });
    let timer: { clear(): void } | undefined;
    const waits = new JobWaits();
    try {
      const inputs = (req.inputs ?? []).map((input) => ({ path: jobFile(req.execId, input.name), content: this.space.readInput(req.execId, input.name) }));
      const env = { ...req.env };
      for (const file of [...(req.inputs ?? []), ...(req.outputs ?? [])]) env[file.env] = jobFile(req.execId, file.name);
      const script = jobScript({ command: req.command, env, workdir: req.workdir, inputs, outputs: Boolean(req.outputs?.length) });
      worker.current = output;
      // Recorded before it is handed over: a runner stopped in between finds it never began.
      onStart?.({ containerId: worker.id, token: jobToken(nonce, worker.lastNonce), ranOn: this.options.ranOn });
      worker.stdin.write(jobFrame(nonce, script));
      const stopped = Promise.race([
        waits.until(signal).then(() => abortReason(signal)),
        new Promise<'time limit'>((resolve) => (timer = setLongTimeout(() => resolve('time limit'), req.maxTimeSec * 1000))),
      ]);
      const first = await Promise.race([output.done.then((status) => ({ status })), stopped, waits.until(worker.gone).then(() => 'worker died' as const)]);
      const peak = output.peakBytes ?? cgroup.peakBytes() ?? null;
      if (output.failure) {
        await this.pool.discard(worker);
        return { exitCode: null, reason: 'error', message: `the node's output could not be written to the store: ${output.failure.message}`, peakMemoryBytes: peak, containerId: worker.id };
      }
      if (typeof first === 'object' && first.status !== null) {
        const code = first.status;
        worker.lastNonce = nonce;
        // Without the agent's count (an older agent), the host's: any OOM kill in the container so far.
        const oomKilled = output.oomKills !== null && output.oomKills !== undefined ? output.oomKills > 0 : (cgroup.oomKills() ?? 0) > 0;
        if (code === SIGKILL_STATUS && oomKilled) {
          // Something in the worker was OOM-killed; do not trust it for the next node.
          await this.pool.discard(worker);
          return { exitCode: code, reason: 'oom', message: `out of memory (limit ${req.mem} GB)`, peakMemoryBytes: peak, containerId: worker.id };
        }
        if (code === 0) await this.collectOutputs(worker.container, req.execId, req.outputs ?? []);
        await this.files.afterJob(worker.container, req);
        this.pool.release(worker);
        return { exitCode: code, peakMemoryBytes: peak, containerId: worker.id };
      }
      // Killing the worker kills the job and everything it started.
      await this.pool.discard(worker);
      if (typeof first === 'string' && first !== 'worker died') {
        const message = first === 'time limit' ? `exceeded max_time of ${req.maxTimeSec}s` : undefined;
        return { exitCode: null, reason: first, message, peakMemoryBytes: peak, containerId: worker.id };
      }
      const died = await worker.exited;
      if (!output.heardFrom && !died.oomKilled) {
        const said = await worker.container.logs({ stdout: true, stderr: true, tail: 5 }).then((b) => framesText(b).trim(), () => '');
        return { exitCode: died.exitCode, reason: 'error', message: `the worker container for ${req.image} stopped before the node began (status ${died.exitCode ?? 'unknown'})${said ? `: ${said}` : ''}; the image needs /bin/sh`, peakMemoryBytes: peak, containerId: worker.id };
      }
      return died.oomKilled
        ? { exitCode: null, reason: 'oom', message: `out of memory (limit ${req.mem} GB)`, peakMemoryBytes: peak, containerId: worker.id }
        : { exitCode: died.exitCode, reason: 'error', message: `the container stopped unexpectedly (status ${died.exitCode ?? 'unknown'})`, peakMemoryBytes: peak, containerId: worker.id };
    } finally {
      waits.end();
      timer?.clear();
      output.close();
      writer.close();
    }
  }

  /** Copies the files a job left for the runner out of its container (a regular file, or nothing). */
  private async collectOutputs(container: Dockerode.Container, execId: string, outputs: readonly { name: string }[]): Promise<void> {
    for (const { name } of outputs) {
      const archive = await container.getArchive({ path: jobFile(execId, name) }).catch(() => null);
      if (!archive) continue; // the node left none: the runner says what was missing
      await new Promise<void>((resolve, reject) => {
        const unpack = extract();
        let taken = false;
        unpack.on('entry', (header, body, next) => {
          // Only a regular file: a symlink planted there must not make the runner read a host path.
          if (taken || header.type !== 'file') {
            body.resume();
            body.on('end', next);
            return;
          }
          taken = true;
          pipeline(body, createWriteStream(this.space.resultFile(execId, name), { mode: 0o600 })).then(() => next(), reject);
        });
        unpack.on('finish', resolve);
        unpack.on('error', reject);
        (archive as NodeJS.ReadableStream).pipe(unpack);
      });
    }
  }
}

/** The frames of a multiplexed log buffer (8-byte headers: stream, 0, 0, 0, size). */
function* logFrames(buf: Buffer): Generator<{ stream: StreamName; bytes: Buffer }> {
  for (let at = 0; at + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(at + 4);
    yield { stream: buf[at] === 2 ? 'stderr' : 'stdout', bytes: buf.subarray(at + 8, at + 8 + size) };
    at += 8 + size;
  }
}

/** The text of a multiplexed log buffer. */
function framesText(buf: Buffer): string {
  return Buffer.concat([...logFrames(buf)].map((f) => f.bytes)).toString('utf8');
}

/** What of the previous job's nonce a job's token carries: enough that no lookalike matches by chance. */
const PREVIOUS_CHARS = 12;

/** A local job's handle (LeftJob.token): its nonce, and the start of the nonce of the job before it on its worker. */
function jobToken(nonce: string, previous: string | undefined): string {
  return previous ? `${nonce}:${previous.slice(0, PREVIOUS_CHARS)}` : nonce;
}

function parseJobToken(token: string): { nonce: string; previous: string } {
  const [nonce = '', previous = ''] = token.split(':');
  return { nonce, previous };
}

/**
 * How many end markers of the previous job on the worker come before this job's output on each
 * stream of the engine's log from `since` on. The last of them is its real one: a job can print
 * lookalikes of its own before it (its nonce is within its reach), but nothing of it runs after.
 */
async function countEarlierEnds(container: Dockerode.Container, nonce: string, previous: string, since: number): Promise<Record<StreamName, number>> {
  const buf = (await container.logs({ follow: false, stdout: true, stderr: true, since }).catch(() => Buffer.alloc(0))) as unknown as Buffer;
  const counter = new JobOutput(nonce, DISCARD, undefined, { start: { kind: 'after-ends', previous, ends: { stdout: Infinity, stderr: Infinity } }, endWithoutStart: true });
  for (const { stream, bytes } of logFrames(buf)) counter.feed(stream, bytes);
  counter.close();
  return counter.endsPassed;
}
