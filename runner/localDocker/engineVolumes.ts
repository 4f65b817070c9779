// A worker's files on an engine that shares no files with the runner (DOCKER_HOST=tcp://…, ssh://…):
// volumes on that engine, filled through the API when the pipeline's first worker needs them. The
// SDK and the definition's folder are copies, mounted read-only; the shared data (co.data.pipeline
// and ClearML artifacts) and the user's data are volumes every worker of the pipeline mounts, as the
// host folders are on a local engine, and go back into the store when the pipeline lets go of its
// workers (and after each job of a pipeline whose runner reads them: ClearML). A restarted runner
// finds the volumes by name and keeps what is in them.
import type Dockerode from 'dockerode';
import type { JobSpec } from '../backend';
import { CONTAINER_PATHS } from '../nodePaths';
import type { PipelineSpace } from '../store/pipelineSpace';
import { collectContext } from '../docker/buildContext';
import { LABELS, type WorkerMounts } from './containerConfig';
import { packFolder, unpackInto } from './volumeArchive';
import { storeRootOf, type WorkerFiles } from './workerFiles';

/** Marks the volumes of a pipeline, with LABELS.pipeline and LABELS.owner. */
export const VOLUME_ROLE_LABEL = 'pipewright.volume';
/** An image the engine had when the volume was made: a later runner reaches the volume with it. */
const CARRIER_LABEL = 'pipewright.carrier-image';

type Role = 'sdk' | 'src' | 'data' | 'userdata';

/** Where a carrier container mounts a volume while it is filled or read. */
const CARRIER_PATH = '/pipewright-volume';

