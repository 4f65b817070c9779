// Connecting to the engine: pick the endpoint (endpoint.ts), make the client, and check that the
// daemon answers, turning socket errors into a message that tells the user what to do.
import Dockerode from 'dockerode';
import { resolveDockerEndpoint, type DockerEndpoint } from './endpoint';
import { DockerUnavailableError } from './errors';
import { CancelledError, formatMs, TimeoutError, withTimeout } from './timeout';

export { withTimeout, TimeoutError, CancelledError } from './timeout';
export { DockerUnavailableError } from './errors';
export { resolveDockerEndpoint, type DockerEndpoint } from './endpoint';

const endpoints = new WeakMap<Dockerode, DockerEndpoint>();
/** What a user changes to point a client elsewhere, for its messages (see `hostHint`). */
const hostHints = new WeakMap<Dockerode, string>();

export interface DockerClientOptions {
  host?: string;
  /**
   * Where an explicit `host` came from, as a user finds it: "the pipewright.dockerHost setting",
   * "--docker-host". Messages about the engine then name it (not DOCKER_HOST, which was not used).
   */
  hostFrom?: string;
}

/** A client for the explicit host, else DOCKER_HOST, else the current docker context, else the default socket. */
export function createDockerClient(options: DockerClientOptions = {}): Dockerode {
  const endpoint = resolveDockerEndpoint({ host: options.host });
  let docker: Dockerode;
  try {
    docker = new Dockerode(endpoint.options);
  } catch (error) {
    // docker-modem parses DOCKER_HOST and reads DOCKER_CERT_PATH itself, even when overridden.
    throw new DockerUnavailableError(
      `Cannot set up a Docker client for ${endpoint.endpoint}: ${(error as Error).message}. ${endpoint.source === 'option' && options.hostFrom ? `Check ${options.hostFrom}` : 'Check DOCKER_HOST'} and DOCKER_CERT_PATH.`,
      'config',
      endpoint.endpoint,
      { cause: error },
    );
  }
  endpoints.set(docker, endpoint);
  hostHints.set(docker, hostHint(endpoint, options.hostFrom));
  return docker;
}

/** What to change to reach another engine, by where the endpoint came from. */
function hostHint(endpoint: DockerEndpoint, hostFrom: string | undefined): string {
  if (endpoint.source === 'option') return hostFrom ? `change ${hostFrom}` : 'change the Docker host given to Pipewright';
  if (endpoint.source === 'DOCKER_HOST') return 'change DOCKER_HOST';
  if (endpoint.source.startsWith('context ')) return `switch the docker ${endpoint.source} (\`docker context use\`)`;
  return 'set the pipewright.dockerHost setting (or DOCKER_HOST) to a running engine';
}

/** The client's "what to change" for messages; a client made elsewhere gets the generic one. */
export function dockerHostHint(docker: Dockerode): string {
  return hostHints.get(docker) ?? 'set DOCKER_HOST to a running engine';
}

/** The endpoint a client talks to, as a URL for messages. */
export function dockerEndpoint(docker: Dockerode): string {
  const known = endpoints.get(docker);
  if (known) return known.endpoint;
  const modem = docker.modem as unknown as { socketPath?: unknown; host?: string; port?: string | number; protocol?: string };
  if (modem.host) return `${modem.protocol === 'https' ? 'https' : modem.protocol === 'ssh' ? 'ssh' : 'tcp'}://${modem.host}${modem.port ? `:${modem.port}` : ''}`;
  return typeof modem.socketPath === 'string' ? `unix://${modem.socketPath}` : 'the default Docker socket';
}

export interface DockerEngineInfo {
  endpoint: string;
  apiVersion: string;
  serverVersion: string;
  /** `1` or `2`; null when the engine does not say (API < 1.41). */
  cgroupVersion: '1' | '2' | null;
  /** `cgroupfs`, `systemd`, or `none` (rootless without cgroup delegation). */
  cgroupDriver: string | null;
  ncpu: number;
  /** Bytes. */
  memTotal: number;
  /** The engine's host name (where nodes run: shown with each execution). */
  name: string;
}

