// Docker Swarm as a backend: the swarm places the work. Each job is a one-shot service (serviceSpec.ts)
// whose image carries the SDK and the definition's folder (runImage.ts) and whose command carries
// the job (taskScript.ts); its output comes back through the service's log into the pipeline's
// space, byte for byte; its end from the end markers in that log, or from the task's status when
// the task never got that far. Services are created and their tasks polled, never waited on for
// convergence (`service create` without --detach can hang on a one-shot service).
import type Dockerode from 'dockerode';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { abortReason, cancelledOutcome, JOB_OVER, JobWaits, type Backend, type JobHooks, type JobOutcome, type JobSpec, type LeftJob, type PipelineBackend } from '../backend';
import { dockerEndpoint } from '../docker/connect';
import { engineMessage } from '../docker/progress';
import { jobFile, jobScript, newNonce } from '../localDocker/agent';
import { JobOutput, type OutputSink } from '../localDocker/jobOutput';
import { setLongTimeout } from '../longTimeout';
import type { Budget } from '../scheduler/resourceBudget';
import type { LogWriter, PipelineSpace } from '../store/pipelineSpace';
import type { DataAccess, DataService } from './dataService';
import { RunImages } from './runImage';
import { followServiceLog } from './serviceLogs';
import { serviceSpec, SWARM_LABELS } from './serviceSpec';
import { taskCommand, TrailerReader, type Trailer } from './taskScript';

export interface SwarmOptions {
  /** HOST:PORT of the registry the runner pushes to and the swarm's nodes pull from. */
  registry: string;
  /** The Python SDK's folder (sdkDirectory()). */
  sdkDir: string;
  /** The engine the runner resolves node images on, to send the manager images only it has; null: none. */
  imageSource?: Dockerode | null;
  /** Serves each pipeline's shared data to its tasks (started: its URL is known); none: no shared data across nodes. */
  dataService?: DataService;
  /** How often a task's state is read. */
  pollMs?: number;
}

const GB = 2 ** 30;
const SIGKILL_STATUS = 137;
/** Task states after which nothing more happens. */
const TASK_ENDED = new Set(['complete', 'failed', 'rejected', 'shutdown', 'orphaned', 'remove']);
/** States of a task whose container ran. */
const RAN = new Set(['complete', 'failed']);
/** How long the log may lag behind a task's end before the task's status is taken instead. */
const LOG_LAG_MS = 5000;

export class SwarmBackend implements Backend {
  readonly description: string;

  private constructor(
    readonly manager: Dockerode,
    private readonly options: SwarmOptions,
    private readonly total: Budget,
    /** The largest node's cpus and GB: a task asking more could never be placed. */
    private readonly largest: Budget,
    private readonly images = new RunImages({ manager, source: options.imageSource ?? null, registry: options.registry, sdkDir: options.sdkDir }),
    /** Swarm node host names by node id. */
    private readonly nodeNames = new Map<string, string>(),
  ) {
    this.description = `Docker Swarm at ${dockerEndpoint(manager)} (registry ${options.registry})`;
  }

  /** Reads the swarm's ready nodes (their sum is the capacity); fails when the engine is no swarm manager. */
  static async connect(manager: Dockerode, options: SwarmOptions): Promise<SwarmBackend> {
    let nodes: SwarmNode[];
    try {
      nodes = (await manager.listNodes()) as SwarmNode[];
    } catch (err) {
      throw new Error(`${dockerEndpoint(manager)} is not a Docker Swarm manager: ${engineMessage(err)}`, { cause: err });
    }
    const ready = nodes.filter((n) => n.Status?.State === 'ready' && n.Spec?.Availability === 'active');
    if (!ready.length) throw new Error(`the swarm at ${dockerEndpoint(manager)} has no ready node`);
    const cpu = ready.reduce((sum, n) => sum + (n.Description?.Resources?.NanoCPUs ?? 0) / 1e9, 0);
    const mem = ready.reduce((sum, n) => sum + (n.Description?.Resources?.MemoryBytes ?? 0), 0);
    const largest = {
      cpu: Math.max(...ready.map((n) => (n.Description?.Resources?.NanoCPUs ?? 0) / 1e9)),
      mem: Math.max(...ready.map((n) => (n.Description?.Resources?.MemoryBytes ?? 0) / GB)),
    };
    return new SwarmBackend(manager, options, { cpu, mem: Math.floor((mem / GB) * 10) / 10 }, largest);
  }

