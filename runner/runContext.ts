import type Dockerode from 'dockerode';
import { pythonExecutable, sdkDirectory } from '../evaluator/sdkLocation';
import type { ImageSpec } from '../protocol/pipeline';
import type { Backend } from './backend';
import { BACKEND_KINDS, BackendChoiceError, checkRegistry, parseBackendProfiles, type BackendKind } from './backendProfiles';
import { ProfileBackends } from './profileBackends';
import * as path from 'node:path';
import { createDockerClient, dockerEndpoint, ensureDockerAvailable, type DockerEngineInfo } from './docker/connect';
import { resolveImage, type ImageProgress, type ResolvedImage } from './docker/images';
import { IMAGE_MAP_FLAG, ImageMap, parseEntryStrings, parseImageMapEnv, parseImageMapSetting } from './docker/imageMap';
import { SharedWork } from './docker/shared';
import { engineFiles, LocalDocker } from './localDocker/localDockerBackend';
import { machineBudget, type Budget } from './scheduler/resourceBudget';
import { PipelineStore } from './store/pipelineStore';
import { retentionDays } from './store/retention';
import { connectSwarm } from './swarm/connectSwarm';

export const USER_DEFAULT_IMAGE = 'python:3.12-slim';

/**
 * From a node's Image(...) to an image the backend can run, `defaultImage` for nodes that name
 * none; `signal` ends the wait (a kill).
 */
export type ImageResolver = (
  spec: ImageSpec | null,
  at: { definitionDir: string; defaultImage: string; imageMap?: ImageMap },
  onProgress: (progress: ImageProgress) => void,
  signal: AbortSignal,
) => Promise<ResolvedImage>;

/** What a pipeline instance runs with: where it is kept, what runs its nodes, and with what. */
export interface RunContext {
  store: PipelineStore;
  backend: Backend;
  resolveImage: ImageResolver;
  /** For nodes that name no image; a pipeline instance keeps the one it was created with. */
  defaultImage: string;
  budget: Budget;
  sdkDir: string;
  /** The interpreter the user chose: pipeline code the runner itself runs (ClearML callbacks) uses it. */
  python: string;
  /** Images to run instead of others (PIPEWRIGHT_IMAGE_MAP, the pipewright.imageMap setting, --image-map). */
  imageMap?: ImageMap;
  /** Other engines a step may name (its execution_queue): PIPEWRIGHT_BACKENDS, the pipewright.backends setting. */
  profiles?: ProfileBackends;
}

export interface RunContextOptions {
  storeRoot?: string;
  dockerHost?: string;
  /** Where `dockerHost` came from, for messages that tell the user what to change ("the pipewright.dockerHost setting"). */
  dockerHostFrom?: string;
  /** Image for nodes that name none: option, then PIPEWRIGHT_DEFAULT_IMAGE, then python:3.12-slim. */
  defaultImage?: string;
  budget?: Partial<Budget>;
  workerIdleMs?: number;
  /** Python for the pipeline code the runner runs on the host: option, then PIPEWRIGHT_PYTHON, then python3. */
  python?: string;
  /** Days unused pipelines are kept (the editor's setting); else PIPEWRIGHT_RETENTION_DAYS, else 7. */
  retentionDays?: number;
  /** The pipewright.imageMap setting's value as read (checked here), and `--image-map FROM=TO` values. */
  imageMapSetting?: unknown;
  imageMapFlags?: readonly string[];
  /** PIPEWRIGHT_IMAGE_MAP as the client saw it (the runner service runs with its own env). */
  imageMapEnv?: string;
  /** What runs the nodes: `docker` (the engine at dockerHost, default) or `swarm` (the swarm whose manager is at dockerHost). */
  backend?: string;
  /** Where `backend` came from ("--backend", "PIPEWRIGHT_BACKEND", "the pipewright.backend setting"). */
  backendFrom?: string;
  /** The registry a swarm's nodes pull the runner's images from (HOST:PORT). */
  registry?: string;
  registryFrom?: string;
  /** PIPEWRIGHT_BACKENDS as the client saw it, and the pipewright.backends setting's value as read (checked here). */
  backendsEnv?: string;
  backendsSetting?: unknown;
}

/** The backend a run asks for, checked: option, then PIPEWRIGHT_BACKEND, then docker; and the registry a swarm needs. */
export function backendChoice(options: RunContextOptions, env: NodeJS.ProcessEnv = process.env): { kind: BackendKind; registry?: string } {
  const asked = options.backend || env.PIPEWRIGHT_BACKEND || 'docker';
  const from = options.backend ? (options.backendFrom ?? 'the backend option') : 'PIPEWRIGHT_BACKEND';
  if (!(BACKEND_KINDS as readonly string[]).includes(asked)) throw new BackendChoiceError(`Unknown backend "${asked}" (from ${from}): use ${BACKEND_KINDS.join(' or ')}.`);
  const kind = asked as BackendKind;
  const registry = options.registry || env.PIPEWRIGHT_REGISTRY || undefined;
  if (registry) checkRegistry(registry, options.registry ? (options.registryFrom ?? 'the registry option') : 'PIPEWRIGHT_REGISTRY');
  if (kind === 'swarm' && !registry) {
    throw new BackendChoiceError(`The swarm backend (from ${from}) needs a registry its nodes pull the runner's images from: --registry HOST:PORT, PIPEWRIGHT_REGISTRY or the pipewright.registry setting.`);
  }
  return { kind, ...(registry ? { registry } : {}) };
}

export { BackendChoiceError };

