// A pipeline's checkpoint.jsonl: its state as replaying events.jsonl up to a byte offset leaves it,
// written when the run closes. Reopening a finished million-node run then reads the states and
// leaves the executions on disk until a node's are asked for, instead of replaying two million
// events (docs/runner.md, "Checkpoint"). The event log stays the truth: a checkpoint that is
// missing, of another version or does not fit is ignored.
//
// Lines: a header; `structural` events (what shaped the tree after pipeline.json: nodes added,
// modified, skipped) as the log holds them; the Exec nodes' states as one string, a digit each in
// tree order; a line per Exec node, in the same order, with its executions (empty: none); last, where
// each block of BLOCK nodes' lines begins. An execution is written as what differs from the one
// written before it in its block ("-": the keys it lacks; a block's first is whole), its path left
// out when it is its node's: a block is read on its own.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { NODE_STATES, type ExecutionRecord, type NodeState, type PipelineStatus, type RunnerEvent } from '../../protocol/runner';
import { lastLineStart } from './lastLine';
import { writeAll, writePrivateFileAtomic } from './privateFiles';
import { StoreFileError } from './storeFileError';

export const CHECKPOINT_VERSION = 2;
/** Exec nodes whose executions are read together. */
export const BLOCK = 1024;

export interface CheckpointHeader {
  checkpoint: typeof CHECKPOINT_VERSION;
  /** How many bytes of events.jsonl it stands for: later events are replayed after it. */
  events: number;
  autorun: boolean;
  status: PipelineStatus;
  execSeq: number;
  /** Exec nodes, in tree order. */
  leaves: number;
  /** Structural events that follow the header. */
  structural: number;
  /** Executions started and not ended (their end, if logged later, is a delta from them). */
  open: string[];
  /** The last execution start, whole: a later start in the log is stored as what differs from it. */
  previousStart: ExecutionRecord | null;
}

/** Leaves' executions as the writer asks for them: the node's path, and its records. */
export interface LeafExecutions {
  path: string;
  executions: readonly ExecutionRecord[];
}

const FLUSH_AT = 1 << 20;

/** Writes `file` whole (beside it, then renamed: a reader sees the old checkpoint or the new one). */
export function writeCheckpoint(file: string, header: Omit<CheckpointHeader, 'checkpoint' | 'leaves' | 'structural'>, structural: readonly RunnerEvent[], leaves: readonly LeafExecutions[], states: readonly NodeState[]): void {
  writePrivateFileAtomic(file, (fd) => {
    let out = `${JSON.stringify({ checkpoint: CHECKPOINT_VERSION, ...header, leaves: leaves.length, structural: structural.length })}\n`;
    for (const event of structural) out += `${JSON.stringify(event)}\n`;
    out += `${JSON.stringify(states.map((s) => NODE_STATES.indexOf(s)).join(''))}\n`;
    let at = Buffer.byteLength(out);
    const blocks: number[] = [];
    let encode = new DeltaEncoder();
    leaves.forEach((leaf, i) => {
      if (i % BLOCK === 0) {
        blocks.push(at);
        encode = new DeltaEncoder();
      }
      const line = leaf.executions.length ? `${JSON.stringify(leaf.executions.map((e) => encode.next(e, leaf.path)))}\n` : '\n';
      at += Buffer.byteLength(line);
      out += line;
      if (out.length >= FLUSH_AT) {
        writeAll(fd, out);
        out = '';
      }
    });
    writeAll(fd, `${out}${JSON.stringify({ blocks, end: at })}\n`);
  });
}

/** Each record as the keys whose values differ from the record before (objects compared as JSON text). */
class DeltaEncoder {
  private previous: Record<string, unknown> = {};

  next(record: ExecutionRecord, leafPath: string): Record<string, unknown> {
    const fields = record as unknown as Record<string, unknown>;
    const previous = this.previous;
    const delta: Record<string, unknown> = {};
    for (const key in fields) {
      const value = fields[key];
      if (value === undefined || key === 'path' || same(value, previous[key])) continue;
      delta[key] = value;
    }
    if (record.path !== leafPath) delta.path = record.path;
    let gone: string[] | undefined;
    for (const key in previous) if (previous[key] !== undefined && key !== 'path' && fields[key] === undefined) (gone ??= []).push(key);
    if (gone) delta['-'] = gone;
    this.previous = fields;
    return delta;
  }
}

/** Siblings' executions share their params object: most comparisons end at `===`. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && JSON.stringify(a) === JSON.stringify(b);
}

/**
 * An open checkpoint: its header, structural events and states read; executions read a block at a
 * time when asked for. It holds the file open, so a checkpoint written over it later (by rename)
 * does not change what it reads.
 */
export class CheckpointReader {
  private constructor(
    private fd: number | null,
    readonly file: string,
    readonly header: CheckpointHeader,
    readonly structural: RunnerEvent[],
    /** Each Exec node's state, in tree order. */
    readonly states: NodeState[],
    /** Where each block's lines begin, and where the last ends. */
    private readonly blocks: number[],
    private readonly end: number,
  ) {}

