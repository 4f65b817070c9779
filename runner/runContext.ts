import type Dockerode from 'dockerode';
import { createDockerClient, dockerEndpoint, ensureDockerAvailable, type DockerEngineInfo } from './docker/connect';
import { resolveImage } from './docker/images';
import { DockerExecutor } from './executor/dockerExecutor';
import type { ResolvedImage, RunContext } from './pipelineRun';
import { machineBudget, type Budget } from './scheduler/resourceBudget';
import { PipelineStore } from './store/pipelineStore';
import { sdkDirectory } from '../evaluator/sdkLocation';

export const USER_DEFAULT_IMAGE = 'python:3.12-slim';

export interface RunContextOptions {
  storeRoot?: string;
  dockerHost?: string;
  /** Image for nodes that name none: option, then PIPEWRIGHT_DEFAULT_IMAGE, then python:3.12-slim. */
  defaultImage?: string;
  budget?: Partial<Budget>;
  workerIdleMs?: number;
  /** Hears image pulls and builds (progress notifications, CLI output). */
  onImageProgress?: (message: string) => void;
}

export interface EngineRunContext extends RunContext {
  docker: Dockerode;
  engine: DockerEngineInfo;
  defaultImage: string;
}

/** Everything a PipelineRun needs, after checking that Docker answers. */
export async function createRunContext(options: RunContextOptions = {}): Promise<EngineRunContext> {
  const docker = createDockerClient({ host: options.dockerHost });
  const engine = await ensureDockerAvailable(docker);
  const defaultImage = options.defaultImage || process.env.PIPEWRIGHT_DEFAULT_IMAGE || USER_DEFAULT_IMAGE;
  const machine = machineBudget();
  const budget: Budget = { cpu: options.budget?.cpu ?? machine.cpu, mem: options.budget?.mem ?? machine.mem };
  const endpoint = dockerEndpoint(docker);
  const socket = endpoint.startsWith('unix://') ? endpoint.slice('unix://'.length) : null;
  const imageCache = new Map<string, Promise<ResolvedImage>>();
  const pathCache = new Map<string, Promise<string | null>>();
  const imagePath = (name: string) => {
    let p = pathCache.get(name);
    if (!p) {
      p = docker
        .getImage(name)
        .inspect()
        .then((info) => info.Config?.Env?.find((e) => e.startsWith('PATH='))?.slice(5) ?? null);
      pathCache.set(name, p);
    }
    return p;
  };
  return {
    docker,
    engine,
    defaultImage,
    budget,
    sdkDir: sdkDirectory(),
    store: new PipelineStore(options.storeRoot),
    makeExecutor: () => new DockerExecutor(docker, { hostCpus: engine.ncpu || machine.cpu, dockerSocket: socket, workerIdleMs: options.workerIdleMs }),
    resolveImage: (spec, definitionDir, report) => {
      const key = JSON.stringify([spec, definitionDir]);
      let resolved = imageCache.get(key);
      if (!resolved) {
        resolved = resolveImage(docker, spec, {
          defaultImage,
          definitionDir,
          onProgress: (e) => {
            const line = `${e.kind} ${e.image}: ${e.message}`;
            report(line);
            options.onImageProgress?.(line);
          },
        }).then(async (img) => ({ name: img.name, workdir: img.workdir, path: await imagePath(img.name) }));
        // A failure is not cached: the user may fix the image and reset.
        resolved.catch(() => imageCache.delete(key));
        imageCache.set(key, resolved);
      }
      return resolved;
    },
  };
}
