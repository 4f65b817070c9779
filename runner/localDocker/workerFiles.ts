// Where a worker's files come from. An engine on this machine mounts host folders (the SDK, the
// definition's folder read-only, the store's data folders); an engine elsewhere cannot see them, so
// they are copied into volumes on that engine through the API (engineVolumes.ts) and the shared
// data is copied back into the store.
import type Dockerode from 'dockerode';
import * as path from 'node:path';
import type { JobSpec } from '../backend';
import type { PipelineSpace } from '../store/pipelineSpace';
import { makePrivateDir } from '../store/privateFiles';
import type { WorkerMounts } from './containerConfig';
import { hiddenUnderDefinition } from './hiddenFolders';

export interface WorkerFiles {
  /** What a worker for this job mounts (made ready first). */
  mounts(job: JobSpec): Promise<WorkerMounts>;
  /** A job ended in `container`: what the runner reads of the shared data is brought up to date. */
  afterJob(container: Dockerode.Container, job: JobSpec): Promise<void>;
  /** The pipeline lets go of its workers (close, sleep): the shared data is brought home, copies go. */
  close(): Promise<void>;
  /** An image the engine has (a re-attached container's), to reach the volumes with. */
  useImage(image: string): void;
}

/** The store root: <root>/pipelines/<id> is a pipeline's folder. */
export function storeRootOf(space: PipelineSpace): string {
  return path.dirname(path.dirname(space.dir));
}

/** Host folders, bound into workers of an engine on this machine. */
export class HostFolders implements WorkerFiles {
  /** Per definition folder, what is hidden under it: asked per job, the same for the pipeline's life. */
  private readonly hiddenUnder = new Map<string, string[]>();
  private userDataMade = false;

  constructor(
    private readonly space: PipelineSpace,
    private readonly sdkDir: string,
    /** The engine's socket on this machine (a unix socket); null: nodes cannot be given one. */
    private readonly dockerSocket: string | null,
  ) {}

  async mounts(job: JobSpec): Promise<WorkerMounts> {
    // Made if a store predates it (once: a large run asks for every job).
    if (!this.userDataMade) makePrivateDir(this.space.userDataDir, { enforce: true });
    this.userDataMade = true;
    let hidden: string[] = [];
    if (job.definitionDir) {
      hidden = this.hiddenUnder.get(job.definitionDir) ?? hiddenUnderDefinition(job.definitionDir, storeRootOf(this.space));
      this.hiddenUnder.set(job.definitionDir, hidden);
    }
    return { sdk: this.sdkDir, data: this.space.dataDir, userData: this.space.userDataDir, src: job.definitionDir, dockerSocket: this.dockerSocket, ...(hidden.length ? { hidden } : {}) };
  }

  async afterJob(): Promise<void> {}

  async close(): Promise<void> {}

  useImage(): void {}
}
