// The controller process of a pipeline with callbacks: `python3 -m pipewright.clearml.host FILE
// NAME` loads the definition once and answers callback requests as JSON lines (see host.py).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

export interface HostReply {
  id?: number;
  error?: string;
  skip?: boolean;
  parameters?: Record<string, unknown>;
  retry?: boolean;
  /** What the callback printed (ClearML's controller console). */
  output?: string;
}

/** Whoever answers a step's callbacks: the controller host, or a decorated pipeline's running function. */
export interface CallbackHost {
  request(op: string, payload: Record<string, unknown>): Promise<HostReply>;
}

export interface HostOptions {
  python: string;
  sdkDir: string;
  file: string;
  name: string;
  /** The pipeline parameters as this run resolved them (defaults, or `--param` overrides). */
  parameters: Record<string, unknown>;
  /** The run's shared data folder: callbacks read executed steps' artifacts (Task.get_task(node.executed)). */
  dataDir: string;
}

export class ControllerHost implements CallbackHost {
  private child: ChildProcessWithoutNullStreams | undefined;
  private ready: Promise<void> | undefined;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (r: HostReply) => void; reject: (e: Error) => void }>();
  private stderr = '';
  private exited: Error | undefined;

  constructor(private readonly options: HostOptions) {}

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const { python, sdkDir, file, name, parameters, dataDir } = this.options;
    const child = spawn(python, ['-m', 'pipewright.clearml.host', file, name], {
      cwd: path.dirname(file),
      env: { ...process.env, PYTHONPATH: [sdkDir, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter), PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', PIPEWRIGHT_PIPELINE_PARAMETERS: JSON.stringify(parameters), PIPEWRIGHT_DATA: dataDir },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-16 * 1024);
    });
    this.ready = new Promise<void>((resolve, reject) => {
      let first = true;
      const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
      lines.on('line', (line) => {
        let reply: HostReply & { ready?: boolean };
        try {
          reply = JSON.parse(line) as HostReply & { ready?: boolean };
        } catch {
          return;
        }
        if (first) {
          first = false;
          if (reply.ready) resolve();
          else reject(new Error(`the pipeline's controller could not load ${file}:\n${reply.error ?? this.stderr}`));
          return;
        }
        const waiter = reply.id !== undefined ? this.pending.get(reply.id) : undefined;
        if (waiter) {
          this.pending.delete(reply.id!);
          waiter.resolve(reply);
        }
      });
      const fail = (err: Error) => {
        this.exited = err;
        reject(err);
        for (const waiter of this.pending.values()) waiter.reject(err);
        this.pending.clear();
      };
      child.on('error', (err) => fail(new Error(`cannot start the pipeline's controller (${python}): ${err.message}`)));
      child.on('close', (code) => fail(new Error(`the pipeline's controller exited (status ${code})${this.stderr.trim() ? `:\n${this.stderr.trim()}` : ''}`)));
    });
    this.ready.catch(() => undefined);
    return this.ready;
  }

  /** Sends a request and waits for its answer (a callback may take as long as it likes). */
  async request(op: string, payload: Record<string, unknown>): Promise<HostReply> {
    if (this.exited) throw this.exited;
    await this.start();
    const id = ++this.seq;
    return new Promise<HostReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child!.stdin.write(`${JSON.stringify({ id, op, ...payload })}\n`);
    });
  }

  close(): void {
    if (this.child && this.child.exitCode === null) {
      this.child.stdin.end();
      this.child.kill();
    }
  }
}
