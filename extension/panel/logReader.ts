// Reads an execution's log file for the panel: the end of it first (up to a cap), then what the
// container appends. Byte offsets, not the runner's live events, decide what is new, so nothing is
// shown twice or lost between the first read and the tail. Plain Node: unit-tested.
import { StringDecoder } from 'node:string_decoder';
import { formatBytes } from '../../presentation/format';
import { MAX_TAIL_BYTES } from '../../protocol/webviewMessages';
import type { LogFile } from '../../runner/store/pipelineSpace';

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
    readonly log: LogFile,
    /** Most bytes one poll hands over; further behind than 4× this, the tail skips ahead. */
    private readonly maxPerRead = 4 * 1024 * 1024,
  ) {}

  /**
   * The last `tailBytes` of the file (from a line start when cut), and the offset to tail from.
   * Never more than MAX_TAIL_BYTES, whoever asks: the host's memory stays bounded.
   */
  initial(tailBytes: number): LogChunk {
    const want = Math.min(tailBytes, MAX_TAIL_BYTES);
    return this.log.read((read, size) => {
      let from = Math.max(0, size - want);
      if (from > 0) {
        const nl = read(from, Math.min(size, from + LINE_SEARCH)).indexOf(0x0a);
        if (nl >= 0) from += nl + 1;
      }
      const text = this.decoder.write(read(from, size));
      this.offset = size;
      return { text, from, to: size, size };
    }) ?? { text: '', from: 0, to: 0, size: 0 };
  }

  /** What was appended since the last read; null when nothing was. */
  poll(): LogChunk | null {
    return this.log.read((read, size) => {
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
      const text = note + this.decoder.write(read(from, to));
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
}