  capacity(): Budget {
    return { ...this.total };
  }

  /** Where a task ran, as shown with its execution: the swarm node's host name and the manager. */
  async where(nodeId: string): Promise<string> {
    let name = this.nodeNames.get(nodeId);
    if (name === undefined) {
      // A node that joined after connect: the list is read again.
      const nodes = ((await this.manager.listNodes().catch(() => [])) as SwarmNode[]);
      for (const n of nodes) if (n.ID) this.nodeNames.set(n.ID, n.Description?.Hostname || n.ID.slice(0, 12));
      name = this.nodeNames.get(nodeId) ?? nodeId.slice(0, 12);
    }
    return `swarm node ${name} (manager ${dockerEndpoint(this.manager)})`;
  }

  open(pipelineId: string, space: PipelineSpace): SwarmPipeline {
    // The token is kept with the pipeline: tasks a killed runner left reach the next runner with it.
    const data = this.options.dataService?.register(pipelineId, space.dataDir, space.userDataDir, dataToken(space.dir));
    return new SwarmPipeline(this.manager, pipelineId, space, this.images, { pollMs: this.options.pollMs ?? 250, largest: this.largest, data, where: (nodeId) => this.where(nodeId) });
  }
}

/** One pipeline's services. */
export class SwarmPipeline implements PipelineBackend {
  /** Tells this pipeline from a namesake of another store on the same swarm. */
  readonly owner: string;
  /** Services of jobs being followed: shutdown removes them. */
  private readonly live = new Set<string>();
  /** The swarm node each execution's task was placed on (where it ran), by execution id. */
  readonly placements = new Map<string, string>();

  constructor(
    private readonly manager: Dockerode,
    private readonly pipelineId: string,
    private readonly space: PipelineSpace,
    private readonly images: RunImages,
    private readonly settings: { pollMs: number; largest: Budget; data?: DataAccess; where: (nodeId: string) => Promise<string> },
  ) {
    this.owner = createHash('sha256').update(realPath(space.dir)).digest('hex').slice(0, 16);
  }