export class EngineVolumes implements WorkerFiles {
  private readonly ready = new Map<Role, Promise<string>>();
  /** An image the engine has (a job's), to make the carrier containers with. */
  private carrierImage: string | undefined;
  /** What the store's data folder held when it last matched the volume (path, size, mtime of each). */
  private dataSeen = '';
  /**
   * Copies of the shared data in and out, one at a time and in order: two steps' data coming home
   * at once would interleave, and an older copy could land after a newer one.
   */
  private dataCopies: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly docker: Dockerode,
    private readonly pipelineId: string,
    private readonly owner: string,
    private readonly space: PipelineSpace,
    private readonly sdkDir: string,
    /** The engine's own socket, on its machine, for nodes that require docker. */
    private readonly dockerSocket: string | null,
  ) {}

  /** An image the carriers can use: a job's, or the image of a container a restarted runner found. */
  useImage(image: string): void {
    this.carrierImage ??= image;
  }

  async mounts(job: JobSpec): Promise<WorkerMounts> {
    this.useImage(job.image);
    const [sdk, data, userData, src] = await Promise.all([
      this.volume('sdk', () => packFolder(this.sdkDir)),
      this.volume('data', () => packFolder(this.space.dataDir)),
      this.volume('userdata', () => packFolder(this.space.userDataDir)),
      job.definitionDir ? this.volume('src', () => packFolder(job.definitionDir!, [storeRootOf(this.space)])) : null,
    ]);
    // The runner wrote into the store's data since the volume last matched it (a ClearML callback): copied in.
    if (job.sharesDataWithRunner)
      await this.oneAtATime(async () => {
        if ((await this.dataFingerprint()) !== this.dataSeen) await this.fill(data, await packFolder(this.space.dataDir));
      });
    return { sdk, data, userData, src, dockerSocket: this.dockerSocket };
  }

  async afterJob(container: Dockerode.Container, job: JobSpec): Promise<void> {
    if (!job.sharesDataWithRunner) return;
    await this.oneAtATime(async () => {
      await unpackInto((await container.getArchive({ path: CONTAINER_PATHS.data })) as NodeJS.ReadableStream, this.space.dataDir);
      this.dataSeen = await this.dataFingerprint();
    });
  }

  private oneAtATime(copy: () => Promise<void>): Promise<void> {
    const turn = this.dataCopies.then(copy);
    this.dataCopies = turn.catch(() => undefined);
    return turn;
  }

  /**
   * Brings the shared data home and removes every volume of the pipeline (its workers are gone).
   * Data that cannot come home (no image to reach it with, the engine failing) stays on the engine
   * for the next runner, rather than be lost.
   */
  async close(): Promise<void> {
    this.ready.clear();
    const volumes = await this.listVolumes();
    const named = (role: Role) => volumes.find((v) => v.Labels?.[VOLUME_ROLE_LABEL] === role)?.Name;
    const data = named('data');
    const userData = named('userdata');
    const image = this.carrierImage ?? volumes.map((v) => v.Labels?.[CARRIER_LABEL]).find(Boolean);
    let home = !data && !userData;
    if (!home && image) {
      this.useImage(image);
      home = await this.withCarrier({ ...(data ? { data } : {}), ...(userData ? { userdata: userData } : {}) }, async (carrier) => {
        if (data) await unpackInto((await carrier.getArchive({ path: `${CARRIER_PATH}/data` })) as NodeJS.ReadableStream, this.space.dataDir);
        if (userData) await unpackInto((await carrier.getArchive({ path: `${CARRIER_PATH}/userdata` })) as NodeJS.ReadableStream, this.space.userDataDir);
      }).then(
        () => true,
        () => false,
      );
    }
    const removable = home ? volumes : volumes.filter((v) => v.Name !== data && v.Name !== userData);
    await Promise.all(removable.map((v) => this.docker.getVolume(v.Name).remove().catch(() => undefined)));
  }

  /** The volume of `role`, made and filled once; one a restarted runner left is kept as it is. */
  private volume(role: Role, content: () => Promise<NodeJS.ReadableStream>): Promise<string> {
    let ready = this.ready.get(role);
    if (!ready) {
      ready = this.makeVolume(role, content);
      this.ready.set(role, ready);
      ready.catch(() => this.ready.delete(role));
    }
    return ready;
  }

  private async makeVolume(role: Role, content: () => Promise<NodeJS.ReadableStream>): Promise<string> {
    const name = `pipewright-${this.pipelineId}-${this.owner.slice(0, 8)}-${role}`;
    const found = await this.docker.getVolume(name).inspect().catch(() => null);
    if (found) return name;
    const labels = { [LABELS.pipeline]: this.pipelineId, [LABELS.owner]: this.owner, [VOLUME_ROLE_LABEL]: role, ...(this.carrierImage ? { [CARRIER_LABEL]: this.carrierImage } : {}) };
    await this.docker.createVolume({ Name: name, Labels: labels });
    try {
      await this.fill(name, await content());
    } catch (err) {
      await this.docker.getVolume(name).remove().catch(() => undefined);
      throw new Error(`copying ${describe(role)} to the Docker engine failed: ${(err as Error).message}`, { cause: err });
    }
    if (role === 'data') this.dataSeen = await this.dataFingerprint();
    return name;
  }

  private async fill(volume: string, archive: NodeJS.ReadableStream): Promise<void> {
    await this.withCarrier({ v: volume }, (carrier) => carrier.putArchive(archive, { path: `${CARRIER_PATH}/v` }));
  }

  /** A container never started, only there to reach volumes through the archive API. */
  private async withCarrier<T>(volumes: Record<string, string>, work: (carrier: Dockerode.Container) => Promise<T>): Promise<T> {
    if (!this.carrierImage) throw new Error('no image on the engine to copy files with yet');
    const carrier = await this.docker.createContainer({
      Image: this.carrierImage,
      Entrypoint: ['true'],
      Cmd: [],
      NetworkDisabled: true,
      Labels: { [LABELS.pipeline]: this.pipelineId, [LABELS.owner]: this.owner },
      HostConfig: { Binds: Object.entries(volumes).map(([at, name]) => `${name}:${CARRIER_PATH}/${at}`), NetworkMode: 'none' },
    });
    try {
      return await work(carrier);
    } finally {
      await carrier.remove({ force: true }).catch(() => undefined);
    }
  }

  private async listVolumes(): Promise<{ Name: string; Labels: Record<string, string> | null }[]> {
    const res = await this.docker.listVolumes({ filters: { label: [`${LABELS.pipeline}=${this.pipelineId}`, `${LABELS.owner}=${this.owner}`] } }).catch(() => ({ Volumes: [] }));
    return (res.Volumes ?? []) as { Name: string; Labels: Record<string, string> | null }[];
  }

  private async dataFingerprint(): Promise<string> {
    const entries = await collectContext(this.space.dataDir).catch(() => []);
    return JSON.stringify(entries.map((e) => [e.path, e.size, e.mtimeMs]));
  }
}

function describe(role: Role): string {
  return { sdk: 'the Python SDK', src: "the definition's folder", data: "the pipeline's shared data", userdata: "the user's data" }[role];
}
