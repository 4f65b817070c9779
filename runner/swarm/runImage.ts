// How the SDK and the definition's folder reach a swarm task: in an image. The manager API cannot
// copy files into a task and the nodes share no folder with the runner, so per (node image, SDK,
// definition folder) the manager builds `FROM <node image>` with the SDK at /pipewright/sdk and the
// folder at /pipewright/src, and pushes it to the registry the nodes pull from (the swarm
// scheduler ignores where an image is). Named by a content hash: a pipeline builds it once, and
// another run with the same content pushes nothing new.
import type Dockerode from 'dockerode';
import { collectContext, toTarEntries, type ContextEntry } from '../docker/buildContext';
import { buildImage } from '../docker/build';
import { computeImageKey } from '../docker/imageKey';
import { followEngineStream } from '../docker/progress';
import { withTimeout } from '../docker/timeout';
import type { TarEntry } from '../docker/tar';
import { CONTAINER_PATHS } from '../nodePaths';

export const RUN_REPOSITORY = 'pipewright-run';
const BUILD_TIMEOUT_MS = 10 * 60_000;

export interface RunImageOptions {
  /** The swarm's manager: it builds and pushes (it trusts the registry its nodes pull from). */
  manager: Dockerode;
  /** The engine the runner resolved node images on (they may exist only there); null: the manager. */
  source: Dockerode | null;
  /** HOST:PORT of the registry. */
  registry: string;
  sdkDir: string;
}

export class RunImages {
  /** Registry references by content key, this backend's (every pipeline's): each built and pushed once. */
  private readonly ready = new Map<string, Promise<string>>();

  constructor(private readonly options: RunImageOptions) {}

  /**
   * The registry reference a task of this node image and folder runs. The folder is read again for
   * every job (a reset after an edit runs the new code, as a local node sees its folder live); an
   * unchanged one finds its image made.
   */
  forJob(image: string, definitionDir: string | null, neverSent: readonly string[], signal: AbortSignal): Promise<string> {
    return withTimeout(this.make(image, definitionDir, neverSent), 0, `preparing the swarm image of ${image}`, signal);
  }

  /** `neverSent`: folders left out even when inside the definition's folder (the store). */
  private async make(image: string, definitionDir: string | null, neverSent: readonly string[]): Promise<string> {
    const { sdkDir } = this.options;
    const baseId = await this.onManager(image);
    const sdk = await collectContext(sdkDir);
    const src = definitionDir ? await collectContext(definitionDir, neverSent) : null;
    const dockerfile = [`FROM ${image}`, `COPY sdk ${CONTAINER_PATHS.sdk}`, ...(src ? [`COPY src ${CONTAINER_PATHS.src}`] : []), ''].join('\n');
    const files: { prefix: string; entries: ContextEntry[] }[] = [{ prefix: 'sdk', entries: sdk }, ...(src ? [{ prefix: 'src', entries: src }] : [])];
    const key = await computeImageKey({ bases: [baseId], dockerfileName: 'Dockerfile', dockerfile, files });
    let ready = this.ready.get(key);
    if (!ready) {
      ready = this.buildAndPush(key, dockerfile, sdk, src);
      this.ready.set(key, ready);
      // A failure is not remembered: the next job tries again.
      ready.catch(() => this.ready.delete(key));
    }
    return ready;
  }

  private async buildAndPush(key: string, dockerfile: string, sdk: ContextEntry[], src: ContextEntry[] | null): Promise<string> {
    const { manager, registry } = this.options;
    const tag = `${registry}/${RUN_REPOSITORY}:${key.slice(0, 16)}`;
    const now = Math.floor(Date.now() / 1000);
    const entries: TarEntry[] = [
      { name: 'Dockerfile', type: 'file', mode: 0o644, mtime: now, content: Buffer.from(dockerfile) },
      { name: 'sdk', type: 'dir', mode: 0o755, mtime: now },
      ...toTarEntries(sdk, 'sdk'),
      ...(src ? [{ name: 'src', type: 'dir' as const, mode: 0o755, mtime: now }, ...toTarEntries(src, 'src')] : []),
    ];
    const built = await manager
      .getImage(tag)
      .inspect()
      .then(() => true, () => false);
    if (!built) {
      await buildImage(manager, { tag, dockerfile: 'Dockerfile', entries, labels: { 'pipewright.run-image': key }, timeoutMs: BUILD_TIMEOUT_MS, signal: new AbortController().signal, emit: () => undefined });
    }
    await this.push(tag);
    return tag;
  }

  /**
   * The node image's id, on the manager: sent there from the runner's engine when only that one
   * has it (an image the runner built from a Dockerfile), through the API (save, load).
   */
  private async onManager(image: string): Promise<string> {
    const { manager, source } = this.options;
    const local = source ? await source.getImage(image).inspect().catch(() => null) : null;
    const there = await manager.getImage(local?.Id ?? image).inspect().catch(() => null);
    if (there) return there.Id;
    if (!source || !local) throw new Error(`the swarm manager has no image ${image} (and the runner's engine has none to send it)`);
    const archive = (await source.getImage(image).get()) as NodeJS.ReadableStream;
    const loading = (await manager.loadImage(archive, { quiet: true })) as NodeJS.ReadableStream;
    let failed: string | null = null;
    await followEngineStream(loading, (event) => {
      if (event.error || event.errorDetail) failed = event.errorDetail?.message ?? event.error ?? 'unknown error';
    });
    if (failed) throw new Error(`sending ${image} to the swarm manager failed: ${failed}`);
    return local.Id;
  }

  /** Pushes to the registry; the engine reports a failure inside its stream. */
  private async push(tag: string): Promise<void> {
    const stream = (await this.options.manager.getImage(tag).push({ authconfig: {} } as never)) as unknown as NodeJS.ReadableStream;
    let failed: string | null = null;
    await followEngineStream(stream, (event) => {
      if (event.error || event.errorDetail) failed = event.errorDetail?.message ?? event.error ?? 'unknown error';
    });
    if (failed) throw new Error(`pushing ${tag} to the registry ${this.options.registry} failed: ${failed}`);
  }
}