  async run(job: JobSpec, hooks: JobHooks, signal: AbortSignal): Promise<JobOutcome> {
    if (signal.aborted) return cancelledOutcome(signal, '');
    // As on one machine, a node asking more cpus than any node has runs with what the largest has;
    // more memory than any node has can never be placed.
    const { largest } = this.settings;
    const cpu = Math.min(job.cpu, largest.cpu);
    const cpuClamped = cpu < job.cpu ? cpu : undefined;
    if (job.mem > largest.mem) return failed(`${job.path} asks for ${job.mem} GB of memory; the largest swarm node has ${Math.floor(largest.mem * 10) / 10} GB`, '');
    let image: string;
    try {
      // The store (<root>/pipelines/<id>, and the folder around it) never goes into an image.
      const storeRoot = path.dirname(path.dirname(this.space.dir));
      image = await this.images.forJob(job.image, job.definitionDir, [storeRoot, path.dirname(storeRoot)], signal);
    } catch (err) {
      if (signal.aborted) return cancelledOutcome(signal, '');
      return failed(`preparing the image for the swarm: ${engineMessage(err)}`, '');
    }
    if (signal.aborted) return cancelledOutcome(signal, '');
    const nonce = newNonce();
    const inputs = (job.inputs ?? []).map((input) => ({ path: jobFile(job.execId, input.name), content: this.space.readInput(job.execId, input.name) }));
    const env = { ...job.env };
    for (const file of [...(job.inputs ?? []), ...(job.outputs ?? [])]) env[file.env] = jobFile(job.execId, file.name);
    const script = jobScript({ command: job.command, env, workdir: job.workdir, inputs, outputs: Boolean(job.outputs?.length) });
    const command = taskCommand(nonce, script, (job.outputs ?? []).map((o) => ({ name: o.name, path: jobFile(job.execId, o.name) })));
    let serviceId: string;
    try {
      const created = (await this.manager.createService(serviceSpec({ job: { ...job, cpu }, image, command, owner: this.owner, data: this.settings.data }) as never)) as { id?: string; ID?: string };
      serviceId = created.id ?? created.ID ?? '';
    } catch (err) {
      return failed(`the swarm did not take the job: ${engineMessage(err)}`, '');
    }
    this.live.add(serviceId);
    try {
      hooks.onStart?.({ containerId: serviceId, token: nonce });
      const outcome = await this.follow({ serviceId, nonce, execId: job.execId, outputs: job.outputs ?? [], mem: job.mem, endsAt: Date.now() + job.maxTimeSec * 1000, maxTimeSec: job.maxTimeSec }, hooks, signal, false);
      return { ...(await this.placed(job.execId, outcome)), ...(cpuClamped !== undefined ? { cpuClamped } : {}) };
    } finally {
      await this.remove(serviceId);
    }
  }

  async reattach(left: LeftJob, hooks: JobHooks, signal: AbortSignal): Promise<JobOutcome> {
    const serviceId = left.containerId;
    const info = await this.manager
      .getService(serviceId)
      .inspect()
      .catch(() => null);
    if (!info) return { exitCode: null, reason: 'runner stopped', message: 'the runner stopped and its swarm service is gone', peakMemoryBytes: null, containerId: serviceId };
    const limit = (info as { Spec?: { TaskTemplate?: { Resources?: { Limits?: { MemoryBytes?: number } } } } }).Spec?.TaskTemplate?.Resources?.Limits?.MemoryBytes ?? 0;
    this.live.add(serviceId);
    try {
      return await this.placed(left.execId, await this.follow({ serviceId, nonce: left.token, execId: left.execId, outputs: left.outputs ?? [], mem: limit / GB, endsAt: left.startedAt + left.maxTimeSec * 1000, maxTimeSec: left.maxTimeSec }, hooks, signal, true));
    } finally {
      await this.remove(serviceId);
    }
  }

  async removeLeft(keep: ReadonlySet<string>): Promise<void> {
    const mine = await this.services();
    await Promise.all(mine.filter((id) => !keep.has(id)).map((id) => this.remove(id)));
  }

  async shutdown(): Promise<void> {
    const all = new Set([...this.live, ...(await this.services())]);
    await Promise.all([...all].map((id) => this.remove(id)));
  }

  /** The outcome with the swarm node its task ran on, when the swarm placed it. */
  private async placed(execId: string, outcome: JobOutcome): Promise<JobOutcome> {
    // A job that ended before its task was first read: read once more (its service is still there).
    if (!this.placements.has(execId) && outcome.containerId) {
      const tasks = await (this.manager.listTasks({ filters: { service: [outcome.containerId] } } as never) as unknown as Promise<SwarmTask[]>).catch(() => []);
      if (tasks[0]?.NodeID) this.placements.set(execId, tasks[0].NodeID);
    }
    const nodeId = this.placements.get(execId);
    return nodeId ? { ...outcome, ranOn: await this.settings.where(nodeId) } : outcome;
  }

  /** This pipeline's services on the swarm (this store's: a namesake may run there too). */
  private async services(): Promise<string[]> {
    const listing = this.manager.listServices({ filters: { label: [`${SWARM_LABELS.pipeline}=${this.pipelineId}`, `${SWARM_LABELS.owner}=${this.owner}`] } } as never) as unknown as Promise<{ ID: string }[]>;
    const list = await listing.catch(() => []);
    return list.map((s) => s.ID);
  }

