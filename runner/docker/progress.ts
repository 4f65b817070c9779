// Reading the engine's JSON-lines progress streams (pull and build), which report failure inside
// the stream ({"error": ...}) with HTTP 200, so a finished stream is not a successful one.
export interface ImageProgress {
  kind: 'pull' | 'build';
  image: string;
  message: string;
  current?: number;
  total?: number;
}

export interface EngineEvent {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: { ID?: string };
}

/**
 * Resolves with every event once the stream ends; rejects on a stream error or abort. Our own
 * line reader rather than modem.followProgress, which throws from an event handler (uncatchable)
 * on a line that is not JSON.
 */
export function followEngineStream(stream: NodeJS.ReadableStream, onEvent: (event: EngineEvent) => void, signal?: AbortSignal): Promise<EngineEvent[]> {
  return new Promise((resolve, reject) => {
    const events: EngineEvent[] = [];
    let buffer = '';
    let done = false;
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      stream.removeListener('data', onData);
      if (error) reject(error);
      else {
        if (buffer.trim()) onLine(buffer);
        resolve(events);
      }
    };
    const onLine = (line: string) => {
      if (!line.trim()) return;
      let event: EngineEvent;
      try {
        event = JSON.parse(line) as EngineEvent;
      } catch {
        event = { stream: `${line}\n` };
      }
      events.push(event);
      onEvent(event);
    };
    const onData = (chunk: Buffer | string) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        onLine(line);
      }
    };
    const onAbort = () => {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      finish(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', onData);
    stream.once('error', (error) => finish(error));
    stream.once('end', () => finish());
    stream.once('close', () => finish());
  });
}

/** The error an engine error response or stream event carries, in the engine's words. */
export function engineMessage(error: unknown): string {
  const json = (error as { json?: unknown } | undefined)?.json;
  if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') return (json as { message: string }).message.trim();
  if (typeof json === 'string' && json.trim()) return json.trim();
  const message = error instanceof Error ? error.message : String(error);
  // dockerode: "(HTTP code 404) unexpected - <engine message> "
  return message.replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '').trim();
}
