// One job's output as it arrives from its worker's stdout and stderr: the bytes between the
// agent's start and end markers for this job's nonce go to the job's log (every byte, in order),
// and live text to the views (capped); the end markers carry the exit status.
import { StringDecoder } from 'node:string_decoder';
import { endMarker, startMarker } from './agent';

export type StreamName = 'stdout' | 'stderr';

/** Where the job's bytes go: the pipeline's log files (runner/store/pipelineSpace.ts). */
export interface OutputSink {
  /** The job begins: once, before its first byte (a re-attach rewrites the log here). */
  begin(): void;
  write(stream: StreamName, bytes: Buffer): void;
}

/** What reads a worker's demultiplexed output. */
export interface OutputConsumer {
  feed(stream: StreamName, chunk: Buffer): void;
  close(): void;
}

interface StreamState {
  started: boolean;
  /** Bytes held back: they may be the start of a marker. */
  held: Buffer;
  /** The end marker was seen: its status so far (up to the newline). */
  status: string | null;
  ended: boolean;
}

/** Most live text handed over per interval: the log file keeps everything. */
const LIVE_BYTES_PER_TICK = 256 * 1024;
const LIVE_TICK_MS = 100;

export class JobOutput implements OutputConsumer {
  readonly done: Promise<number | null>;
  /** When the job ended, as the agent saw it (ms), once `done`. */
  endedAt: number | undefined;
  /** The container's peak memory as the agent read it at the job's end (bytes), once `done`. */
  peakBytes: number | undefined;
  /** Processes of the container the kernel killed for memory during the job, as the agent counted them. */
  oomKills: number | undefined;
  /** Its output could not be kept (the store cannot be written): the job must stop. */
  failure: Error | undefined;
  private resolveDone!: (status: number | null) => void;
  private readonly start: Buffer;
  private readonly end: Buffer;
  private readonly streams: Record<StreamName, StreamState> = {
    stdout: { started: false, held: Buffer.alloc(0), status: null, ended: false },
    stderr: { started: false, held: Buffer.alloc(0), status: null, ended: false },
  };
  private begun = false;
  private finished = false;
  private readonly decoder = new StringDecoder('utf8');
  private live = '';
  private liveSkipped = 0;
  private liveTimer: NodeJS.Timeout | undefined;

  constructor(
    nonce: string,
    private readonly sink: OutputSink,
    private readonly onLog?: (text: string) => void,
    /** Re-attach: output before the start marker may be gone (the engine's log rotated); take an end marker anyway. */
    private readonly endWithoutStart = false,
  ) {
    this.start = startMarker(nonce);
    this.end = endMarker(nonce);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Has the job's start been seen (a re-attach knows whether the engine still had it)? */
  get started(): boolean {
    return this.streams.stdout.started || this.streams.stderr.started;
  }

  feed(stream: StreamName, chunk: Buffer): void {
    const s = this.streams[stream];
    if (s.ended) return;
    let data = s.held.length ? Buffer.concat([s.held, chunk]) : chunk;
    s.held = Buffer.alloc(0);
    if (s.status !== null) {
      this.readStatus(stream, s, data);
      return;
    }
    if (!s.started) {
      const at = data.indexOf(this.start);
      if (at === -1) {
        const end = this.endWithoutStart ? data.indexOf(this.end) : -1;
        if (end !== -1) {
          s.status = '';
          this.readStatus(stream, s, data.subarray(end + this.end.length));
        } else {
          s.held = Buffer.from(data.subarray(Math.max(0, data.length - (this.start.length - 1))));
        }
        return;
      }
      s.started = true;
      if (!this.begun) {
        this.begun = true;
        this.sink.begin();
      }
      data = data.subarray(at + this.start.length);
    }
    this.scanEnd(stream, s, data);
  }

  /** The stream ended (the container stopped, the connection closed): no status from it. */
  close(): void {
    if (this.finished) return;
    // What was held back was output after all: no marker came.
    for (const name of ['stdout', 'stderr'] as const) {
      const s = this.streams[name];
      if (s.started && s.status === null && s.held.length) this.emit(name, s.held);
      s.held = Buffer.alloc(0);
    }
    this.finish(null);
  }

  /** Writes what comes before the end marker; holds back a tail that may be its beginning. */
  private scanEnd(stream: StreamName, s: StreamState, data: Buffer): void {
    const at = data.indexOf(this.end);
    if (at !== -1) {
      this.emit(stream, data.subarray(0, at));
      s.status = '';
      this.readStatus(stream, s, data.subarray(at + this.end.length));
      return;
    }
    // The marker starts with its only NUL: a partial one can only follow the last NUL.
    const from = data.lastIndexOf(0);
    const tail = from === -1 ? 0 : data.length - from;
    const keep = tail > 0 && tail < this.end.length && this.end.subarray(0, tail).equals(data.subarray(from)) ? tail : 0;
    this.emit(stream, data.subarray(0, data.length - keep));
    s.held = Buffer.from(data.subarray(data.length - keep));
  }

  private readStatus(stream: StreamName, s: StreamState, data: Buffer): void {
    const nl = data.indexOf(0x0a);
    s.status = (s.status ?? '') + data.subarray(0, nl === -1 ? data.length : nl).toString('latin1');
    if (nl === -1) return;
    s.ended = true;
    // Both streams end with a marker: what the job wrote to either came before it.
    if (this.streams[stream === 'stdout' ? 'stderr' : 'stdout'].ended) {
      const [status, seconds, peak, ooms] = (this.streams.stdout.status ?? '').split(' ').map((word) => Number.parseInt(word, 10));
      if (ooms !== undefined && Number.isFinite(ooms)) this.oomKills = ooms;
      if (seconds !== undefined && Number.isFinite(seconds)) this.endedAt = seconds * 1000;
      if (peak !== undefined && Number.isFinite(peak) && peak > 0) this.peakBytes = peak;
      this.finish(status !== undefined && Number.isFinite(status) ? status : null);
    }
  }

  private emit(stream: StreamName, bytes: Buffer): void {
    if (!bytes.length || this.failure) return;
    try {
      this.sink.write(stream, bytes);
    } catch (err) {
      // Output that cannot be kept must not be lost silently, nor crash the runner: end the job.
      this.failure = err as Error;
      this.finish(null);
      return;
    }
    if (!this.onLog) return;
    // Live text is for eyes: past the cap per tick it is skipped (and said so), the file has it all.
    if (this.live.length < LIVE_BYTES_PER_TICK) this.live += this.decoder.write(bytes);
    else this.liveSkipped += bytes.length;
    this.liveTimer ??= setTimeout(() => this.flushLive(), LIVE_TICK_MS);
  }

  private flushLive(): void {
    if (this.liveTimer) clearTimeout(this.liveTimer);
    this.liveTimer = undefined;
    let text = this.live;
    if (this.liveSkipped) text += `\n… ${this.liveSkipped} bytes not shown live (the log file has everything) …\n`;
    this.live = '';
    this.liveSkipped = 0;
    if (text) this.onLog?.(text);
  }

  private finish(status: number | null): void {
    if (this.finished) return;
    this.finished = true;
    for (const s of Object.values(this.streams)) s.ended = true;
    this.live += this.decoder.end();
    this.flushLive();
    this.resolveDone(status);
  }
}