  private async remove(serviceId: string): Promise<void> {
    this.live.delete(serviceId);
    await this.manager
      .getService(serviceId)
      .remove()
      .catch(() => undefined);
  }

  /**
   * Follows a job's service to its end: its log into the space (from the start again on a
   * re-attach), its end from the end markers, else from its task. A kill or the time limit
   * removes the service (SIGKILL: gone in about a second).
   */
  private async follow(job: FollowedJob, { onLog }: JobHooks, signal: AbortSignal, reattach: boolean): Promise<JobOutcome> {
    const { serviceId, nonce, execId } = job;
    let writer: LogWriter;
    try {
      writer = this.space.logWriter(execId);
    } catch (err) {
      return failed(`the node's log could not be opened in the store: ${(err as Error).message}`, serviceId);
    }
    const output = new JobOutput(nonce, logSink(writer, reattach), onLog, { start: { kind: 'marker' }, endWithoutStart: reattach });
    const trailer = new TrailerReader(nonce);
    const stop = new AbortController();
    const waits = new JobWaits();
    let timer: { clear(): void } | undefined;
    let log: Awaited<ReturnType<typeof followServiceLog>> | undefined;
    try {
      log = await followServiceLog(this.manager, serviceId, (stream, chunk) => {
        output.feed(stream, chunk);
        if (stream === 'stdout') trailer.feed(chunk);
      });
      const taskEnded = this.taskEnd(serviceId, execId, stop.signal);
      const first = await Promise.race([
        output.done.then((status) => ({ status })),
        taskEnded,
        waits.until(signal).then(() => abortReason(signal)),
        new Promise<'time limit'>((resolve) => (timer = setLongTimeout(() => resolve('time limit'), Math.max(0, job.endsAt - Date.now())))),
      ]);
      if (output.failure) return failed(`the node's output could not be written to the store: ${output.failure.message}`, serviceId);
      if (first === 'time limit') return { exitCode: null, reason: 'time limit', message: `exceeded max_time of ${job.maxTimeSec}s`, peakMemoryBytes: null, containerId: serviceId };
      if (typeof first === 'string') return cancelledOutcome(signal, serviceId);
      let status: number | null;
      let task: TaskEnd | null = null;
      if ('status' in first) {
        status = first.status;
      } else {
        // The task ended: its end markers may still be on their way through the log.
        task = first;
        status = await Promise.race([output.done, new Promise<null>((resolve) => setTimeout(() => resolve(null), LOG_LAG_MS))]);
      }
      if (status === null) {
        task ??= await this.taskEnd(serviceId, execId, stop.signal);
        const code = task.exitCode;
        if (code === SIGKILL_STATUS && job.mem > 0) return { exitCode: code, reason: 'oom', message: `out of memory (limit ${job.mem} GB; the swarm reports only exit ${code})`, peakMemoryBytes: null, containerId: serviceId };
        const said = `${task.state}${task.error ? `: ${task.error}` : ''}`;
        if (!output.started && RAN.has(task.state)) return failed(`the swarm task stopped before the node began (${said}); the image needs /bin/sh`, serviceId, code);
        if (!output.started) return failed(`the swarm could not run the node (${said})`, serviceId, code);
        return failed(`the swarm task stopped unexpectedly (${task.state}${task.error ? `: ${task.error}` : ''})`, serviceId, code);
      }
      if (reattach && !output.started) writer.write('stderr', Buffer.from('\n… what the node printed while the runner was away is gone from the engine …\n'));
      const end = await Promise.race([trailer.done, new Promise<Trailer>((resolve) => setTimeout(() => resolve({ oomKills: null, files: new Map() }), LOG_LAG_MS))]);
      const peakMemoryBytes = output.peakBytes ?? null;
      const endedAt = reattach && output.endedAt ? { endedAt: output.endedAt } : {};
      if (status === SIGKILL_STATUS && job.mem > 0 && (end.oomKills === null || end.oomKills > 0)) {
        return { exitCode: status, reason: 'oom', message: `out of memory (limit ${job.mem} GB)`, peakMemoryBytes, containerId: serviceId, ...endedAt };
      }
      if (status === 0) {
        for (const { name } of job.outputs) {
          const bytes = end.files.get(name);
          if (bytes) writeFileSync(this.space.resultFile(execId, name), bytes, { mode: 0o600 });
        }
      }
      return { exitCode: status, peakMemoryBytes, containerId: serviceId, ...endedAt };
    } catch (err) {
      if (signal.aborted) return cancelledOutcome(signal, serviceId);
      return failed(`following the swarm service: ${engineMessage(err)}`, serviceId);
    } finally {
      stop.abort(JOB_OVER);
      waits.end();
      timer?.clear();
      log?.close();
      output.close();
      trailer.streamEnded();
      writer.close();
    }
  }

