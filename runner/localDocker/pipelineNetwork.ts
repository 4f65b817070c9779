// A pipeline's own Docker network, as Conducto makes one per pipeline (`conducto_network_<id>`):
// its workers are on it and nowhere else, so a node reaches another node's server, or a container
// a `requires_docker` node starts with `--network conducto_network_$CONDUCTO_PIPELINE_ID`, by name
// (Docker's DNS on user-defined networks), while containers of other pipelines are on other
// networks and out of reach. It is a bridge like Docker's default one: nothing of the host opens.
import type Dockerode from 'dockerode';
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { isPipelineDirLive } from '../store/pipelineStore';
import { LABELS } from './containerConfig';

/** Marks a network as this store's pipeline's: pipeline names repeat across stores on one engine. */
export const OWNER_LABEL = 'pipewright.network-owner';
/** The pipeline's folder: tells whether anyone still runs it (its lock), once its runner is gone. */
export const DIR_LABEL = 'pipewright.pipeline-dir';

/** Conducto's name of a pipeline's network: examples write it in their commands. */
export function conductoNetworkName(pipelineId: string): string {
  return `conducto_network_${pipelineId}`;
}

/** A pipeline folder's path without links (the same store reached by two paths is one owner); as given if it is gone. */
export function ownerKeyOf(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

/** What a pipeline's network and workers are labelled with (LABELS.owner), from its `ownerKeyOf`. */
export function ownerOf(ownerKey: string): string {
  return createHash('sha256').update(ownerKey).digest('hex').slice(0, 16);
}

export class PipelineNetwork {
  private ready: Promise<string> | undefined;
  /** Tells this pipeline from a namesake in another store; its workers carry it too (LABELS.owner). */
  readonly owner: string;

  /** `ownerKey`: what tells this pipeline from a namesake in another store (its folder's path). */
  constructor(
    private readonly docker: Dockerode,
    private readonly pipelineId: string,
    private readonly ownerKey: string,
  ) {
    this.owner = ownerOf(ownerKey);
  }

  /** The network's name, made the first time it is asked for (again after a failure or `remove`). */
  ensure(): Promise<string> {
    this.ready ??= this.make().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  /**
   * Removes the network, also one a previous runner made (this one only re-attached to its jobs);
   * one a node's own container still uses stays, as Conducto leaves it.
   */
  async remove(): Promise<void> {
    const ready = this.ready;
    this.ready = undefined;
    await ready?.catch(() => undefined);
    for (const name of this.names()) {
      const found = await this.docker.getNetwork(name).inspect().catch(() => null);
      if ((found as { Labels?: Record<string, string> } | null)?.Labels?.[OWNER_LABEL] === this.owner) {
        await this.docker.getNetwork(name).remove().catch(() => undefined);
      }
    }
  }

  /** Conducto's name, then the one used when a namesake pipeline of another store holds it. */
  private names(): string[] {
    const conducto = conductoNetworkName(this.pipelineId);
    return [conducto, `${conducto}_${this.owner.slice(0, 8)}`];
  }

  /**
   * Conducto's name, unless a namesake pipeline of another store holds it: then that name with
   * this owner's key (the nodes still find it in CONDUCTO_NETWORK).
   */
  private async make(): Promise<string> {
    const names = this.names();
    for (const name of names) {
      if (await this.claim(name)) return name;
    }
    throw new Error(`the Docker networks ${names.join(' and ')} belong to other pipelines of the same name (other stores)`);
  }

  /** Whether `name` is now this pipeline's network: found as ours, or made. */
  private async claim(name: string): Promise<boolean> {
    let reclaimed = false;
    for (let attempt = 0; attempt < 3; attempt++) {
      const found = await this.docker
        .getNetwork(name)
        .inspect()
        .catch((err: { statusCode?: number }) => {
          if (err?.statusCode === 404) return null;
          throw err;
        });
      if (found) return (found as { Labels?: Record<string, string> }).Labels?.[OWNER_LABEL] === this.owner;
      try {
        await this.docker.createNetwork({
          Name: name,
          Driver: 'bridge',
          CheckDuplicate: true,
          Labels: { [LABELS.pipeline]: this.pipelineId, [OWNER_LABEL]: this.owner, [DIR_LABEL]: this.ownerKey },
        });
        return true;
      } catch (err) {
        // Out of address ranges: networks runners left when they were killed hold them. Those
        // nobody runs any more go, once, and the creation is tried again.
        if (!reclaimed && outOfAddresses(err)) {
          reclaimed = true;
          if ((await reclaimUnusedNetworks(this.docker)).length) continue;
        }
        // Made meanwhile by someone else: look again at whose it is.
        if ((err as { statusCode?: number }).statusCode !== 409) throw networkError(name, err);
      }
    }
    return false;
  }
}

function errorText(err: unknown): string {
  return String((err as { json?: { message?: string } }).json?.message ?? (err as Error).message ?? err);
}

function outOfAddresses(err: unknown): boolean {
  return /address pool|non-overlapping/i.test(errorText(err));
}

/**
 * Removes pipeline networks no container uses whose pipeline no live process runs (its folder is
 * gone, or its lock is free): what runners killed before they could remove theirs left. A network
 * without the folder label (made by an older version) goes when no container uses it. Returns the
 * names removed.
 */
export async function reclaimUnusedNetworks(docker: Dockerode): Promise<string[]> {
  const removed: string[] = [];
  const networks = await docker.listNetworks({ filters: { label: [OWNER_LABEL] } });
  for (const { Name, Id } of networks) {
    const info = (await docker.getNetwork(Id).inspect().catch(() => null)) as { Containers?: Record<string, unknown>; Labels?: Record<string, string> } | null;
    if (!info || Object.keys(info.Containers ?? {}).length) continue;
    const dir = info.Labels?.[DIR_LABEL];
    if (dir && isPipelineDirLive(dir)) continue;
    if (await docker.getNetwork(Id).remove().then(() => true, () => false)) removed.push(Name);
  }
  return removed;
}

/** Why the network could not be made, saying what to do when the engine ran out of address pools. */
function networkError(name: string, err: unknown): Error {
  const text = errorText(err);
  const hint = outOfAddresses(err) ? ' (the engine has no free address range: remove unused networks with `docker network prune`, or widen default-address-pools in daemon.json)' : '';
  return new Error(`could not create the pipeline's Docker network ${name}: ${text}${hint}`);
}
