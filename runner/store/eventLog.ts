// A pipeline's events.jsonl: one JSON event per line, appended by the process that runs the
// pipeline, replayed by whoever opens it. A runner killed in the middle of a write leaves part of a
// line at the end; that tail is repaired before anything is appended after it, and ignored when
// replaying. Anything else that is not an event of this pipeline makes the whole log untrustworthy:
// replaying it as if nothing had happened would run again what already ran, so it is refused.
import { closeSync, createReadStream, existsSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import type { ExecutionRecord, RunnerEvent } from '../../protocol/runner';
import { lastLineStart } from './lastLine';
import { openPrivateFile, writeAll } from './privateFiles';
import { StoreFileError } from './storeFileError';

/**
 * Appends events to a pipeline's log; each append reaches the kernel before it returns. The file is
 * opened (and a torn last line repaired) at the first append: a run opened only to be read
 * (`inspect`, while another process may be writing) never touches it.
 */
export class EventLog {
  private fd: number | null = null;
  private closed = false;
  /**
   * Executions this log saw start, each field as written then (text: the live record's objects
   * change afterwards, e.g. a step's metrics): their end is written as what changed since.
   */
  private readonly started = new Map<string, Map<string, string>>();
  /** The last execution start written (each field as text): the next one is written as what differs. */
  private previousStart: Map<string, string> | null = null;
  constructor(readonly file: string) {}

  /** The last execution start this log wrote, whole; null if it wrote none. */
  lastStart(): ExecutionRecord | null {
    return this.previousStart && (Object.fromEntries([...this.previousStart].map(([key, text]) => [key, JSON.parse(text) as unknown])) as unknown as ExecutionRecord);
  }
  append(events: readonly RunnerEvent[]): void {
    if (!events.length || this.closed) return;
    if (this.fd === null) {
      repairTornTail(this.file);
      this.fd = openPrivateFile(this.file, 'a');
    }
    try {
      writeAll(this.fd, events.map((e) => JSON.stringify(this.compact(e))).join('\n') + '\n');
    } catch (err) {
      // What was not written cannot be what the next start differs from.
      this.previousStart = null;
      throw err;
    }
  }

  /**
   * A large run's log is mostly executions: each is written as what differs. Its start, from the
   * start written before it (siblings share command, params, image, container); its path, when the
   * event's, not at all; its end, from its start. The replay (run/replay.ts) makes them whole again.
   */
  private compact(event: RunnerEvent): RunnerEvent {
    if (event.type === 'execution-start') return this.compactStart(event);
    if (event.type !== 'execution-end') return event;
    const start = this.started.get(event.execution.id);
    this.started.delete(event.execution.id);
    if (!start) return event;
    const delta: Record<string, unknown> = { id: event.execution.id };
    for (const [key, value] of Object.entries(event.execution)) if (JSON.stringify(value) !== start.get(key)) delta[key] = value;
    return { ...event, execution: delta as unknown as typeof event.execution, delta: true };
  }

  private compactStart(event: RunnerEvent & { type: 'execution-start' }): RunnerEvent {
    const { execution } = event;
    const fields = new Map(Object.entries(execution).map(([key, value]) => [key, JSON.stringify(value)]));
    this.started.set(execution.id, fields);
    const previous = this.previousStart;
    this.previousStart = fields;
    const delta: Record<string, unknown> = { id: execution.id };
    for (const [key, value] of Object.entries(execution)) {
      if (key === 'id' || (key === 'path' && value === event.path)) continue;
      if (key !== 'path' && previous && fields.get(key) === previous.get(key)) continue;
      delta[key] = value;
    }
    const unset = previous ? [...previous.keys()].filter((key) => !fields.has(key) && key !== 'path') : [];
    return { ...event, execution: delta as unknown as typeof execution, delta: true, ...(unset.length ? { unset } : {}) };
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.closed = true;
  }
}

/**
 * Ends the log with a whole line: a last line without its newline is terminated if it is a whole
 * event, else (a write cut short) cut off. Only the process that owns the pipeline may do this
 * (anyone else could cut a line its owner is writing).
 */
export function repairTornTail(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    const lineStart = lastLineStart(fd, size);
    if (lineStart === size) return;
    const tail = Buffer.alloc(size - lineStart);
    readSync(fd, tail, 0, tail.length, lineStart);
    if (asEvent(tail.toString('utf8')) !== null) writeSync(fd, '\n', size);
    else ftruncateSync(fd, lineStart);
  } finally {
    closeSync(fd);
  }
}

