// From "--backend swarm" to a working SwarmBackend: the manager checked to answer and to be a swarm
// manager, the engine the runner resolves node images on (its own when one answers: images built
// from a Dockerfile are made there and sent to the manager), and the data service the swarm's nodes
// reach the runner at. One data service per address serves every run of this process.
import type Dockerode from 'dockerode';
import { createDockerClient, dockerEndpoint, ensureDockerAvailable, type DockerEngineInfo } from '../docker/connect';
import { DataService, localAddressToward } from './dataService';
import { SwarmBackend } from './swarmBackend';

export interface SwarmConnection {
  manager: Dockerode;
  engine: DockerEngineInfo;
  /** Where node images are resolved and built (the runner's own engine, else the manager). */
  imageEngine: Dockerode;
  backend: SwarmBackend;
}

const services = new Map<string, Promise<DataService>>();
/** The data service's port when free (PIPEWRIGHT_DATA_PORT): a restarted runner is found where the last one was. */
const DATA_PORT = 7379;

export async function connectSwarm(o: { dockerHost?: string; dockerHostFrom?: string; registry: string; sdkDir: string; dataAddress?: string }): Promise<SwarmConnection> {
  const manager = createDockerClient({ host: o.dockerHost, hostFrom: o.dockerHostFrom });
  const engine = await ensureDockerAvailable(manager);
  const where = `point ${o.dockerHostFrom ?? 'DOCKER_HOST (or the pipewright.dockerHost setting, or the docker context)'} at one`;
  const swarm = ((await manager.info()) as { Swarm?: { ControlAvailable?: boolean; LocalNodeState?: string; NodeAddr?: string } }).Swarm;
  if (!swarm?.ControlAvailable) {
    const state = swarm?.LocalNodeState === 'active' ? 'a worker of a swarm, not a manager' : 'in no swarm';
    throw new Error(`${engine.endpoint} is not a Docker Swarm manager (${state}). The swarm backend runs nodes through a swarm manager: ${where}.`);
  }
  const imageEngine = (await ownEngine(manager)) ?? manager;
  let dataService: DataService;
  try {
    dataService = await dataServiceAt(o.dataAddress || process.env.PIPEWRIGHT_DATA_ADDRESS || (await addressTowardManager(manager, swarm.NodeAddr)));
  } catch (err) {
    throw new Error(`The swarm's nodes need to reach this runner for shared data, and no address for it was found (${(err as Error).message}); set PIPEWRIGHT_DATA_ADDRESS to an address of this machine they reach.`, { cause: err });
  }
  let backend: SwarmBackend;
  try {
    backend = await SwarmBackend.connect(manager, { registry: o.registry, sdkDir: o.sdkDir, imageSource: imageEngine === manager ? null : imageEngine, dataService });
  } catch (err) {
    throw new Error(`${(err as Error).message}. The swarm backend runs nodes through a swarm manager: ${where}.`, { cause: err });
  }
  return { manager, engine, imageEngine, backend };
}

/** The engine on this machine (the default endpoint), when it answers and is not the manager itself. */
async function ownEngine(manager: Dockerode): Promise<Dockerode | null> {
  let own: Dockerode;
  try {
    own = createDockerClient({});
  } catch {
    return null;
  }
  if (dockerEndpoint(own) === dockerEndpoint(manager)) return null;
  return ensureDockerAvailable(own, { timeoutMs: 3000 }).then(
    () => own,
    () => null,
  );
}

/**
 * An address of this machine the swarm's nodes reach: the way out toward a manager over TCP, or,
 * for a manager on this machine, the address its swarm node advertises.
 */
async function addressTowardManager(manager: Dockerode, nodeAddr: string | undefined): Promise<string> {
  const modem = (manager as unknown as { modem?: { host?: string; port?: number | string } }).modem;
  if (modem?.host) return localAddressToward(modem.host, Number(modem.port ?? 2375));
  if (!nodeAddr) throw new Error('the local engine advertises no swarm address');
  return nodeAddr;
}

function dataServiceAt(address: string): Promise<DataService> {
  const port = Number(process.env.PIPEWRIGHT_DATA_PORT) || DATA_PORT;
  const key = `${address} ${port}`;
  let started = services.get(key);
  if (!started) {
    const service = new DataService(address, port);
    started = service.start().then(() => service);
    services.set(key, started);
    started.catch(() => services.delete(key));
  }
  return started;
}
