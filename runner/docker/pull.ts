// Making sure an image is on the engine: inspect it, else pull it (once, shared), reporting
// layer progress; a failed pull becomes an ImageUnavailableError that says what to do instead.
import type Dockerode from 'dockerode';
import { dockerEndpoint, dockerHostHint, explainDockerError } from './connect';
import { ImageUnavailableError, InvalidImageNameError } from './errors';
import { engineMessage, followEngineStream, type EngineEvent, type ImageProgress } from './progress';
import type { SharedWork } from './shared';
import { CancelledError, isAbortError, TimeoutError, withTimeout } from './timeout';

export interface LocalImage {
  id: string;
  pulled: boolean;
}

export interface PullOptions {
  onProgress?: (event: ImageProgress) => void;
  signal?: AbortSignal;
  /** Per metadata request (inspect). */
  timeoutMs: number;
  /** For the whole pull. */
  pullTimeoutMs: number;
  /** Extra advice for the error, e.g. how to choose another image. */
  hint: string;
  shared: SharedWork<unknown, ImageProgress>;
}

/**
 * The image's id, or null when the engine does not have it. A name no engine could take throws
 * InvalidImageNameError; other errors (no engine) throw DockerUnavailableError.
 */
export async function inspectImageId(docker: Dockerode, name: string, timeoutMs: number, signal?: AbortSignal): Promise<string | null> {
  try {
    const info = await withTimeout(docker.getImage(name).inspect(), timeoutMs, `Inspecting image ${name}`, signal);
    return info.Id;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return null;
    if (error instanceof CancelledError) throw error;
    const why = invalidName(error);
    if (why) throw new InvalidImageNameError(`Invalid image name "${name}": ${why}`, name, { cause: error });
    throw explainDockerError(error, dockerEndpoint(docker), dockerHostHint(docker));
  }
}

/**
 * The name itself was refused, not the engine unreachable: the HTTP client will not put it in a
 * request (a space), or the engine answers 400 (`invalid reference format`).
 */
function invalidName(error: unknown): string | null {
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (code === 'ERR_UNESCAPED_CHARACTERS') return 'it has characters no image name has (a space?)';
  if (statusCode === 400) return engineMessage(error);
  return null;
}

export async function ensureLocalImage(docker: Dockerode, name: string, options: PullOptions): Promise<LocalImage> {
  const id = await inspectImageId(docker, name, options.timeoutMs, options.signal);
  if (id) return { id, pulled: false };
  const result = await options.shared.run(
    `pull\0${name}`,
    async (signal, emit) => {
      // Another caller may have finished pulling between our inspect and now.
      const again = await inspectImageId(docker, name, options.timeoutMs, signal);
      if (again) return { id: again, pulled: false };
      return { id: await pull(docker, name, options, signal, emit), pulled: true };
    },
    { signal: options.signal, onProgress: options.onProgress, what: `Pulling ${name}` },
  );
  return result as LocalImage;
}

async function pull(docker: Dockerode, name: string, options: PullOptions, signal: AbortSignal, emit: (p: ImageProgress) => void): Promise<string> {
  const unavailable = (why: string, cause?: unknown) =>
    new ImageUnavailableError(
      `Image ${name} is not on the Docker engine at ${dockerEndpoint(docker)} and cannot be pulled: ${why}. ${options.hint}`,
      name,
      why,
      { cause },
    );
  emit({ kind: 'pull', image: name, message: `Pulling ${name}` });
  let streamError: string | null = null;
  try {
    await withTimeout(
      async (inner) => {
        const stream = await docker.pull(name, { abortSignal: inner });
        await followEngineStream(
          stream,
          (event: EngineEvent) => {
            if (event.error) {
              streamError = event.errorDetail?.message ?? event.error;
              return;
            }
            const message = [event.id, event.status, event.progress].filter(Boolean).join(': ');
            if (message) emit({ kind: 'pull', image: name, message, current: event.progressDetail?.current, total: event.progressDetail?.total });
          },
          inner,
        );
      },
      options.pullTimeoutMs,
      `Pulling ${name}`,
      signal,
    );
  } catch (error) {
    if (error instanceof CancelledError || (isAbortError(error) && signal.aborted)) throw new CancelledError(`Pulling ${name}`);
    if (error instanceof TimeoutError) throw unavailable(error.message, error);
    if (typeof (error as { statusCode?: unknown }).statusCode === 'number') throw unavailable(engineMessage(error), error);
    throw explainDockerError(error, dockerEndpoint(docker), dockerHostHint(docker));
  }
  if (streamError) throw unavailable(streamError);
  const id = await inspectImageId(docker, name, options.timeoutMs, signal);
  if (!id) throw unavailable('the engine reported no error, but the image is still missing');
  return id;
}