/** The line as an event, or null when it is not one (not JSON, or not an object with a type and a pipeline). */
function asEvent(line: string): RunnerEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  return isEvent(value) ? value : null;
}

function isEvent(value: unknown): value is RunnerEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const event = value as Record<string, unknown>;
  return typeof event.type === 'string' && typeof event.pipeline === 'string';
}

/**
 * Replays the log of pipeline `pipelineId`. Tolerates one torn last line (a runner died mid-write, or
 * is writing it now); refuses, naming the file and line, a log that is missing or empty, does not
 * begin with the pipeline's `created` event, or holds a line that is not an event of this pipeline.
 */
export async function* readEventLog(file: string, pipelineId: string, end?: number): AsyncGenerator<RunnerEvent> {
  for await (const batch of readEventBatches(file, pipelineId, end)) yield* batch;
}

/**
 * readEventLog's events, a read's worth at a time (a million-node log is millions of events: one await
 * each costs seconds); from byte `start` (a line's beginning: what a checkpoint stands for is skipped).
 */
export async function* readEventBatches(file: string, pipelineId: string, end?: number, start = 0): AsyncGenerator<RunnerEvent[]> {
  if (!existsSync(file)) throw new StoreFileError(file, 'the event log is missing: the pipeline has no history to replay');
  let lineNo = 0;
  // Read from `start`: the lines before it are counted only to name a bad line.
  const lineNumber = () => lineNo + (start > 0 ? newlinesBefore(file, start) : 0);
  let count = start > 0 ? 1 : 0;
  const check = (event: RunnerEvent): RunnerEvent => {
    if (count++ === 0 && event.type !== 'created') throw new StoreFileError(file, `the log must begin with the pipeline's "created" event, not "${event.type}"`, lineNumber());
    if (event.pipeline !== pipelineId) throw new StoreFileError(file, `an event of pipeline "${event.pipeline}" in the log of "${pipelineId}"`, lineNumber());
    return event;
  };
  if (end !== undefined && start >= end) return;
  let pending = '';
  // `end`: only the bytes before it (what a live run's log held when a client began to watch it).
  for await (const chunk of createReadStream(file, { encoding: 'utf8', start, ...(end !== undefined ? { end: end - 1 } : {}) })) {
    const text = pending + (chunk as string);
    const lastNewline = text.lastIndexOf('\n');
    pending = text.slice(lastNewline + 1);
    if (lastNewline < 0) continue;
    const batch: RunnerEvent[] = [];
    for (const line of text.slice(0, lastNewline).split('\n')) {
      lineNo++;
      if (!line.trim()) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        throw new StoreFileError(file, `not JSON (${(err as Error).message}): the log cannot be trusted`, lineNumber());
      }
      if (!isEvent(value)) throw new StoreFileError(file, 'not an event (an object with a "type" and a "pipeline")', lineNumber());
      batch.push(check(value));
    }
    if (batch.length) yield batch;
  }
  if (pending.trim()) {
    // No newline after it: a whole event is kept, a torn one ignored.
    lineNo++;
    const event = asEvent(pending);
    if (event) yield [check(event)];
  }
  if (count === 0) throw new StoreFileError(file, 'no events: a pipeline\'s log holds at least its "created" event');
}

function newlinesBefore(file: string, end: number): number {
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    let count = 0;
    for (let at = 0; at < end; ) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, end - at), at);
      if (n === 0) break;
      for (let i = chunk.indexOf(0x0a); i >= 0 && i < n; i = chunk.indexOf(0x0a, i + 1)) count++;
      at += n;
    }
    return count;
  } finally {
    closeSync(fd);
  }
}
