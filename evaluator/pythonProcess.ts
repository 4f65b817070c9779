import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

// Evaluation subprocesses: each evaluation is one Python process, killed (with whatever it
// started: it leads its own process group) on timeout or when cancelled, and ending by itself
// should the process that started it go away (PIPEWRIGHT_WATCH_PARENT).

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The last 64 KB of stderr. */
  stderr: string;
  timedOut: boolean;
  cancelled: boolean;
  /** stdout passed maxStdoutBytes and the process was stopped. */
  tooLarge: boolean;
  spawnError?: NodeJS.ErrnoException;
}

export interface ExchangeOptions {
  /** Written to stdin, which is then closed. */
  input: string;
  timeoutMs: number;
  signal?: AbortSignal;
  maxStdoutBytes: number;
  /** False: the caller reads stdout itself (a stream of pipeline JSON); `stdout` stays empty. */
  collectStdout?: boolean;
}

const STDERR_TAIL = 64 * 1024;
const GROUPS = process.platform !== 'win32';

export function pythonEnv(sdk: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PYTHONPATH: [sdk, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
    PYTHONDONTWRITEBYTECODE: '1', // no __pycache__ in the user's folders
    PYTHONIOENCODING: 'utf-8',
    PIPEWRIGHT_NODE_OUTPUT: '',
    PIPEWRIGHT_WATCH_PARENT: '1',
  };
}

export function spawnPython(python: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(python, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: GROUPS, windowsHide: true });
}

export function killTree(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (GROUPS && child.pid) process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Feed a spawned process its input and collect its answer, within the time limit. */
export function exchange(child: ChildProcess, options: ExchangeOptions): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let timedOut = false;
    let cancelled = false;
    let tooLarge = false;
    let spawnError: NodeJS.ErrnoException | undefined;
    let done = false;
    const stop = () => killTree(child);
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = () => {
      cancelled = true;
      stop();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.stderr?.destroy();
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr, timedOut, cancelled, tooLarge, spawnError });
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > options.maxStdoutBytes) {
        if (!tooLarge) {
          tooLarge = true;
          stop();
        }
        return;
      }
      if (options.collectStdout !== false) out.push(chunk);
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > 2 * STDERR_TAIL) stderr = stderr.slice(-STDERR_TAIL);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = err;
      finish(null, null);
    });
    // Done when the process has exited and its stdout (ours alone) has ended. stderr is shared
    // with whatever the definition started: a process left running in the background would hold
    // it open, so it gets a moment to deliver its last line, not a wait for its end.
    let exited: [number | null, NodeJS.Signals | null] | undefined;
    let stdoutEnded = false;
    let stderrEnded = false;
    const settle = () => {
      if (!exited || !stdoutEnded) return;
      if (stderrEnded) finish(...exited);
      else setTimeout(() => finish(...exited!), 100);
    };
    child.stdout!.on('end', () => {
      stdoutEnded = true;
      settle();
    });
    child.stderr!.on('end', () => {
      stderrEnded = true;
      settle();
    });
    child.on('exit', (code, signal) => {
      exited = [code, signal];
      settle();
    });
    child.on('close', (code, signal) => finish(code, signal));
    if (child.exitCode !== null || child.signalCode !== null) {
      // died before we came (a warm process that failed to start); 'close' may have fired already
      setImmediate(() => finish(child.exitCode, child.signalCode));
    }
    child.stdin!.on('error', () => {
      // EPIPE: the process ended without reading; its exit status tells why
    });
    child.stdin!.end(options.input);
  });
}

interface Idle {
  key: string;
  child: ChildProcess;
  dead: boolean;
}

/**
 * One Python process started ahead of the next evaluation (`python3 -m pipewright.warm`), its
 * interpreter and the SDK already loaded: an evaluation then costs the definition only. Each
 * process serves one request; another is started when the previous one ends.
 */
export class WarmPool {
  private idle: Idle | undefined;
  private disposed = false;

  constructor(private readonly start: (python: string) => ChildProcess) {}

  /** A process for python, warm if one is ready. Start the next one with refill() once done. */
  take(python: string): ChildProcess {
    const idle = this.idle;
    this.idle = undefined;
    if (idle && idle.key === python && !idle.dead && idle.child.exitCode === null) return idle.child;
    if (idle) this.discard(idle);
    return this.start(python);
  }

  /** Have a process waiting for python's next request. */
  refill(python: string): void {
    if (this.disposed) return;
    if (this.idle && this.idle.key === python && !this.idle.dead) return;
    if (this.idle) this.discard(this.idle);
    let child: ChildProcess;
    try {
      child = this.start(python);
    } catch {
      return;
    }
    const idle: Idle = { key: python, child, dead: false };
    const died = () => {
      idle.dead = true;
      if (this.idle === idle) this.idle = undefined;
    };
    child.on('error', died);
    child.on('exit', died);
    // Nothing is read until the request; drain so a noisy sitecustomize cannot block it.
    child.stdout?.resume();
    child.stderr?.resume();
    this.idle = idle;
  }

  /** Drop the waiting process (settings changed, workspace untrusted, shutdown). */
  clear(): void {
    if (this.idle) this.discard(this.idle);
    this.idle = undefined;
  }

  dispose(): void {
    this.disposed = true;
    this.clear();
  }

  private discard(idle: Idle): void {
    idle.dead = true;
    idle.child.stdin?.end(); // an empty request: it exits by itself
    setTimeout(() => killTree(idle.child), 2000).unref();
  }
}
