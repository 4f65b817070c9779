// Every engine call gets a deadline and a way to be cancelled: a daemon that accepts the
// connection but never answers must not hang a run, and a user's Stop must end the wait at once.

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what} timed out after ${formatMs(ms)}`);
  }
}

export class CancelledError extends Error {
  override readonly name = 'AbortError';
  constructor(readonly what: string) {
    super(`${what} was cancelled`);
  }
}

/**
 * Settles like `work`, or rejects with TimeoutError after `ms` (0 or Infinity: no deadline) or
 * CancelledError when `signal` aborts. Pass a function to have the request itself aborted on
 * either (dockerode takes `abortSignal`); a bare promise is only abandoned.
 */
export function withTimeout<T>(
  work: Promise<T> | ((signal: AbortSignal) => Promise<T>),
  ms: number,
  what: string,
  signal?: AbortSignal,
): Promise<T> {
  if (signal?.aborted) return Promise.reject(new CancelledError(what));
  const inner = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (settle: () => void) => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    const onAbort = () => {
      finish(() => reject(new CancelledError(what)));
      inner.abort(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (ms > 0 && Number.isFinite(ms)) {
      timer = setTimeout(() => {
        const error = new TimeoutError(what, ms);
        finish(() => reject(error));
        inner.abort(error);
      }, ms);
    }
    let promise: Promise<T>;
    try {
      promise = typeof work === 'function' ? work(inner.signal) : work;
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}

/** True for the rejection of an aborted request, however the layer below spelled it. */
export function isAbortError(error: unknown): boolean {
  return error instanceof CancelledError || (error instanceof Error && (error.name === 'AbortError' || (error as NodeJS.ErrnoException).code === 'ABORT_ERR'));
}

export function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}
