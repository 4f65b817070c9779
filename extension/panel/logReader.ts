// Reads an execution's log file for the panel: the end of it first (up to a cap), then what the
// container appends. Byte offsets, not the runner's live events, decide what is new, so nothing is
// shown twice or lost between the first read and the tail. Plain Node: unit-tested.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { formatBytes } from '../../presentation/format';

export interface LogChunk {
  text: string;
  /** Byte range of the file this text covers. */
  from: number;
  to: number;
  /** The file's size when read. */
  size: number;
}

/** Looks this far past a cut for a line start, so the first line shown is whole. */
const LINE_SEARCH = 64 * 1024;

export class LogReader {
  private offset = 0;
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    readonly file: string,
    /** Most bytes one poll hands over; further behind than 4× this, the tail skips ahead. */
    private readonly maxPerRead = 4 * 1024 * 1024,
  ) {}

  /** The last `tailBytes` of the file (from a line start when cut), and the offset to tail from. */
  initial(tailBytes: number): LogChunk {
    return this.withFile((fd, size) => {
      let from = Math.max(0, size - tailBytes);
      if (from > 0) {
        const probe = Buffer.alloc(Math.min(LINE_SEARCH, size - from));
        const n = readSync(fd, probe, 0, probe.length, from);
        const nl = probe.subarray(0, n).indexOf(0x0a);
        if (nl >= 0) from += nl + 1;
      }
      const text = this.read(fd, from, size);
      this.offset = size;
      return { text, from, to: size, size };
    }) ?? { text: '', from: 0, to: 0, size: 0 };
  }

  /** What was appended since the last read; null when nothing was. */
  poll(): LogChunk | null {
    return this.withFile((fd, size) => {
      if (size < this.offset) this.offset = 0; // truncated or replaced
      if (size === this.offset) return null;
      let note = '';
      let from = this.offset;
      if (size - from > this.maxPerRead * 4) {
        const skipped = size - from - this.maxPerRead;
        from += skipped;
        this.decoder.end();
        note = `\r\n\x1b[2m… ${formatBytes(skipped)} not shown live (open the log to see everything) …\x1b[0m\r\n`;
      }
      const to = Math.min(size, from + this.maxPerRead);
      const text = note + this.read(fd, from, to);
      this.offset = to;
      return { text, from, to, size };
    }) ?? null;
  }

  /** The rest of a partial UTF-8 sequence once the file is final. */
  end(): string {
    return this.decoder.end();
  }

  get position(): number {
    return this.offset;
  }

  private read(fd: number, from: number, to: number): string {
    if (to <= from) return '';
    const buf = Buffer.alloc(to - from);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, from + got);
      if (n <= 0) break;
      got += n;
    }
    return this.decoder.write(buf.subarray(0, got));
  }

  private withFile<T>(fn: (fd: number, size: number) => T): T | undefined {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return undefined; // not written yet
    }
    try {
      return fn(fd, fstatSync(fd).size);
    } finally {
      closeSync(fd);
    }
  }
}
