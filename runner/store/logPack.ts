// Small logs of ended executions, packed: a million nodes that each print a line would otherwise
// leave a million files (two, with stderr). `exec/logs.pack` holds their bytes one after another;
// `exec/logs.index` has a fixed 16-byte record per execution number (execution eN at N * 16): where
// its combined log starts in the pack, its length, and its stderr's length (right after it). A record
// of zeros: not packed. Only the pipeline's owner packs; readers take the packed bytes, then what the
// execution's own file holds (a note the runner wrote after packing).
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { openPrivateFile, writeAll } from './privateFiles';

/** Logs up to this size (combined and stderr together) are packed; larger ones keep their own files. */
export const SMALL_LOG_BYTES = 64 * 1024;

const RECORD = 16;

/** Where a packed log is: [offset, length) in the pack. */
export interface PackedSlice {
  offset: number;
  length: number;
}

export class LogPack {
  readonly packFile: string;
  readonly indexFile: string;

  constructor(execDir: string) {
    this.packFile = path.join(execDir, 'logs.pack');
    this.indexFile = path.join(execDir, 'logs.index');
  }

  /**
   * Moves an ended execution's logs into the pack when they are small: the bytes first, then the
   * record, then the files go (a stop in between leaves them in both places, never in none).
   * Returns whether it packed them.
   */
  pack(execId: string, combinedFile: string, stderrFile: string): boolean {
    const n = executionNumber(execId);
    if (n === null) return false;
    const combinedSize = sizeOf(combinedFile);
    // Most nodes of a large run print nothing; stderr's bytes are in the combined log too.
    if (combinedSize === 0) return false;
    const stderrSize = sizeOf(stderrFile);
    if (combinedSize + stderrSize > SMALL_LOG_BYTES) return false;
    const combined = readFileSync(combinedFile);
    const stderr = stderrSize ? readFileSync(stderrFile) : Buffer.alloc(0);
    const pack = openPrivateFile(this.packFile, 'a');
    let offset: number;
    try {
      offset = fstatSync(pack).size;
      writeAll(pack, Buffer.concat([combined, stderr]));
    } finally {
      closeSync(pack);
    }
    const record = Buffer.alloc(RECORD);
    record.writeUIntBE(offset, 0, 6);
    record.writeUInt32BE(combined.length, 8);
    record.writeUInt32BE(stderr.length, 12);
    this.writeRecord(n, record);
    rmSync(combinedFile, { force: true });
    rmSync(stderrFile, { force: true });
    return true;
  }

  /** Forgets an execution's packed logs (its output is being written again from the start). */
  forget(execId: string): void {
    const n = executionNumber(execId);
    if (n === null || sizeOf(this.indexFile) < (n + 1) * RECORD) return;
    this.writeRecord(n, Buffer.alloc(RECORD));
  }

  /** Record N in place (not O_APPEND: the index is written at positions, holes read as zeros). */
  private writeRecord(n: number, record: Buffer): void {
    const index = openPrivateFile(this.indexFile, constants.O_RDWR | constants.O_CREAT);
    try {
      for (let at = 0; at < RECORD; ) at += writeSync(index, record, at, RECORD - at, n * RECORD + at);
    } finally {
      closeSync(index);
    }
  }

  /** Where one of an execution's logs is in the pack; null when it is not packed. */
  find(execId: string, stream: 'combined' | 'stderr'): PackedSlice | null {
    const n = executionNumber(execId);
    if (n === null) return null;
    const record = Buffer.alloc(RECORD);
    let fd: number;
    try {
      fd = openSync(this.indexFile, 'r');
    } catch {
      return null;
    }
    try {
      if (readSync(fd, record, 0, RECORD, n * RECORD) < RECORD) return null;
    } finally {
      closeSync(fd);
    }
    const offset = record.readUIntBE(0, 6);
    const combined = record.readUInt32BE(8);
    const stderr = record.readUInt32BE(12);
    if (!combined && !stderr) return null;
    return stream === 'combined' ? { offset, length: combined } : { offset: offset + combined, length: stderr };
  }
}

/** eN -> N; null for ids that are not the runner's numbered ones. */
function executionNumber(execId: string): number | null {
  const match = /^e(\d{1,9})$/.exec(execId);
  return match ? Number(match[1]) : null;
}

/** 0 for a missing file, without an exception: most nodes of a large run print nothing. */
function sizeOf(file: string): number {
  try {
    return statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  } catch {
    return 0;
  }
}
