// Conducto's `livedebug` and `debug`, on the local Docker engine: a process inside a running
// node's container (docker exec, with the node's env and working directory: the job's env reaches
// the agent over its channel only, so an exec must be given it again), or a fresh container with the
// node's image, env, working directory, mounts, network and limits, built from the same config as a
// worker (containerConfig.ts) so it gets exactly the node's isolation, with the node's command in
// a script to run or edit. Both come back attached (stdin, stdout, stderr) for a terminal to drive.
import type Dockerode from 'dockerode';
import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { tarStream } from '../docker/tar';
import { cpuLimit, LABELS, workerContainerConfig, type WorkerRequest } from '../localDocker/containerConfig';
import { PipelineNetwork } from '../localDocker/pipelineNetwork';
import { workerFilesFor, type LocalDockerOptions } from '../localDocker/localDockerBackend';
import type { JobSpec } from '../backend';
import type { PipelineSpace } from '../store/pipelineSpace';
import { DebugTargetError, type DebugTarget } from './debugTarget';

/** Where a debug container has the node's command, ready to run or edit. */
export const DEBUG_SCRIPT = '/tmp/pipewright-debug.sh';
const DEBUG_RC = '/tmp/pipewright-debug.rc';
/** Marks debug containers (never `pipewright.pipeline`: a reopened run removes its pipeline's containers). */
export const DEBUG_LABEL = 'pipewright.debug';

/** bash when the image has it (as the runner runs commands), else the image's sh. */
const SHELL = 'if command -v bash >/dev/null 2>&1; then exec bash; fi; exec sh';

export interface ShellOptions {
  /** Run this (argv) instead of an interactive shell. */
  command: readonly string[] | null;
  /** A terminal: one stream, raw keys, resizable. */
  tty: boolean;
  /** Attach stdin (an interactive shell, or a command that reads it). */
  stdin: boolean;
}

/** A process in a container, attached: feed `stream`, read it (multiplexed unless `tty`). */
export interface AttachedProcess {
  readonly stream: Duplex;
  readonly tty: boolean;
  resize(columns: number, rows: number): Promise<void>;
  /** Once the stream has ended: the process's exit status. */
  exitCode(): Promise<number>;
  /** Ends it early (a signal to the CLI): a debug container is removed. */
  stop(): Promise<void>;
}

