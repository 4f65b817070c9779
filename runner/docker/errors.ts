// Errors a user can act on. Each message says what failed, where, and what to do next; the
// fields let callers (status bar, CLI exit codes) react without parsing the text.

export type DockerUnavailableReason =
  /** No socket, connection refused, host not found: the daemon is not there. */
  | 'not-running'
  | 'permission'
  | 'timeout'
  /** DOCKER_HOST or the docker context cannot be understood. */
  | 'config'
  /** The daemon answered, but with an error. */
  | 'error';

export class DockerUnavailableError extends Error {
  override readonly name = 'DockerUnavailableError';
  constructor(
    message: string,
    readonly reason: DockerUnavailableReason,
    readonly endpoint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The image is not on the engine and pulling it failed. */
export class ImageUnavailableError extends Error {
  override readonly name = 'ImageUnavailableError';
  constructor(
    message: string,
    readonly image: string,
    /** The engine's own words for why the pull failed. */
    readonly engineMessage: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The image name is not a Docker image reference: no engine could take it, running or not. */
export class InvalidImageNameError extends Error {
  override readonly name = 'InvalidImageNameError';
  constructor(
    message: string,
    readonly image: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class ImageBuildError extends Error {
  override readonly name = 'ImageBuildError';
  constructor(
    message: string,
    /** `Step 2/3 : RUN make`, when the engine said which step failed. */
    readonly step: string | null,
    /** The failing step's last output lines. */
    readonly output: string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
