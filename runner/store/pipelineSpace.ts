// A pipeline's files in the store: every execution's log (all its output, byte for byte), the
// results nodes leave for the runner, the inputs the runner hands them, and the shared data. The
// runner, the views and the CLI read and write them through this class only: where they live on
// disk is its business (and a backend's job is to get a node's output here, whatever the engine).
import { closeSync, createReadStream, existsSync, fstatSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { LogPack, type PackedSlice } from './logPack';
import { appendPrivateFile, makePrivateDir, openPrivateFile, writeAll } from './privateFiles';

/** Stdout and stderr as they interleaved, or stderr alone. */
export type LogStream = 'combined' | 'stderr';

export class PipelineSpace {
  /** Logs, job files and results of executions (also the local Docker backend's channel). */
  readonly execDir: string;
  /** Shared data: co.data.pipeline, pipeline steps' artifacts. */
  readonly dataDir: string;
  /**
   * The user's data (co.data.user), shared by all pipelines of the store: beside its `pipelines/`
   * folder, so deleting a pipeline never deletes it and no pipeline's folder holds it.
   */
  readonly userDataDir: string;

  /** Small logs of ended executions. */
  private readonly pack: LogPack;

  constructor(readonly dir: string) {
    this.execDir = path.join(dir, 'exec');
    this.pack = new LogPack(this.execDir);
    this.dataDir = path.join(dir, 'data');
    this.userDataDir = path.join(path.dirname(path.dirname(dir)), 'user-data');
  }

  /** Makes the folders (a new pipeline, or one whose folders were removed), only the user's. */
  ensure(): void {
    makePrivateDir(this.execDir, { enforce: true });
    makePrivateDir(this.dataDir, { enforce: true });
    makePrivateDir(this.userDataDir, { enforce: true });
  }

  log(execId: string, stream: LogStream = 'combined'): LogFile {
    return new LogFile(this.file(execId, stream === 'stderr' ? 'err' : 'log'), () => {
      const slice = this.pack.find(execId, stream);
      return slice ? { ...slice, file: this.pack.packFile } : null;
    });
  }

  /** An ended execution's small logs go into the pack (no two files per node that printed a line). */
  packLogs(execId: string): void {
    this.pack.pack(execId, this.log(execId).path, this.log(execId, 'stderr').path);
  }

  /**
   * Writes an execution's output as it arrives: stdout and stderr to the combined log in the
   * order they come, stderr also to its own. The backend's business, never the node's: no
   * container can reach these files.
   */
  logWriter(execId: string): LogWriter {
    return new LogWriter(this.log(execId).path, this.log(execId, 'stderr').path, () => this.pack.forget(execId));
  }

  /** The runner's own line in an execution's log (why a step could not start, a callback's error). */
  note(execId: string, text: string): void {
    appendPrivateFile(this.log(execId).path, text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A file a node left for the runner (`name`: a Lazy's `node.json`), streamed; null when it left none. */
  result(execId: string, name: string): Readable | null {
    const file = this.file(execId, name);
    return existsSync(file) ? createReadStream(file) : null;
  }

  /** Where the file a node leaves for the runner lands (backends point the node at it). */
  resultFile(execId: string, name: string): string {
    return this.file(execId, name);
  }

  /** Keeps a file the runner hands a node (a pipeline step's `step.json`); the backend delivers it. */
  writeInput(execId: string, name: string, content: string): void {
    const fd = openPrivateFile(this.file(execId, name), 'w');
    try {
      writeAll(fd, content);
    } finally {
      closeSync(fd);
    }
  }

  readInput(execId: string, name: string): string {
    return readFileSync(this.file(execId, name), 'utf8');
  }


  private file(execId: string, suffix: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(execId) || !/^[A-Za-z0-9_.-]+$/.test(suffix)) throw new Error(`bad execution file name ${execId}.${suffix}`);
    return path.join(this.execDir, `${execId}.${suffix}`);
  }
}

/**
 * Appends to an execution's two log files (0600: a node's output may hold its secrets). Each is
 * made at its first byte: a node that prints nothing (most of a large run's) leaves no file, and
 * readers take a missing log for an empty one.
 */
export class LogWriter {
  private combined: number | null = null;
  private stderr: number | null = null;

  constructor(
    private readonly combinedPath: string,
    private readonly stderrPath: string,
    /** Forgets what of these logs was packed. */
    private readonly unpack: () => void = () => undefined,
  ) {}

  /** Starts the logs over (a re-attach writes the whole output again from the engine's copy). */
  restart(): void {
    this.close();
    this.unpack();
    rmSync(this.combinedPath, { force: true });
    rmSync(this.stderrPath, { force: true });
  }

  write(stream: 'stdout' | 'stderr', bytes: Buffer): void {
    if (!bytes.length) return;
    writeAll((this.combined ??= openPrivateFile(this.combinedPath, 'a')), bytes);
    if (stream === 'stderr') writeAll((this.stderr ??= openPrivateFile(this.stderrPath, 'a')), bytes);
  }

  close(): void {
    if (this.combined !== null) closeSync(this.combined);
    if (this.stderr !== null) closeSync(this.stderr);
    this.combined = this.stderr = null;
  }
}

/** One log of one execution: read while the node still writes it, or after (packed, when small: logPack.ts). */
export class LogFile {
  constructor(
    readonly path: string,
    /** Its bytes in the pack of small logs, if it was packed. */
    private readonly packed: () => (PackedSlice & { file: string }) | null = () => null,
  ) {}

  exists(): boolean {
    return existsSync(this.path) || this.packed() !== null;
  }

  /** Bytes so far; 0 before the node printed anything. */
  size(): number {
    let own = 0;
    try {
      own = statSync(this.path).size;
    } catch {
      // not written (yet), or packed
    }
    return (this.packed()?.length ?? 0) + own;
  }

  /** Every byte. */
  async all(): Promise<Buffer> {
    if (!this.packed()) return readFile(this.path).catch(() => Buffer.alloc(0));
    return this.bytes();
  }

  /** Every byte, read now (small logs: a large one is better read with `all` or by ranges). */
  bytes(): Buffer {
    return this.read((read, size) => read(0, size)) ?? Buffer.alloc(0);
  }

  /**
   * Bytes [from, to) as far as the log has them (the packed bytes, then the file's); reading with
   * `fn` holds the files open once.
   */
  read<T>(fn: (read: (from: number, to: number) => Buffer, size: number) => T): T | undefined {
    const packed = this.packed();
    const parts: { fd: number; start: number; length: number }[] = [];
    try {
      if (packed) parts.push({ fd: openSync(packed.file, 'r'), start: packed.offset, length: packed.length });
      try {
        const fd = openSync(this.path, 'r');
        parts.push({ fd, start: 0, length: fstatSync(fd).size });
      } catch {
        // not written yet, or all of it packed
      }
      if (!parts.length) return undefined;
      const size = parts.reduce((sum, p) => sum + p.length, 0);
      const read = (from: number, to: number) => {
        const buf = Buffer.alloc(Math.max(0, Math.min(to, size) - from));
        let got = 0;
        let base = 0;
        for (const part of parts) {
          while (got < buf.length) {
            // Where the next byte wanted is in this part.
            const at = from + got - base;
            if (at < 0 || at >= part.length) break;
            const n = readSync(part.fd, buf, got, Math.min(buf.length - got, part.length - at), part.start + at);
            if (n <= 0) break;
            got += n;
          }
          base += part.length;
        }
        return buf.subarray(0, got);
      };
      return fn(read, size);
    } finally {
      for (const part of parts) closeSync(part.fd);
    }
  }

  /** The last non-empty line (of the last 4 KB), for a one-line summary of a failure. */
  lastLine(): string {
    return (
      this.read((read, size) =>
        read(Math.max(0, size - 4096), size)
          .toString('utf8')
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean)
          .pop(),
      ) ?? ''
    );
  }
}
