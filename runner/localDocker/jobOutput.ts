// One job's output as it arrives from its worker's stdout and stderr: the bytes from where the job
// begins up to the agent's end marker for this job's nonce go to the job's log (every byte, in
// order), and live text to the views (capped); the end markers carry the exit status.
import { StringDecoder } from 'node:string_decoder';
import { END_PREFIX, endMarker, startMarker } from './agent';

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

/** Where a job's output begins in what its container sends. */
export type OutputStart =
  /** After the job's own start marker (a swarm task). */
  | { kind: 'marker' }
  /** At once: a live worker's agent sends nothing between one job's end markers and the next job. */
  | { kind: 'now' }
  /**
   * After this many end markers of the job before it on the worker (`previous`: its nonce, or the
   * start of it) on each stream: a re-attach reads the engine's log of the worker from a time on,
   * where earlier jobs' output and ends come first (countEarlierEnds).
   */
  | { kind: 'after-ends'; previous: string; ends: Record<StreamName, number> };

export interface JobOutputOptions {
  start: OutputStart;
  /** Re-attach: where the output began may be gone (the engine's log rotated); take the end marker anyway. */
  endWithoutStart?: boolean;
}

interface StreamState {
  started: boolean;
  /** End markers of the previous job still to pass before this job's output ('after-ends'). */
  skip: number;
  /** End markers of the previous job passed. */
  passed: number;
  /** Inside such a marker: its line is passed up to its newline. */
  inMarker: boolean;
  /** Bytes held back: they may be the start of a marker. */
  held: Buffer;
  /** The end marker was seen: its status so far (up to the newline). */
  status: string | null;
  ended: boolean;
}

/** Most live text handed over per interval: the log file keeps everything. */
const LIVE_BYTES_PER_TICK = 256 * 1024;
const LIVE_TICK_MS = 100;

