// One pull or build per key, however many nodes ask for it at once. Every caller gets the
// progress and the result; one caller cancelling stops only its own wait, and the work itself is
// aborted only when no caller is left waiting for it.
import { CancelledError } from './timeout';

interface Running<T, P> {
  promise: Promise<T>;
  controller: AbortController;
  listeners: Set<(progress: P) => void>;
  waiters: number;
}

export class SharedWork<T, P> {
  private readonly running = new Map<string, Running<T, P>>();

  /** How many distinct operations are in flight (for tests and diagnostics). */
  get size(): number {
    return this.running.size;
  }

  run(
    key: string,
    start: (signal: AbortSignal, emit: (progress: P) => void) => Promise<T>,
    options: { signal?: AbortSignal; onProgress?: (progress: P) => void; what?: string } = {},
  ): Promise<T> {
    const what = options.what ?? key;
    if (options.signal?.aborted) return Promise.reject(new CancelledError(what));
    let work = this.running.get(key);
    if (!work) {
      const controller = new AbortController();
      const listeners = new Set<(progress: P) => void>();
      const emit = (progress: P) => {
        for (const listener of listeners) {
          try {
            listener(progress);
          } catch {
            // A caller's progress handler must not break the build the others wait for.
          }
        }
      };
      const created: Running<T, P> = { promise: Promise.resolve().then(() => start(controller.signal, emit)), controller, listeners, waiters: 0 };
      work = created;
      this.running.set(key, created);
      const forget = () => {
        if (this.running.get(key) === created) this.running.delete(key);
      };
      created.promise.then(forget, forget);
    }
    const joined = work;
    joined.waiters++;
    const listener = options.onProgress;
    if (listener) joined.listeners.add(listener);

    return new Promise<T>((resolve, reject) => {
      const leave = () => {
        if (listener) joined.listeners.delete(listener);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        leave();
        if (--joined.waiters === 0) {
          // Nobody wants it any more: stop it, and let the next caller start afresh.
          if (this.running.get(key) === joined) this.running.delete(key);
          joined.controller.abort(new CancelledError(what));
        }
        reject(new CancelledError(what));
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      joined.promise.then(
        (value) => {
          leave();
          resolve(value);
        },
        (error: unknown) => {
          leave();
          reject(error);
        },
      );
    });
  }
}
