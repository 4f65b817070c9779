// Finding the last line of a store file without reading the whole file (an event log or a checkpoint can be hundreds of MB).
import { readSync } from 'node:fs';

/** Where the last line of the first `size` bytes begins: just after the last newline (`size` when they end with one). */
export function lastLineStart(fd: number, size: number): number {
  const chunk = Buffer.alloc(64 * 1024);
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - chunk.length);
    const n = readSync(fd, chunk, 0, end - start, start);
    const newline = chunk.subarray(0, n).lastIndexOf(0x0a);
    if (newline >= 0) return start + newline + 1;
    end = start;
  }
  return 0;
}
