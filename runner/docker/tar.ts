// A minimal streaming tar (ustar + pax) writer for build contexts. Ours rather than tar-fs so
// that the archive holds exactly the entries we hashed (same walk, same ignore rules), and so
// that a file changing while it is read cannot corrupt the archive: we always write the size
// we announced, truncating or zero-padding.
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

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

const BLOCK = 512;
const MAX_OCTAL_11 = 0o77777777777;

export function tarStream(entries: Iterable<TarEntry>): Readable {
  return Readable.from(tarChunks(entries), { objectMode: false });
}

async function* tarChunks(entries: Iterable<TarEntry>): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    const size = entry.type === 'file' ? (entry.content?.length ?? entry.size ?? 0) : 0;
    yield* headerBlocks(entry, size);
    if (entry.type !== 'file' || size === 0) continue;
    if (entry.content) {
      yield entry.content;
    } else if (entry.source) {
      let written = 0;
      for await (const chunk of createReadStream(entry.source, { start: 0, end: size - 1 })) {
        const buffer = chunk as Buffer;
        written += buffer.length;
        yield buffer;
      }
      if (written < size) yield Buffer.alloc(size - written); // the file shrank since it was listed
    } else {
      throw new Error(`tar: no content for ${entry.name}`);
    }
    if (size % BLOCK) yield Buffer.alloc(BLOCK - (size % BLOCK));
  }
  yield Buffer.alloc(BLOCK * 2);
}

function* headerBlocks(entry: TarEntry, size: number): Generator<Buffer> {
  const name = entry.type === 'dir' && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name;
  const linkname = entry.linkname ?? '';
  const split = splitName(name);
  const pax: [string, string][] = [];
  if (!split) pax.push(['path', name]);
  if (Buffer.byteLength(linkname) > 100 || !isAscii(linkname)) pax.push(['linkpath', linkname]);
  if (size > MAX_OCTAL_11) pax.push(['size', String(size)]);
  if (pax.length) {
    const body = Buffer.concat(pax.map(([k, v]) => paxRecord(k, v)));
    yield header({ name: 'PaxHeader', prefix: '', type: 'x', mode: 0o644, size: body.length, mtime: entry.mtime, linkname: '' });
    yield body;
    if (body.length % BLOCK) yield Buffer.alloc(BLOCK - (body.length % BLOCK));
  }
  const typeflag = entry.type === 'file' ? '0' : entry.type === 'dir' ? '5' : '2';
  yield header({
    name: split ? split.name : asciiTail(name, 100),
    prefix: split ? split.prefix : '',
    type: typeflag,
    mode: entry.mode,
    size: size > MAX_OCTAL_11 ? 0 : size,
    mtime: entry.mtime,
    linkname: Buffer.byteLength(linkname) > 100 || !isAscii(linkname) ? '' : linkname,
  });
}

function header(h: { name: string; prefix: string; type: string; mode: number; size: number; mtime: number; linkname: string }): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, 'utf8');
  octal(b, 100, 8, h.mode & 0o7777);
  octal(b, 108, 8, 0); // uid: COPY/ADD make everything root-owned anyway
  octal(b, 116, 8, 0); // gid
  octal(b, 124, 12, h.size);
  octal(b, 136, 12, Math.max(0, Math.floor(h.mtime)));
  b.write('        ', 148, 8, 'ascii'); // checksum placeholder
  b.write(h.type, 156, 1, 'ascii');
  b.write(h.linkname, 157, 100, 'utf8');
  b.write('ustar\u000000', 257, 8, 'ascii');
  b.write(h.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return b;
}

function octal(b: Buffer, offset: number, length: number, value: number): void {
  b.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'ascii');
}

/** ustar's name (100) + prefix (155) split at a `/`, or null when a pax header is needed. */
function splitName(name: string): { name: string; prefix: string } | null {
  if (!isAscii(name)) return null;
  if (name.length <= 100) return { name, prefix: '' };
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    if (i <= 155 && name.length - i - 1 <= 100 && name.length - i - 1 > 0) return { prefix: name.slice(0, i), name: name.slice(i + 1) };
  }
  return null;
}

function paxRecord(key: string, value: string): Buffer {
  const rest = ` ${key}=${value}\n`;
  const restBytes = Buffer.byteLength(rest);
  let length = restBytes + 1;
  while (String(length).length + restBytes !== length) length = String(length).length + restBytes;
  return Buffer.from(`${length}${rest}`, 'utf8');
}

function isAscii(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s);
}

function asciiTail(s: string, max: number): string {
  const ascii = s.replace(/[^\x20-\x7e]/g, '_');
  return ascii.length <= max ? ascii : ascii.slice(ascii.length - max);
}