/** How long a tail of `data` may be the beginning of `marker` (markers start with their only NUL). */
function partialMarker(data: Buffer, marker: Buffer): number {
  const from = data.lastIndexOf(0);
  const tail = from === -1 ? 0 : data.length - from;
  return tail > 0 && tail < marker.length && marker.subarray(0, tail).equals(data.subarray(from)) ? tail : 0;
}

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
  /** The end marker of the job before it, up to what of its nonce is known ('after-ends'). */
  private readonly previousEnd: Buffer;
  private readonly streams: Record<StreamName, StreamState>;
  private readonly startAt: OutputStart;
  private readonly endWithoutStart: boolean;
  private begun = false;
  private heard = false;
  private finished = false;
  private readonly decoder = new StringDecoder('utf8');
  private live = '';
  private liveSkipped = 0;
  private liveTimer: NodeJS.Timeout | undefined;

  constructor(
    nonce: string,
    private readonly sink: OutputSink,
    private readonly onLog: ((text: string) => void) | undefined,
    options: JobOutputOptions,
  ) {
    this.start = startMarker(nonce);
    this.end = endMarker(nonce);
    this.startAt = options.start;
    this.previousEnd = endMarker(this.startAt.kind === 'after-ends' ? this.startAt.previous : '').subarray(0, -1);
    this.endWithoutStart = options.endWithoutStart ?? false;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    const stream = (name: StreamName): StreamState => {
      const skip = this.startAt.kind === 'after-ends' ? this.startAt.ends[name] : 0;
      return { started: this.startAt.kind === 'now' || (this.startAt.kind === 'after-ends' && skip === 0), skip, passed: 0, inMarker: false, held: Buffer.alloc(0), status: null, ended: false };
    };
    this.streams = { stdout: stream('stdout'), stderr: stream('stderr') };
    if (this.started) this.beginOnce();
  }

  /** Has the job's beginning been seen (a re-attach knows whether the engine still had it)? */
  get started(): boolean {
    return this.streams.stdout.started || this.streams.stderr.started;
  }

  /** Did anything of this job arrive: a byte of its output or its end? */
  get heardFrom(): boolean {
    return this.heard;
  }

  /** Did it end (its end marker on both streams, or the streams closed)? */
  get ended(): boolean {
    return this.finished;
  }

  /** End markers of the previous job passed on each stream before this job's output (or its end). */
  get endsPassed(): Record<StreamName, number> {
    return { stdout: this.streams.stdout.passed, stderr: this.streams.stderr.passed };
  }

  feed(stream: StreamName, chunk: Buffer): void {
    const s = this.streams[stream];
    if (s.ended) return;
    let data: Buffer | null = s.held.length ? Buffer.concat([s.held, chunk]) : chunk;
    s.held = Buffer.alloc(0);
    if (s.status !== null) {
      this.readStatus(stream, s, data);
      return;
    }
    if (!s.started) {
      data = this.startAt.kind === 'marker' ? this.afterStartMarker(stream, s, data) : this.afterEarlierEnds(stream, s, data);
      if (data === null) return;
    }
    this.scanEnd(stream, s, data);
  }

  /** What follows the job's start marker; null while it has not come (what may begin it is held). */
  private afterStartMarker(stream: StreamName, s: StreamState, data: Buffer): Buffer | null {
    const at = data.indexOf(this.start);
    if (at === -1) {
      const end = this.endWithoutStart ? data.indexOf(this.end) : -1;
      if (end !== -1) {
        s.status = '';
        this.readStatus(stream, s, data.subarray(end + this.end.length));
      } else {
        s.held = Buffer.from(data.subarray(Math.max(0, data.length - (this.start.length - 1))));
      }
      return null;
    }
    this.startStream(s);
    return data.subarray(at + this.start.length);
  }

  /** What follows the last end marker of the previous job still to pass; null while one is to come. */
  private afterEarlierEnds(stream: StreamName, s: StreamState, data: Buffer): Buffer | null {
    for (;;) {
      if (s.inMarker) {
        const nl = data.indexOf(0x0a);
        if (nl === -1) return null;
        s.inMarker = false;
        data = data.subarray(nl + 1);
        if (s.skip === 0) {
          this.startStream(s);
          return data;
        }
      }
      const at = data.indexOf(END_PREFIX);
      if (at === -1) {
        const keep = partialMarker(data, END_PREFIX);
        s.held = Buffer.from(data.subarray(data.length - keep));
        return null;
      }
      const rest = data.subarray(at);
      const mayBe = (marker: Buffer) => rest.length < marker.length && marker.subarray(0, rest.length).equals(rest);
      if (mayBe(this.end) || mayBe(this.previousEnd)) {
        s.held = Buffer.from(rest); // wait for enough of it to tell whose end it is
        return null;
      }
      if (rest.subarray(0, this.end.length).equals(this.end)) {
        // This job's end before its beginning: fewer earlier ends than counted (the log moved on).
        if (this.endWithoutStart) {
          s.status = '';
          this.readStatus(stream, s, rest.subarray(this.end.length));
        }
        return null;
      }
      if (rest.subarray(0, this.previousEnd.length).equals(this.previousEnd)) {
        s.skip--;
        s.passed++;
        s.inMarker = true;
      }
      // Anything else (an older job's end, a lookalike) is passed over too.
      data = rest.subarray(END_PREFIX.length);
    }
  }

  private startStream(s: StreamState): void {
    s.started = true;
    this.beginOnce();
  }

  private beginOnce(): void {
    if (this.begun) return;
    this.begun = true;
    this.sink.begin();
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
    const keep = partialMarker(data, this.end);
    this.emit(stream, data.subarray(0, data.length - keep));
    s.held = Buffer.from(data.subarray(data.length - keep));
  }

  private readStatus(stream: StreamName, s: StreamState, data: Buffer): void {
    this.heard = true;
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
    this.heard = true;
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
