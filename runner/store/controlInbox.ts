import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, watch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseControlReply, parseControlRequest, type ControlReply, type ControlRequest } from '../../protocol/control';
import { makePrivateDir, writePrivateFileAtomic } from './privateFiles';

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
    makePrivateDir(this.dir, { enforce: true });
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
            // Checked on receipt: a malformed request never reaches the handler.
            const request = parseControlRequest(readFileSync(claimed, 'utf8'));
            if (request.ok) {
              await handle(request.value);
              reply = { ok: true };
            } else {
              reply = { ok: false, error: `malformed control request: ${request.error}` };
            }
          } catch (err) {
            reply = { ok: false, error: (err as Error).message };
          }
          writePrivateFileAtomic(replyFile, JSON.stringify(reply));
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
    makePrivateDir(this.dir, { enforce: true });
    const id = randomUUID();
    const file = path.join(this.dir, `${id}.request`);
    // Requests carry env values (modify): private, and whole when the owner sees them.
    writePrivateFileAtomic(file, JSON.stringify(request));
    const replyFile = path.join(this.dir, `${id}.reply`);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (existsSync(replyFile)) {
        const reply = parseControlReply(readFileSync(replyFile, 'utf8'));
        rmSync(replyFile, { force: true });
        return reply.ok ? reply.value : { ok: false, error: `the process running this pipeline sent a malformed reply: ${reply.error}` };
      }
      await sleep(20);
    }
    rmSync(file, { force: true });
    return { ok: false, error: `the process running this pipeline did not answer within ${timeoutMs / 1000}s` };
  }
}
