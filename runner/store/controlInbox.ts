import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeModification } from '../../protocol/runner';

/** An operation another process (the CLI) asks the pipeline's owner to carry out. */
export type ControlRequest =
  | { op: 'reset'; path: string }
  | { op: 'skip'; path: string; skipped: boolean }
  | { op: 'kill'; path: string }
  | { op: 'modify'; path: string; changes: NodeModification }
  | { op: 'autorun'; on: boolean }
  /** Pipeline steps: reset without their cached results. */
  | { op: 'refresh'; path: string }
  | { op: 'sleep' }
  | { op: 'wake' };

export interface ControlReply {
  ok: boolean;
  error?: string;
}

/**
 * Requests as files in the pipeline's `control/` folder: the owner watches it and answers with a
 * `.reply` file. Files, not sockets, because the store folder is the one thing both processes share.
 */
export class ControlInbox {
  private watcher: FSWatcher | undefined;
  private readonly dir: string;

  constructor(pipelineDir: string) {
    this.dir = path.join(pipelineDir, 'control');
  }

  /** Owner side: handle every request, now and as they arrive. */
  listen(handle: (request: ControlRequest) => Promise<void> | void): void {
    mkdirSync(this.dir, { recursive: true });
    const take = () => {
      for (const name of readdirSync(this.dir)) {
        if (!name.endsWith('.request')) continue;
        const file = path.join(this.dir, name);
        const claimed = `${file}.taken`;
        try {
          renameSync(file, claimed);
        } catch {
          continue; // taken by a previous pass
        }
        const replyFile = file.replace(/\.request$/, '.reply');
        void (async () => {
          let reply: ControlReply;
          try {
            await handle(JSON.parse(readFileSync(claimed, 'utf8')) as ControlRequest);
            reply = { ok: true };
          } catch (err) {
            reply = { ok: false, error: (err as Error).message };
          }
          writeFileSync(`${replyFile}.tmp`, JSON.stringify(reply));
          renameSync(`${replyFile}.tmp`, replyFile);
          rmSync(claimed, { force: true });
        })();
      }
    };
    this.watcher = watch(this.dir, () => take());
    take();
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Client side: sends a request and waits for the owner's reply. */
  async send(request: ControlRequest, timeoutMs = 10_000): Promise<ControlReply> {
    mkdirSync(this.dir, { recursive: true });
    const id = randomUUID();
    const file = path.join(this.dir, `${id}.request`);
    writeFileSync(`${file}.tmp`, JSON.stringify(request));
    renameSync(`${file}.tmp`, file);
    const replyFile = path.join(this.dir, `${id}.reply`);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (existsSync(replyFile)) {
        const reply = JSON.parse(readFileSync(replyFile, 'utf8')) as ControlReply;
        rmSync(replyFile, { force: true });
        return reply;
      }
      await sleep(20);
    }
    rmSync(file, { force: true });
    return { ok: false, error: `the process running this pipeline did not answer within ${timeoutMs / 1000}s` };
  }
}
