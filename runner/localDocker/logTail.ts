import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

export interface LogTailOptions {
  intervalMs?: number;
  /** Most bytes read per tick: live display is capped, the file keeps everything. */
  maxBytesPerTick?: number;
}

/**
 * Follows a log file that a container writes, handing new text to `onText`. Memory stays bounded
 * whatever the volume: when output outruns the cap, the tail skips ahead and says so.
 */
export class LogTail {
  private offset = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly decoder = new StringDecoder('utf8');
  private readonly buffer: Buffer;
  private readonly intervalMs: number;

  constructor(
    private readonly file: string,
    private readonly onText: (text: string) => void,
    options: LogTailOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 200;
    this.buffer = Buffer.alloc(options.maxBytesPerTick ?? 256 * 1024);
  }

  start(): void {
    this.timer = setInterval(() => this.poll(), this.intervalMs);
    this.timer.unref();
  }

  /** Reads what is left (still capped) and stops. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.poll();
    const rest = this.decoder.end();
    if (rest) this.onText(rest);
  }

  private poll(): void {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return; // not created yet
    }
    try {
      const size = fstatSync(fd).size;
      const behind = size - this.offset;
      if (behind > this.buffer.length * 4) {
        const skipped = behind - this.buffer.length;
        this.offset += skipped;
        this.decoder.end();
        this.onText(`\n… ${skipped} bytes not shown live (the log file has everything) …\n`);
      }
      const n = readSync(fd, this.buffer, 0, this.buffer.length, this.offset);
      if (n > 0) {
        this.offset += n;
        const text = this.decoder.write(this.buffer.subarray(0, n));
        if (text) this.onText(text);
      }
    } finally {
      closeSync(fd);
    }
  }
}