export interface AvailabilityOptions {
  /** Default 10 s: long enough for a busy daemon, short enough that a hung one is reported. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

// @types/dockerode omits the options these take at runtime; abortSignal is what makes a timeout
// actually close the request instead of leaving it open.
type WithSignal = { abortSignal?: AbortSignal };
type Pingable = {
  ping(opts: WithSignal): Promise<unknown>;
  version(opts: WithSignal): Promise<Dockerode.DockerVersion>;
  info(opts: WithSignal): Promise<Record<string, unknown>>;
};

/** Pings the engine and reports what the runner needs to know about it; throws DockerUnavailableError. */
export async function ensureDockerAvailable(docker: Dockerode, options: AvailabilityOptions = {}): Promise<DockerEngineInfo> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const endpoint = dockerEndpoint(docker);
  const engine = docker as unknown as Pingable;
  try {
    return await withTimeout(
      async (signal) => {
        await engine.ping({ abortSignal: signal });
        const [version, info] = await Promise.all([engine.version({ abortSignal: signal }), engine.info({ abortSignal: signal })]);
        const cgroupVersion = info.CgroupVersion === '1' || info.CgroupVersion === '2' ? info.CgroupVersion : null;
        return {
          endpoint,
          apiVersion: version.ApiVersion,
          serverVersion: String(info.ServerVersion ?? version.Version),
          cgroupVersion,
          cgroupDriver: typeof info.CgroupDriver === 'string' ? info.CgroupDriver : null,
          ncpu: Number(info.NCPU),
          memTotal: Number(info.MemTotal),
          name: String(info.Name ?? ''),
        };
      },
      timeoutMs,
      `Docker at ${endpoint}`,
      options.signal,
    );
  } catch (error) {
    if (error instanceof CancelledError) throw error;
    throw explainDockerError(error, endpoint, dockerHostHint(docker));
  }
}

/**
 * Turns a connection failure into a DockerUnavailableError that says what to do. `change` says what
 * the user changes to reach another engine (dockerHostHint). Already-explained errors pass through.
 */
export function explainDockerError(error: unknown, endpoint: string, change = 'set DOCKER_HOST to a running engine'): DockerUnavailableError {
  if (error instanceof DockerUnavailableError) return error;
  const START_HINT = `Start Docker (\`sudo systemctl start docker\`, or Docker Desktop), or ${change}.`;
  if (error instanceof TimeoutError) {
    return new DockerUnavailableError(
      `Docker at ${endpoint} did not answer within ${formatMs(error.ms)}: the daemon may be starting, hung or overloaded. ` +
        `Check it with \`docker info\`, restart it, or ${change}.`,
      'timeout',
      endpoint,
      { cause: error },
    );
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ENOENT':
      return new DockerUnavailableError(`Docker is not running at ${endpoint} (no such socket). ${START_HINT}`, 'not-running', endpoint, { cause: error });
    case 'ECONNREFUSED':
      return new DockerUnavailableError(`Docker is not running at ${endpoint} (connection refused). ${START_HINT}`, 'not-running', endpoint, { cause: error });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new DockerUnavailableError(
        `Cannot reach Docker at ${endpoint} (${code}). Check the address, or ${change}.`,
        'not-running',
        endpoint,
        { cause: error },
      );
    case 'ESSH':
      return new DockerUnavailableError(`Cannot reach Docker at ${endpoint}: ${message}. Check that \`ssh HOST docker version\` works for this user (keys, known_hosts, ~/.ssh/config or PIPEWRIGHT_SSH_CONFIG), or ${change}.`, 'not-running', endpoint, {
        cause: error,
      });
    case 'EACCES':
    case 'EPERM':
      return new DockerUnavailableError(
        `Permission denied on ${endpoint}: this user may not use the Docker socket. ` +
          `Add it to the docker group (\`sudo usermod -aG docker $USER\`, then log in again), or ${change}.`,
        'permission',
        endpoint,
        { cause: error },
      );
  }
  if (typeof (error as { statusCode?: unknown } | undefined)?.statusCode === 'number') {
    return new DockerUnavailableError(`Docker at ${endpoint} answered with an error: ${message.trim()}`, 'error', endpoint, { cause: error });
  }
  return new DockerUnavailableError(`Cannot talk to Docker at ${endpoint}: ${message}${code ? ` (${code})` : ''}. ${START_HINT}`, 'error', endpoint, {
    cause: error,
  });
}
