import type { EngineOptions } from '../../protocol/service';
import type { RunContextOptions } from '../runContext';

/**
 * What the runner service needs to build a run's engine context, resolved here in the client: the
 * service runs with the environment of whichever client started it, not this one's, so every
 * value this client's flags, settings or environment give is sent along.
 */
export function engineOptions(options: RunContextOptions, env: NodeJS.ProcessEnv = process.env): EngineOptions {
  const number = (value: string | undefined) => (value && Number.isFinite(Number(value)) ? Number(value) : undefined);
  const out: EngineOptions = {};
  if (options.dockerHost) {
    out.dockerHost = options.dockerHost;
    if (options.dockerHostFrom) out.dockerHostFrom = options.dockerHostFrom;
  } else if (env.DOCKER_HOST) {
    out.dockerHost = env.DOCKER_HOST;
    out.dockerHostFrom = 'DOCKER_HOST';
  }
  const defaultImage = options.defaultImage || env.PIPEWRIGHT_DEFAULT_IMAGE;
  if (defaultImage) out.defaultImage = defaultImage;
  const budget = { ...(options.budget?.cpu !== undefined ? { cpu: options.budget.cpu } : {}), ...(options.budget?.mem !== undefined ? { mem: options.budget.mem } : {}) };
  if (Object.keys(budget).length) out.budget = budget;
  const workerIdleMs = options.workerIdleMs ?? number(env.PIPEWRIGHT_WORKER_IDLE_MS);
  if (workerIdleMs !== undefined) out.workerIdleMs = workerIdleMs;
  const python = options.python || env.PIPEWRIGHT_PYTHON;
  if (python) out.python = python;
  const retentionDays = options.retentionDays ?? number(env.PIPEWRIGHT_RETENTION_DAYS);
  if (retentionDays !== undefined) out.retentionDays = retentionDays;
  out.imageMapEnv = options.imageMapEnv ?? env.PIPEWRIGHT_IMAGE_MAP ?? '';
  if (options.imageMapSetting !== undefined) out.imageMapSetting = options.imageMapSetting;
  if (options.imageMapFlags?.length) out.imageMapFlags = [...options.imageMapFlags];
  const backend = options.backend ? { backend: options.backend, backendFrom: options.backendFrom } : env.PIPEWRIGHT_BACKEND ? { backend: env.PIPEWRIGHT_BACKEND, backendFrom: 'PIPEWRIGHT_BACKEND' } : {};
  const registry = options.registry ? { registry: options.registry, registryFrom: options.registryFrom } : env.PIPEWRIGHT_REGISTRY ? { registry: env.PIPEWRIGHT_REGISTRY, registryFrom: 'PIPEWRIGHT_REGISTRY' } : {};
  for (const [key, value] of Object.entries({ ...backend, ...registry })) if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  const backendsEnv = options.backendsEnv ?? env.PIPEWRIGHT_BACKENDS;
  if (backendsEnv) out.backendsEnv = backendsEnv;
  if (options.backendsSetting !== undefined) out.backendsSetting = options.backendsSetting;
  return out;
}

/** The variables engineOptions reads: the service drops its own so only what clients send counts. */
export const CLIENT_ENV = ['DOCKER_HOST', 'PIPEWRIGHT_DEFAULT_IMAGE', 'PIPEWRIGHT_WORKER_IDLE_MS', 'PIPEWRIGHT_PYTHON', 'PIPEWRIGHT_RETENTION_DAYS', 'PIPEWRIGHT_IMAGE_MAP', 'PIPEWRIGHT_BACKEND', 'PIPEWRIGHT_REGISTRY', 'PIPEWRIGHT_BACKENDS'] as const;
