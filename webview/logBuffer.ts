// Log text between the host's messages and the terminal: only the subscribed execution's, in
// order, handed over in bounded pieces. What waits is capped in lines: when the host sends faster
// than the terminal parses, the oldest waiting lines are dropped, as they would scroll out of the
// terminal's scrollback anyway; memory stays bounded and the view stays at the end. Pure.
import type { HostToWebview, LogStream } from '../protocol/webviewMessages';

type LogMessage = Extract<HostToWebview, { type: 'log' }>;

export interface LogDrain {
  /** Clear the terminal before writing. */
  reset: boolean;
  text: string;
}

interface Pending {
  text: string;
  /** Newlines in text. */
  lines: number;
}

export class LogBuffer {
  execution: string | null = null;
  stream: LogStream = 'combined';
  /** First byte of the file shown (> 0: the start was left out; "load more" asks for it). */
  from = 0;
  /** Next byte expected. */
  to = 0;
  size = 0;
  done = false;
  /** Newlines received since the last reset. */
  lines = 0;
  /** Lines dropped unwritten since the last reset (they would have scrolled out of the terminal). */
  dropped = 0;
  private pending: Pending[] = [];
  private pendingLines = 0;
  private pendingReset = false;
  /** Set per subscription until its first read arrives, so a late chunk of an earlier one is recognised. */
  private waitingForReset = false;

  /** `keepLines`: most lines kept waiting; more than the terminal keeps would be wasted. */
  constructor(private readonly keepLines = Infinity) {}

  subscribe(execution: string | null, stream: LogStream): void {
    this.execution = execution;
    this.stream = stream;
    this.from = this.to = this.size = this.lines = this.dropped = 0;
    this.done = false;
    this.pending = [];
    this.pendingLines = 0;
    this.pendingReset = true;
    this.waitingForReset = execution !== null;
  }

  /** Takes a message if it belongs to the current subscription; false: ignored. */
  accept(m: LogMessage): boolean {
    if (m.execution !== this.execution || m.stream !== this.stream) return false;
    if (m.reset) {
      this.waitingForReset = false;
      this.pending = [];
      this.pendingLines = 0;
      this.pendingReset = true;
      this.from = m.from;
      this.lines = this.dropped = 0;
    } else {
      if (this.waitingForReset) return false; // the tail of an earlier subscription
      if (m.from < this.to) return false; // already have it
    }
    this.to = m.to;
    this.size = Math.max(m.size, m.to);
    this.done = m.done;
    if (m.text) {
      const lines = countNewlines(m.text);
      this.pending.push({ text: m.text, lines });
      this.pendingLines += lines;
      this.lines += lines;
      if (this.pendingLines > this.keepLines) this.dropOldest(this.pendingLines - this.keepLines);
    }
    return true;
  }

  get hasPending(): boolean {
    return this.pendingReset || this.pending.length > 0;
  }

  /** Whether the next take() starts a new log (the terminal must be cleared whatever it is doing). */
  get resetPending(): boolean {
    return this.pendingReset;
  }

  /**
   * What to write now, at most `maxChars` characters (the rest stays for the next take); null when
   * nothing is waiting. xterm's parser takes escape sequences and surrogate pairs split across writes.
   */
  take(maxChars = Infinity): LogDrain | null {
    if (!this.hasPending) return null;
    const parts: string[] = [];
    let room = maxChars;
    while (this.pending.length && room > 0) {
      const head = this.pending[0]!;
      if (head.text.length <= room) {
        parts.push(head.text);
        room -= head.text.length;
        this.pendingLines -= head.lines;
        this.pending.shift();
      } else {
        const part = head.text.slice(0, room);
        const lines = countNewlines(part);
        parts.push(part);
        head.text = head.text.slice(room);
        head.lines -= lines;
        this.pendingLines -= lines;
        room = 0;
      }
    }
    const out = { reset: this.pendingReset, text: parts.join('') };
    this.pendingReset = false;
    return out;
  }

  /** Bytes at the start of the file not shown. */
  get leftOut(): number {
    return this.from;
  }

  /** Drops the oldest `n` whole lines waiting (a partial last line stays with its continuation). */
  private dropOldest(n: number): void {
    while (n > 0 && this.pending.length) {
      const head = this.pending[0]!;
      if (head.lines < n) {
        // Its unfinished last line ends in a later chunk, within the lines still to drop.
        this.pending.shift();
        n -= head.lines;
        this.pendingLines -= head.lines;
        this.dropped += head.lines;
        continue;
      }
      let at = -1;
      for (let k = 0; k < n; k++) at = head.text.indexOf('\n', at + 1);
      head.text = head.text.slice(at + 1);
      head.lines -= n;
      this.pendingLines -= n;
      this.dropped += n;
      if (!head.text) this.pending.shift();
      n = 0;
    }
  }
}

export function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** `text` in pieces of at most `size` characters, for writes the terminal parses in one go each. */
export function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let at = 0; at < text.length; at += size) out.push(text.slice(at, at + size));
  return out;
}
