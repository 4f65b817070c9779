import { existsSync, watch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';

/**
 * Tells when a job's `<id>.exit` file appears in an exec folder: inotify for speed, a slow poll as
 * the safety net (a missed event must not hang a node).
 */
export class ExitWatcher {
  private readonly waiters = new Map<string, () => void>();
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;

  constructor(private readonly dir: string) {}

  wait(execId: string): Promise<void> {
    this.ensureStarted();
    return new Promise((resolve) => {
      if (existsSync(this.exitFile(execId))) return resolve();
      this.waiters.set(execId, resolve);
    });
  }

  cancel(execId: string): void {
    this.waiters.delete(execId);
    this.stopIfIdle();
  }

  exitFile(execId: string): string {
    return path.join(this.dir, `${execId}.exit`);
  }

  close(): void {
    this.watcher?.close();
    if (this.poll) clearInterval(this.poll);
    this.watcher = undefined;
    this.poll = undefined;
  }

  private ensureStarted(): void {
    if (this.watcher) return;
    this.watcher = watch(this.dir, (_event, name) => {
      if (name && name.endsWith('.exit')) this.check(name.slice(0, -'.exit'.length));
    });
    this.poll = setInterval(() => {
      for (const id of [...this.waiters.keys()]) this.check(id);
    }, 500);
    this.poll.unref();
  }

  private check(execId: string): void {
    const resolve = this.waiters.get(execId);
    if (!resolve || !existsSync(this.exitFile(execId))) return;
    this.waiters.delete(execId);
    resolve();
    this.stopIfIdle();
  }

  private stopIfIdle(): void {
    if (this.waiters.size === 0) this.close();
  }
}