  /** Resolves once the service's task has ended (polling: no event stream per task). */
  private async taskEnd(serviceId: string, execId: string, stop: AbortSignal): Promise<TaskEnd> {
    for (;;) {
      const listing = this.manager.listTasks({ filters: { service: [serviceId] } } as never) as unknown as Promise<SwarmTask[]>;
      const tasks = await listing.catch(() => null);
      const task = tasks?.[0];
      if (task?.NodeID) this.placements.set(execId, task.NodeID);
      // No node will ever do (the constraints match none): waiting would be forever.
      const never = task?.Status?.State === 'pending' && /constraints not satisfied/.test(task.Status.Err ?? '');
      if (task && (TASK_ENDED.has(task.Status?.State ?? '') || never)) {
        return { state: task.Status?.State ?? '', error: task.Status?.Err ?? '', exitCode: task.Status?.ContainerStatus?.ExitCode ?? null, nodeId: task.NodeID ?? '' };
      }
      if (tasks && !tasks.length && (await this.gone(serviceId))) return { state: 'removed', error: 'the service was removed', exitCode: null, nodeId: '' };
      await new Promise((resolve) => setTimeout(resolve, this.settings.pollMs));
      if (stop.aborted) return new Promise<never>(() => undefined);
    }
  }

  private async gone(serviceId: string): Promise<boolean> {
    return this.manager
      .getService(serviceId)
      .inspect()
      .then(() => false, () => true);
  }
}

interface FollowedJob {
  serviceId: string;
  nonce: string;
  execId: string;
  outputs: readonly { name: string }[];
  /** GB; 0: no limit. */
  mem: number;
  endsAt: number;
  maxTimeSec: number;
}

interface TaskEnd {
  state: string;
  error: string;
  exitCode: number | null;
  nodeId: string;
}

interface SwarmNode {
  ID?: string;
  Status?: { State?: string };
  Spec?: { Availability?: string };
  Description?: { Hostname?: string; Resources?: { NanoCPUs?: number; MemoryBytes?: number } };
}

interface SwarmTask {
  NodeID?: string;
  Status?: { State?: string; Err?: string; ContainerStatus?: { ExitCode?: number } };
}

function failed(message: string, containerId: string, exitCode: number | null = null): JobOutcome {
  return { exitCode, reason: 'error', message, peakMemoryBytes: null, containerId };
}

/** Where a job's output goes: its log files, started over when a re-attach rewrites them. */
function logSink(writer: LogWriter, restart: boolean): OutputSink {
  return { begin: () => restart && writer.restart(), write: (stream, bytes) => writer.write(stream, bytes) };
}


/** The pipeline's data-service token, made once and kept private in its folder. */
function dataToken(dir: string): Buffer {
  const file = path.join(dir, 'data-service.token');
  try {
    const kept = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    if (kept.length === 32) return kept;
  } catch {
    // None yet.
  }
  const token = randomBytes(32);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(file, token.toString('hex'), { mode: 0o600 });
  return token;
}

function realPath(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}