  /**
   * Opens `file`; null when there is none. One that cannot be read as written (another version, cut
   * short, not JSON) throws a StoreFileError naming the file and line: the caller replays the log.
   */
  static open(file: string): CheckpointReader | null {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      return CheckpointReader.read(fd, file);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  private static read(fd: number, file: string): CheckpointReader {
    const lines = new LineReader(fd, file);
    const header = lines.json() as CheckpointHeader;
    if (header?.checkpoint !== CHECKPOINT_VERSION) lines.fail(`not a checkpoint of version ${CHECKPOINT_VERSION}`);
    const structural: RunnerEvent[] = [];
    for (let i = 0; i < header.structural; i++) structural.push(lines.json() as RunnerEvent);
    const digits = lines.json();
    if (typeof digits !== 'string' || digits.length !== header.leaves) lines.fail(`expected the states of ${header.leaves} Exec nodes`);
    const states = Array.from(digits as string, (d) => NODE_STATES[Number(d)] ?? lines.fail(`unknown state ${d}`));
    const size = fstatSync(fd).size;
    const trailer = lastLine(fd, size);
    let index = null as { blocks?: unknown; end?: unknown } | null;
    try {
      index = JSON.parse(trailer) as typeof index;
    } catch {
      /* below */
    }
    const blocks = index?.blocks;
    const end = index?.end;
    if (!Array.isArray(blocks) || blocks.length !== Math.ceil(header.leaves / BLOCK) || typeof end !== 'number' || end + Buffer.byteLength(trailer) + 1 !== size || (blocks.length > 0 && blocks[0] !== lines.position)) {
      throw new StoreFileError(file, 'its last line does not say where its blocks begin: the checkpoint was cut short');
    }
    return new CheckpointReader(fd, file, header, structural, states, blocks as number[], end);
  }

  /** Block `b`'s Exec nodes' executions, in tree order; a record without `path` is its node's. */
  block(b: number): ExecutionRecord[][] {
    if (this.fd === null) throw new Error(`${this.file}: read after it was closed`);
    const from = this.blocks[b]!;
    const to = this.blocks[b + 1] ?? this.end;
    const bytes = Buffer.alloc(to - from);
    for (let at = 0; at < bytes.length; ) {
      const n = readSync(this.fd, bytes, at, bytes.length - at, from + at);
      if (n === 0) throw new StoreFileError(this.file, 'it ends before its last block: it was cut short');
      at += n;
    }
    const lines = bytes.toString('utf8').split('\n');
    lines.pop();
    let previous: Record<string, unknown> = {};
    return lines.map((line) => {
      if (line === '') return [];
      const deltas = JSON.parse(line) as Record<string, unknown>[];
      return deltas.map((delta) => {
        // Built by assignment, never `delete`: an object with a key deleted is slower and larger.
        let record: Record<string, unknown> = { ...previous };
        for (const key in delta) if (key !== '-' && key !== 'path') record[key] = delta[key];
        const gone = delta['-'] as string[] | undefined;
        if (gone?.length) record = Object.fromEntries(Object.entries(record).filter(([key]) => !gone.includes(key)));
        previous = record;
        return (typeof delta.path === 'string' ? { ...record, path: delta.path } : record) as unknown as ExecutionRecord;
      });
    });
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Reads lines from the beginning of a file, keeping count of lines and bytes. */
class LineReader {
  private buffer = Buffer.alloc(0);
  private start = 0;
  private lineNo = 0;
  /** The byte where the next line begins. */
  position = 0;

  constructor(
    private readonly fd: number,
    private readonly file: string,
  ) {}

  json(): unknown {
    const line = this.line();
    try {
      return JSON.parse(line) as unknown;
    } catch (err) {
      return this.fail(`not JSON (${(err as Error).message})`);
    }
  }

  fail(problem: string): never {
    throw new StoreFileError(this.file, problem, this.lineNo);
  }

  private line(): string {
    for (;;) {
      const newline = this.buffer.indexOf(0x0a, this.start);
      if (newline >= 0) {
        const line = this.buffer.toString('utf8', this.start, newline);
        this.position += newline + 1 - this.start;
        this.start = newline + 1;
        this.lineNo++;
        return line;
      }
      const chunk = Buffer.alloc(Math.max(1 << 20, this.buffer.length - this.start));
      const n = readSync(this.fd, chunk, 0, chunk.length, this.position + this.buffer.length - this.start);
      if (n === 0) {
        this.lineNo++;
        return this.fail('cut short');
      }
      this.buffer = Buffer.concat([this.buffer.subarray(this.start), chunk.subarray(0, n)]);
      this.start = 0;
    }
  }
}

/** The file's last line, without its newline ('' if it does not end with one). */
function lastLine(fd: number, size: number): string {
  if (size === 0) return '';
  const start = lastLineStart(fd, size - 1);
  const bytes = Buffer.alloc(size - start);
  readSync(fd, bytes, 0, bytes.length, start);
  return bytes[bytes.length - 1] === 0x0a ? bytes.toString('utf8', 0, bytes.length - 1) : '';
}
