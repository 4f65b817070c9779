// Which engine to talk to, decided the way the docker CLI users expect: an explicit host, then
// DOCKER_HOST, then the current docker context, then the default socket. Pure apart from reading
// the docker config files, so it is tested without an engine.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DockerOptions } from 'dockerode';
import { DockerUnavailableError } from './errors';
import { sshAgent } from './sshConnection';

export const DEFAULT_UNIX_SOCKET = '/var/run/docker.sock';
const DEFAULT_WINDOWS_PIPE = '//./pipe/docker_engine';

export interface DockerEndpoint {
  /** For messages: `unix:///var/run/docker.sock`, `tcp://10.0.0.2:2376`, `ssh://me@box`. */
  endpoint: string;
  /** Where it came from: `option`, `DOCKER_HOST`, `context "name"`, `default`. */
  source: string;
  /** Complete dockerode options (every connection field set, so none leaks in from the env). */
  options: DockerOptions;
}

export interface EndpointInputs {
  host?: string;
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
  platform?: NodeJS.Platform;
}

export function resolveDockerEndpoint(inputs: EndpointInputs = {}): DockerEndpoint {
  const env = inputs.env ?? process.env;
  const home = inputs.homeDir ?? homedir();
  const platform = inputs.platform ?? process.platform;
  const configDir = env.DOCKER_CONFIG || join(home, '.docker');
  const tlsFromEnv = () => ({
    verify: env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0',
    certDir: env.DOCKER_CERT_PATH || configDir,
  });

  if (inputs.host) return parseDockerHost(inputs.host, 'option', { ...tlsFromEnv(), env, platform });
  if (env.DOCKER_HOST) return parseDockerHost(env.DOCKER_HOST, 'DOCKER_HOST', { ...tlsFromEnv(), env, platform });

  const context = currentContextName(env, configDir);
  if (context && context.name !== 'default') {
    const id = createHash('sha256').update(context.name).digest('hex');
    const metaFile = join(configDir, 'contexts', 'meta', id, 'meta.json');
    const source = `context "${context.name}"`;
    let meta: ContextMeta;
    try {
      meta = JSON.parse(readFileSync(metaFile, 'utf8')) as ContextMeta;
    } catch (error) {
      throw new DockerUnavailableError(
        `Docker context "${context.name}" (from ${context.from}) cannot be read: ${metaFile}: ${(error as Error).message}. ` +
          'Check `docker context ls`, or set DOCKER_HOST.',
        'config',
        source,
        { cause: error },
      );
    }
    const docker = meta.Endpoints?.docker;
    if (docker?.Host) {
      const tlsDir = join(configDir, 'contexts', 'tls', id, 'docker');
      return parseDockerHost(docker.Host, source, {
        verify: existsSync(join(tlsDir, 'ca.pem')) && !docker.SkipTLSVerify,
        certDir: tlsDir,
        env,
        platform,
      });
    }
  }

  if (platform === 'win32') return parseDockerHost(`npipe://${DEFAULT_WINDOWS_PIPE}`, 'default', { verify: false, certDir: configDir, env, platform });
  // Docker Desktop on Linux and macOS may only offer the per-user socket.
  const userSocket = join(home, '.docker', 'run', 'docker.sock');
  const socket = !existsSync(DEFAULT_UNIX_SOCKET) && existsSync(userSocket) ? userSocket : DEFAULT_UNIX_SOCKET;
  return parseDockerHost(`unix://${socket}`, 'default', { verify: false, certDir: configDir, env, platform });
}

interface ContextMeta {
  Name?: string;
  Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } };
}

function currentContextName(env: NodeJS.ProcessEnv, configDir: string): { name: string; from: string } | null {
  if (env.DOCKER_CONTEXT) return { name: env.DOCKER_CONTEXT, from: 'DOCKER_CONTEXT' };
  const configFile = join(configDir, 'config.json');
  try {
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as { currentContext?: unknown };
    if (typeof config.currentContext === 'string' && config.currentContext) return { name: config.currentContext, from: configFile };
  } catch {
    // No or unreadable config: the CLI falls back to the default context too.
  }
  return null;
}

interface HostOptions {
  verify: boolean;
  certDir: string;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
}

/** `unix:///path`, `npipe:////./pipe/name`, `tcp://h:p`, `http(s)://h:p`, `ssh://user@h:p`; a bare `/path` is a socket. */
export function parseDockerHost(host: string, source: string, tls: HostOptions): DockerEndpoint {
  const none = { socketPath: undefined, host: undefined, port: undefined, protocol: undefined, username: undefined, ca: undefined, cert: undefined, key: undefined };
  const invalid = (why: string) =>
    new DockerUnavailableError(
      `Invalid Docker host "${host}" (from ${source}): ${why}. Use unix:///var/run/docker.sock, tcp://HOST:2375 or ssh://USER@HOST.`,
      'config',
      host,
    );

  if (host.startsWith('/')) host = `unix://${host}`;
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length) || DEFAULT_UNIX_SOCKET;
    return { endpoint: `unix://${socketPath}`, source, options: { ...none, socketPath } };
  }
  if (host.startsWith('npipe://')) {
    const socketPath = host.slice('npipe://'.length) || DEFAULT_WINDOWS_PIPE;
    return { endpoint: `npipe://${socketPath}`, source, options: { ...none, socketPath } };
  }
  if (!host.includes('://')) host = `tcp://${host}`;
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw invalid('not a URL');
  }
  if (!url.hostname) throw invalid('no host name');
  if (url.protocol === 'ssh:') {
    const port = url.port || '22';
    return {
      endpoint: `ssh://${url.username ? `${url.username}@` : ''}${url.hostname}${url.port ? `:${url.port}` : ''}`,
      source,
      // HTTP through the user's own ssh (sshConnection.ts), as the docker CLI does; `port` is the
      // SSH port (the way to the machine, e.g. for the swarm's data service address).
      options: {
        ...none,
        protocol: 'http',
        host: url.hostname,
        port,
        // docker-modem takes an agent (DockerOptions does not declare it).
        ...({ agent: sshAgent({ host: url.hostname, port: url.port || undefined, username: url.username || undefined }) } as DockerOptions),
      },
    };
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`unsupported scheme ${url.protocol}`);
  const https = url.protocol === 'https:' || tls.verify || url.port === '2376';
  const port = url.port || (https ? '2376' : '2375');
  const options: DockerOptions = { ...none, protocol: https ? 'https' : 'http', host: url.hostname, port };
  if (https) {
    // Client certificates are optional: a server may only need its CA trusted, or nothing.
    const read = (file: string) => (existsSync(join(tls.certDir, file)) ? readFileSync(join(tls.certDir, file)) : undefined);
    options.ca = read('ca.pem');
    options.cert = read('cert.pem');
    options.key = read('key.pem');
  }
  return { endpoint: `${url.protocol === 'tcp:' ? 'tcp' : url.protocol.slice(0, -1)}://${url.hostname}:${port}`, source, options };
}
