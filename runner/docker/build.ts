// Running one build on the engine (classic builder, Engine API /build) from a tar we stream,
// forwarding its output line by line and turning a failure into an ImageBuildError that shows
// the failing step and its last lines of output.
import type Dockerode from 'dockerode';
import { dockerEndpoint, dockerHostHint, explainDockerError } from './connect';
import { ImageBuildError } from './errors';
import { engineMessage, followEngineStream, type EngineEvent, type ImageProgress } from './progress';
import { tarStream, type TarEntry } from './tar';
import { CancelledError, isAbortError, TimeoutError, withTimeout } from './timeout';

/** Colour and cursor codes in build output (ESC [ ... letter). */
const ANSI_ESCAPE = new RegExp(String.raw`\u001b\[[0-9;]*[A-Za-z]`, 'g');

/** Lines of the failing step kept for the error message. */
const TAIL_LINES = 20;

export interface BuildRequest {
  tag: string;
  /** The Dockerfile's path inside the archive. */
  dockerfile: string;
  entries: TarEntry[];
  labels: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
  emit: (progress: ImageProgress) => void;
}

/** Builds and tags; resolves with the new image's id. */
export async function buildImage(docker: Dockerode, request: BuildRequest): Promise<string> {
  const { tag } = request;
  const what = `Building ${tag}`;
  const log = new StepLog();
  let errorEvent: EngineEvent | null = null;
  let imageId: string | null = null;
  request.emit({ kind: 'build', image: tag, message: `Building ${tag}` });
  const archive = tarStream(request.entries);
  try {
    await withTimeout(
      async (signal) => {
        const stream = await docker.buildImage(archive, {
          t: tag,
          dockerfile: request.dockerfile,
          labels: request.labels,
          // Leave no intermediate containers behind, even when a step fails.
          rm: true,
          forcerm: true,
          abortSignal: signal,
        });
        await followEngineStream(
          stream,
          (event) => {
            if (event.error || event.errorDetail) {
              errorEvent = event;
              return;
            }
            if (event.aux?.ID) imageId = event.aux.ID;
            if (event.stream) {
              for (const line of log.add(event.stream)) request.emit({ kind: 'build', image: tag, message: line });
            } else if (event.status) {
              // A FROM that pulls reports pull progress inside the build stream.
              request.emit({ kind: 'build', image: tag, message: [event.id, event.status, event.progress].filter(Boolean).join(': '), current: event.progressDetail?.current, total: event.progressDetail?.total });
            }
          },
          signal,
        );
      },
      request.timeoutMs,
      what,
      request.signal,
    );
  } catch (error) {
    if (error instanceof CancelledError || (isAbortError(error) && request.signal.aborted)) throw new CancelledError(what);
    if (error instanceof TimeoutError) throw new ImageBuildError(`${what}: ${error.message}. ${log.describe()}`, log.step, log.tail(), { cause: error });
    // The engine refused the request itself (bad Dockerfile syntax, unknown instruction, ...).
    if (typeof (error as { statusCode?: unknown }).statusCode === 'number') {
      throw new ImageBuildError(`${what} failed: ${engineMessage(error)}`, log.step, log.tail(), { cause: error });
    }
    throw explainDockerError(error, dockerEndpoint(docker), dockerHostHint(docker));
  } finally {
    // pipe() does not destroy its source when the request dies: close the file being read.
    archive.destroy();
  }
  for (const line of log.flush()) request.emit({ kind: 'build', image: tag, message: line });
  const failed = errorEvent as EngineEvent | null;
  if (failed) {
    const message = (failed.errorDetail?.message ?? failed.error ?? 'unknown error').trim();
    throw new ImageBuildError(`${what} failed at ${log.step ?? 'an unknown step'}: ${message}${formatTail(log.tail())}`, log.step, log.tail());
  }
  if (!imageId) {
    // API < 1.30 does not send aux; the output's "Successfully built <id>" says the same.
    imageId = log.builtId();
  }
  if (!imageId) throw new ImageBuildError(`${what}: the engine's output ended without a result. ${log.describe()}`, log.step, log.tail());
  return imageId;
}

function formatTail(lines: string[]): string {
  return lines.length ? `\n${lines.map((l) => `  ${l}`).join('\n')}` : '';
}

/** Splits the build output into lines and remembers the current step's. */
class StepLog {
  step: string | null = null;
  private lines: string[] = [];
  private partial = '';
  private built: string | null = null;

  add(chunk: string): string[] {
    const text = this.partial + chunk;
    const parts = text.split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    return parts.map((line) => this.line(line));
  }

  flush(): string[] {
    const rest = this.partial;
    this.partial = '';
    return rest ? [this.line(rest)] : [];
  }

  tail(): string[] {
    return this.lines.slice(-TAIL_LINES);
  }

  builtId(): string | null {
    return this.built;
  }

  describe(): string {
    return this.step ? `Last step: ${this.step}${formatTail(this.tail())}` : '';
  }

  private line(line: string): string {
    const clean = line.replace(ANSI_ESCAPE, '');
    if (/^Step \d+\/\d+ : /.test(clean)) {
      this.step = clean;
      this.lines = [];
    } else if (!/^ ---> /.test(clean) && !/^Removing intermediate container /.test(clean)) {
      this.lines.push(clean);
      if (this.lines.length > TAIL_LINES * 4) this.lines.splice(0, this.lines.length - TAIL_LINES);
    }
    const built = /^Successfully built ([0-9a-f]+)/.exec(clean);
    if (built?.[1]) this.built = built[1];
    return clean;
  }
}