/** The image map of every source: PIPEWRIGHT_IMAGE_MAP, then the setting, then the flags (later wins). */
export function imageMapFromSources(sources: { env?: string; setting?: unknown; flags?: readonly string[] }): ImageMap {
  return new ImageMap([...parseImageMapEnv(sources.env), ...parseImageMapSetting(sources.setting), ...parseEntryStrings(sources.flags ?? [], IMAGE_MAP_FLAG)]);
}

export interface EngineRunContext extends RunContext {
  docker: Dockerode;
  engine: DockerEngineInfo;
}

/**
 * Everything a PipelineRun needs, after checking that Docker answers. Opening the store applies
 * its retention policy: pipelines unused for longer, and not running, are deleted.
 */
export async function createRunContext(options: RunContextOptions = {}): Promise<EngineRunContext> {
  const days = retentionDays(options.retentionDays);
  // Checked before Docker is asked: a bad entry is the user's to fix, named with its source.
  const imageMap = imageMapFromSources({ env: options.imageMapEnv ?? process.env.PIPEWRIGHT_IMAGE_MAP, setting: options.imageMapSetting, flags: options.imageMapFlags });
  const choice = backendChoice(options);
  const profiles = parseBackendProfiles({ env: options.backendsEnv ?? process.env.PIPEWRIGHT_BACKENDS, setting: options.backendsSetting });
  const defaultImage = options.defaultImage || process.env.PIPEWRIGHT_DEFAULT_IMAGE || USER_DEFAULT_IMAGE;
  const sdkDir = sdkDirectory();
  // PIPEWRIGHT_WORKER_IDLE_MS: how long an idle worker is kept (tests and tuning; default 15 s).
  const workerIdleMs = options.workerIdleMs ?? (Number(process.env.PIPEWRIGHT_WORKER_IDLE_MS) || undefined);
  const store = new PipelineStore(options.storeRoot);
  // The store (its folder: pipelines, user data, cache) never goes into an image.
  const neverSent = [path.dirname(store.root)];
  const shared = { sdkDir, workerIdleMs, imageMap, neverSent };
  const { docker, engine, backend, resolveImage } = await engineBackend({ ...shared, dockerHost: options.dockerHost, dockerHostFrom: options.dockerHostFrom, ...choice });
  const capacity = backend.capacity();
  store.pruneExpired(days);
  return {
    docker,
    engine,
    defaultImage,
    backend,
    budget: { cpu: options.budget?.cpu ?? capacity.cpu, mem: options.budget?.mem ?? capacity.mem },
    sdkDir,
    python: options.python || pythonExecutable(),
    store,
    imageMap,
    resolveImage,
    ...(profiles.size
      ? {
          profiles: new ProfileBackends(profiles, (p) =>
            engineBackend({ ...shared, dockerHost: p.dockerHost ?? options.dockerHost, dockerHostFrom: p.dockerHost ? `backend profile "${p.name}" (${p.from})` : options.dockerHostFrom, kind: p.backend, registry: p.registry }),
          ),
        }
      : {}),
  };
}

/** An engine, checked to answer, and the backend that runs nodes on it (or on the swarm it manages). */
async function engineBackend(o: {
  dockerHost?: string;
  dockerHostFrom?: string;
  kind: BackendKind;
  registry?: string;
  sdkDir: string;
  workerIdleMs?: number;
  imageMap: ImageMap;
  neverSent: readonly string[];
}): Promise<{ docker: Dockerode; engine: DockerEngineInfo; backend: Backend; resolveImage: ImageResolver }> {
  if (o.kind === 'swarm') {
    // The swarm places the nodes; images are resolved on the runner's own engine (sent on from there).
    const swarm = await connectSwarm({ dockerHost: o.dockerHost, dockerHostFrom: o.dockerHostFrom, registry: o.registry ?? '', sdkDir: o.sdkDir });
    return { docker: swarm.imageEngine, engine: swarm.engine, backend: swarm.backend, resolveImage: imageResolver(swarm.imageEngine, o.imageMap, o.neverSent) };
  }
  const docker = createDockerClient({ host: o.dockerHost, hostFrom: o.dockerHostFrom });
  const engine = await ensureDockerAvailable(docker);
  const endpoint = dockerEndpoint(docker);
  const backend = new LocalDocker(docker, engine, { ...engineFiles(endpoint), sdkDir: o.sdkDir, workerIdleMs: o.workerIdleMs }, machineBudget());
  return { docker, engine, backend, resolveImage: imageResolver(docker, o.imageMap, o.neverSent) };
}

/**
 * Resolves each image spec once per context: a resolved image is remembered, one in progress is
 * shared by every node waiting for it (and stopped when none waits any more); a failure is not
 * remembered, so a fixed Dockerfile and a reset try again.
 */
function imageResolver(docker: Dockerode, imageMap: ImageMap, neverSent: readonly string[]): ImageResolver {
  const resolved = new Map<string, ResolvedImage>();
  const inProgress = new SharedWork<ResolvedImage, ImageProgress>();
  return (spec, { definitionDir, defaultImage, imageMap: own }, onProgress, signal) => {
    const map = own ?? imageMap;
    const key = JSON.stringify([spec, definitionDir, defaultImage, map.entries.map((e) => [e.from, e.to])]);
    const known = resolved.get(key);
    if (known) return Promise.resolve(known);
    return inProgress.run(
      key,
      async (shared, emit) => {
        const image = await resolveImage(docker, spec, { defaultImage, definitionDir, imageMap: map, neverSent, onProgress: emit, signal: shared });
        resolved.set(key, image);
        return image;
      },
      { signal, onProgress, what: `Preparing the image ${spec?.name ?? defaultImage}` },
    );
  };
}
