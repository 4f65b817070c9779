// The tar archive of a build context, packed by tar-stream (ustar, pax for long or non-ASCII names;
// not tar-fs, which walks the folder itself). Our part: the archive holds exactly the entries given
// (the ones hashed for the image key: same walk, same ignore rules), file contents are streamed, and a file changing while it is read
// cannot corrupt the archive: we always write the size announced in its header, cutting a file
// that grew and zero-padding one that shrank.
import { once } from 'node:events';
import { constants, createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';

export interface TarEntry {
  /** Relative, `/`-separated; no leading `/`. */
  name: string;
  type: 'file' | 'dir' | 'symlink';
  /** Permission bits (0o7777 is kept). */
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** file: bytes to write. */
  size?: number;
  /** file: the content, from memory or from this path on disk. */
  content?: Buffer;
  source?: string;
  /** symlink: the target. */
  linkname?: string;
}

/** tar-stream replaces a mode of 0 by its default; with the type's bits (masked off when encoded) 0 stays 0. */
const TYPE_BITS = { file: constants.S_IFREG, dir: constants.S_IFDIR, symlink: constants.S_IFLNK };
const TYPES = { file: 'file', dir: 'directory', symlink: 'symlink' } as const;
/** tar-stream writes mtime as a 32-bit integer: later times would wrap into a broken header. */
const MAX_MTIME = 2 ** 31 - 1;
const ZEROS = Buffer.alloc(64 * 1024);

/** A Node readable of the archive; destroying it stops the packing and closes the file being read. */
export function tarStream(entries: Iterable<TarEntry>): Readable {
  const pack = tar.pack();
  // Once the pack is closed (read to the end, or destroyed by its reader) nothing waits on it.
  const closed = new AbortController();
  pack.once('close', () => closed.abort());
  addEntries(pack, entries, closed.signal).then(
    () => pack.finalize(),
    (error: Error) => pack.destroy(error),
  );
  return Readable.from(pack, { objectMode: false });
}

async function addEntries(pack: tar.Pack, entries: Iterable<TarEntry>, closed: AbortSignal): Promise<void> {
  for (const entry of entries) {
    const size = entry.type === 'file' ? (entry.content?.length ?? entry.size ?? 0) : 0;
    const header = {
      name: entry.type === 'dir' && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name,
      type: TYPES[entry.type],
      mode: TYPE_BITS[entry.type] | (entry.mode & 0o7777),
      mtime: new Date(Math.min(MAX_MTIME, Math.max(0, Math.floor(entry.mtime))) * 1000),
      size,
      linkname: entry.linkname ?? '',
    };
    if (entry.type === 'file' && !entry.content && !entry.source) throw new Error(`tar: no content for ${entry.name}`);
    const sink = entry.type === 'file' && entry.content ? pack.entry(header, entry.content) : pack.entry(header);
    // An entry and the pack share their fate (an error in either destroys both) and the pack's
    // reader gets the error; unheard, the entry's 'error' event would throw.
    sink.on('error', () => {});
    if (entry.type === 'file' && entry.source && !entry.content) {
      for await (const chunk of fileBytes(entry.source, size)) {
        if (!sink.write(chunk)) await once(sink, 'drain', { signal: closed });
      }
    }
    if (!entry.content) sink.end(null); // (streamx's typings want an argument)
  }
}

/** Exactly `size` bytes of the file: cut if it grew since it was listed, zero-padded if it shrank. */
async function* fileBytes(path: string, size: number): AsyncGenerator<Buffer> {
  let read = 0;
  if (size > 0) {
    for await (const chunk of createReadStream(path, { start: 0, end: size - 1 })) {
      read += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  }
  for (let left = size - read; left > 0; left -= ZEROS.length) yield ZEROS.subarray(0, Math.min(left, ZEROS.length));
}
