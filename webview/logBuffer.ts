// Log text between the host's messages and the terminal: only the subscribed execution's, in
// order, coalesced so the terminal is written once per frame however many chunks arrive. Pure.
import type { HostToWebview, LogStream } from '../extension/protocol/webviewMessages';

type LogMessage = Extract<HostToWebview, { type: 'log' }>;

export interface LogDrain {
  /** Clear the terminal before writing. */
  reset: boolean;
  text: string;
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
  private pending: string[] = [];
  private pendingReset = false;
  /** Bumped per subscription, so a late chunk of an earlier one is recognised. */
  private waitingForReset = false;

  subscribe(execution: string | null, stream: LogStream): void {
    this.execution = execution;
    this.stream = stream;
    this.from = this.to = this.size = this.lines = 0;
    this.done = false;
    this.pending = [];
    this.pendingReset = true;
    this.waitingForReset = execution !== null;
  }

  /** Takes a message if it belongs to the current subscription; false: ignored. */
  accept(m: LogMessage): boolean {
    if (m.execution !== this.execution || m.stream !== this.stream) return false;
    if (m.reset) {
      this.waitingForReset = false;
      this.pending = [];
      this.pendingReset = true;
      this.from = m.from;
      this.lines = 0;
    } else {
      if (this.waitingForReset) return false; // the tail of an earlier subscription
      if (m.from < this.to) return false; // already have it
    }
    this.to = m.to;
    this.size = Math.max(m.size, m.to);
    this.done = m.done;
    if (m.text) {
      this.pending.push(m.text);
      this.lines += countNewlines(m.text);
    }
    return true;
  }

  get hasPending(): boolean {
    return this.pendingReset || this.pending.length > 0;
  }

  /** What to write now (xterm's parser takes escape sequences split across writes); null when nothing is waiting. */
  take(): LogDrain | null {
    if (!this.hasPending) return null;
    const out = { reset: this.pendingReset, text: this.pending.join('') };
    this.pending = [];
    this.pendingReset = false;
    return out;
  }

  /** Bytes at the start of the file not shown. */
  get leftOut(): number {
    return this.from;
  }
}

export function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