/** Env as Docker takes it; names a shell cannot export are left out, as jobScript does. */
function envList(env: Record<string, string>): string[] {
  return Object.entries(env)
    .filter(([key]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
    .map(([key, value]) => `${key}=${value}`);
}

/** A shell (or `command`) inside the node's running container, where its job runs now. */
export async function shellInRunningNode(docker: Dockerode, target: DebugTarget, options: ShellOptions): Promise<AttachedProcess> {
  const container = docker.getContainer(target.execution.containerId!);
  const info = await container.inspect().catch(() => null);
  if (!info?.State?.Running) throw new DebugTargetError(`${target.path}'s container ${target.execution.containerId!.slice(0, 12)} is not running any more (the node just ended?): pipewright debug ${target.pipelineId} ${target.path} starts a fresh one`);
  const exec = await container.exec({
    Cmd: options.command ? [...options.command] : ['sh', '-c', SHELL],
    AttachStdin: options.stdin,
    AttachStdout: true,
    AttachStderr: true,
    Tty: options.tty,
    Env: [...envList(target.env), ...(options.tty ? ['TERM=xterm-256color'] : [])],
    ...(target.workdir ? { WorkingDir: target.workdir } : {}),
  });
  const stream = await exec.start({ hijack: true, stdin: options.stdin, Tty: options.tty });
  return {
    stream,
    tty: options.tty,
    resize: async (w, h) => void (await exec.resize({ w, h }).catch(() => undefined)),
    exitCode: async () => {
      // The stream can end a moment before the engine records the exit.
      for (let i = 0; i < 50; i++) {
        const state = await exec.inspect().catch(() => null);
        if (!state) return 1;
        if (!state.Running) return state.ExitCode ?? 1;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return 1;
    },
    // The node goes on: only this process's connection is let go.
    stop: async () => void stream.destroy(),
  };
}

/** What a debug container needs of the engine and the store. */
export interface DebugHost {
  docker: Dockerode;
  /** Where the engine's files are and the SDK (engineFiles). */
  files: LocalDockerOptions;
  hostCpus: number;
  space: PipelineSpace;
  /** Whether a runner holds the pipeline now (then its network stays when the debug container ends). */
  pipelineLive: () => boolean;
}

/** The script holding the node's command: a comment says what it is, then the command as run. */
export function debugScript(target: DebugTarget): string {
  const head = `# ${target.path} of pipeline ${target.pipelineId}, execution ${target.number}/${target.total}, as it ran in ${target.execution.image}. Edit it, then run it.`;
  return `${head}\n${target.execution.command}\n`;
}

/**
 * A fresh container with the node's image, env, working directory, mounts, network and limits (the
 * worker config, so the same isolation: no Docker socket unless requires_docker, the definition's
 * folder read-only), with its command at DEBUG_SCRIPT. Removed when its process ends.
 */
export async function debugContainer(host: DebugHost, target: DebugTarget, options: ShellOptions): Promise<AttachedProcess & { name: string }> {
  const { docker, space } = host;
  const execution = target.execution;
  const image = await docker
    .getImage(execution.image)
    .inspect()
    .catch(() => null);
  if (!image) throw new DebugTargetError(`the image ${execution.image} that ${target.path} ran in (execution ${target.number}) is no longer on this engine: reset the node to build or pull it again`);
  // Docker would make a missing bind source itself, owned by root.
  space.ensure();
  const network = new PipelineNetwork(docker, target.pipelineId, realPath(space.dir));
  const params = execution.params;
  const job: JobSpec = {
    pipelineId: target.pipelineId,
    execId: execution.id,
    path: target.path,
    command: execution.command,
    env: target.env,
    image: execution.image,
    imagePath: image.Config?.Env?.find((e) => e.startsWith('PATH='))?.slice(5) ?? null,
    workdir: target.workdir,
    definitionDir: target.mountsDefinition ? target.definitionDir : null,
    cpu: params.cpu,
    mem: params.mem,
    gpu: params.gpu,
    requiresDocker: params.requires_docker,
    reuseContext: null,
    maxTimeSec: params.max_time,
  };
  // The pipeline's own files: on an engine elsewhere, its volumes (made for the shell if the pipeline holds none now).
  const files = workerFilesFor(docker, host.files, target.pipelineId, network.owner, space);
  const req: WorkerRequest = { ...job, mounts: await files.mounts(job), network: await network.ensure(), owner: network.owner };
  const name = `pipewright-debug-${target.pipelineId}-${randomBytes(4).toString('hex')}`;
  const worker = workerContainerConfig(req, name, cpuLimit(params.cpu, host.hostCpus), 0);
  // The worker's own variables (its agent's) go; the node's env comes in, as its job had it.
  const workerEnv = (worker.Env ?? []).filter((e) => !/^PIPEWRIGHT_(WORKER|IDLE_SEC)=/.test(e));
  const interactiveShell = `if command -v bash >/dev/null 2>&1; then exec bash --rcfile ${DEBUG_RC} -i; fi; exec sh -i`;
  const container = await docker.createContainer({
    ...worker,
    Cmd: options.command ? [...options.command] : ['sh', '-c', options.stdin ? interactiveShell : SHELL],
    Env: [...workerEnv, ...envList(target.env), 'PIPEWRIGHT_DEBUG=1', ...(options.tty ? ['TERM=xterm-256color'] : [])],
    ...(target.workdir ? { WorkingDir: target.workdir } : {}),
    OpenStdin: options.stdin,
    StdinOnce: options.stdin,
    AttachStdin: options.stdin,
    Tty: options.tty,
    Labels: { [DEBUG_LABEL]: target.pipelineId, [LABELS.owner]: network.owner },
    // Gone when its process ends, even if the CLI that made it was killed.
    HostConfig: { ...worker.HostConfig, AutoRemove: true, LogConfig: { Type: 'none', Config: {} } },
  });
  const removeNetwork = async () => {
    if (host.pipelineLive()) return;
    await files.close();
    await network.remove();
  };
  try {
    await container.putArchive(
      tarStream([
        { name: 'pipewright-debug.sh', type: 'file', mode: 0o755, mtime: Date.now() / 1000, content: Buffer.from(debugScript(target)) },
        // bash's history gets the command: the up arrow brings it back.
        { name: 'pipewright-debug.rc', type: 'file', mode: 0o644, mtime: Date.now() / 1000, content: Buffer.from(`[ -r ~/.bashrc ] && . ~/.bashrc\nhistory -s "bash ${DEBUG_SCRIPT}"\n`) },
      ]),
      { path: '/tmp' },
    );
    const stream = (await container.attach({ stream: true, stdin: options.stdin, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
    const ended = container.wait({ condition: 'removed' }).then(
      (res: { StatusCode?: number }) => res?.StatusCode ?? 1,
      () => 1,
    );
    await container.start();
    return {
      name,
      stream,
      tty: options.tty,
      resize: async (w, h) => void (await container.resize({ w, h }).catch(() => undefined)),
      exitCode: async () => {
        const code = await ended;
        await removeNetwork();
        return code;
      },
      stop: async () => {
        await container.remove({ force: true }).catch(() => undefined);
        await removeNetwork();
      },
    };
  } catch (err) {
    await container.remove({ force: true }).catch(() => undefined);
    await removeNetwork();
    throw err;
  }
}

function realPath(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}
