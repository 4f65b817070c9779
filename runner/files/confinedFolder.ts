// Files of a folder that nodes write (the pipeline's shared data folder, mounted read-write in every
// container), as the runner on the host reads, copies and replaces them. A node may leave symbolic
// links there (result.json -> ~/.ssh/id_rsa, clearml/x -> /etc): followed by the runner, the user's
// account, they would hand host files to other nodes or to the store-wide cache, or write into host
// folders. So a path is walked one folder at a time, never through a link; only regular files are
// read (a FIFO would hang the runner); links are copied as links, never dereferenced.
//
// On Linux each folder is opened and the next name looked up in that very folder
// (/proc/self/fd/N/name, openat without openat): a node swapping a folder for a link meanwhile
// changes nothing. Elsewhere each name is checked as it is walked, which a racing node could beat.
import {
  closeSync,
  constants,
  cpSync,
  existsSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import * as path from 'node:path';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;
const FD_PATHS = process.platform === 'linux' && existsSync('/proc/self/fd');
const CHUNK = 1 << 20;

/** A path the runner will not read or write: a link, a special file, a way out of the folder. */
export class RefusedPath extends Error {}

/** An open folder inside the confined one; names below it are looked up in it. */
interface OpenFolder {
  fd: number;
  /** A path of this very folder. */
  self: string;
}

export class ConfinedFolder {
  /** `root` is trusted (the runner made it); everything below it is not. `name` is for messages. */
  constructor(
    readonly root: string,
    readonly name = 'the shared data folder',
    /** Of the files the runner places or copies out (0600 where only the user may read them: logs). */
    readonly fileMode = 0o644,
  ) {}

  /** A regular file's bytes; null when there is none. Refuses links, special files, files over `maxBytes`. */
  readFile(rel: string, maxBytes = 64 * 2 ** 20): Buffer | null {
    return this.withFile(rel, (fd, size) => {
      if (size > maxBytes) throw this.refused(rel, `is larger than ${maxBytes} bytes`);
      const buf = Buffer.alloc(size);
      let got = 0;
      while (got < size) {
        const n = readSync(fd, buf, got, size - got, got);
        if (n <= 0) break;
        got += n;
      }
      return buf.subarray(0, got);
    });
  }

  /** What is at `rel`, reached through real folders only: a regular file, a folder, or nothing. Refuses the rest. */
  kind(rel: string): 'file' | 'folder' | 'missing' {
    const { dirs, leaf } = this.split(rel);
    const dir = this.openFolder(dirs, false);
    if (!dir) return 'missing';
    try {
      const st = lstatOrNull(at(dir, leaf));
      if (!st) return 'missing';
      if (st.isFile()) return 'file';
      if (st.isDirectory()) return 'folder';
      throw this.refused(rel, describe(st));
    } finally {
      closeSync(dir.fd);
    }
  }

  /** Makes the folder `rel` and the folders above it; refuses a link or a file in the way. */
  makeFolder(rel: string): void {
    const dir = this.openFolder(this.parts(rel), true)!;
    closeSync(dir.fd);
  }

  /**
   * Copies the folder `rel` to `dest`, a new folder outside (the runner's own): files by their bytes
   * read through checked descriptors, links as links (their text, never followed); refuses special
   * files and a link in place of `rel` or of any folder above it.
   */
  copyFolderOut(rel: string, dest: string): void {
    const dir = this.openFolder(this.parts(rel), false);
    if (!dir) throw new Error(`${rel} in ${this.name} does not exist`);
    try {
      this.copyOpenFolder(dir, rel, dest);
    } finally {
      closeSync(dir.fd);
    }
  }

  /** Copies the regular file `rel` to `dest` (outside); false when there is none. Refuses links and special files. */
  copyFileOut(rel: string, dest: string): boolean {
    return this.withFile(rel, (fd) => copyFd(fd, dest, this.fileMode)) !== null;
  }

  /** Writes a copy of the trusted file `src` (null: an empty file) at `rel`, replacing a file or link there, never writing through it. */
  placeFile(src: string | null, rel: string): void {
    const { dirs, leaf } = this.split(rel);
    const dir = this.openFolder(dirs, true)!;
    try {
      const target = at(dir, leaf);
      const st = lstatOrNull(target);
      if (st?.isDirectory()) throw this.refused(rel, 'is a folder');
      if (st) unlinkSync(target);
      if (src === null) return closeSync(openSync(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, this.fileMode));
      const input = openSync(src, O_RDONLY);
      try {
        copyFd(input, target, this.fileMode);
      } finally {
        closeSync(input);
      }
    } finally {
      closeSync(dir.fd);
    }
  }

  /**
   * Puts a copy of the trusted folder `src` at `rel`, replacing what is there. The copy is made in a
   * temporary folder in `staging` (the runner's own, on the same file system, where no node
   * reaches) and renamed into place; what it replaces is renamed out to it and removed there.
   */
  placeFolder(src: string, rel: string, staging: string): void {
    const { dirs, leaf } = this.split(rel);
    mkdirSync(staging, { recursive: true });
    const work = mkdtempSync(path.join(staging, '.placing-'));
    try {
      const copy = path.join(work, 'copy');
      cpSync(src, copy, { recursive: true, verbatimSymlinks: true });
      const dir = this.openFolder(dirs, true)!;
      try {
        const target = at(dir, leaf);
        if (lstatOrNull(target)) renameSync(target, path.join(work, 'old'));
        renameSync(copy, target);
      } finally {
        closeSync(dir.fd);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  // ---- walking ---------------------------------------------------------------------------

  /** `rel` as names; refuses a way out of the folder. */
  private parts(rel: string): string[] {
    const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
    if (path.isAbsolute(rel) || parts.some((p) => p === '..' || p.includes('\0'))) throw this.refused(rel, 'leads out of it');
    return parts;
  }

  private split(rel: string): { dirs: string[]; leaf: string } {
    const dirs = this.parts(rel);
    const leaf = dirs.pop();
    if (leaf === undefined) throw this.refused(rel, 'names no file');
    return { dirs, leaf };
  }

  /** Opens the folder `dirs` below the root, one real folder at a time; null when one is missing and not `create`d. */
  private openFolder(dirs: readonly string[], create: boolean): OpenFolder | null {
    let dir: OpenFolder = { fd: openSync(this.root, O_RDONLY | O_DIRECTORY), self: this.root };
    try {
      for (let i = 0; i < dirs.length; i++) {
        const next = this.openSub(dir, dirs[i]!, dirs.slice(0, i + 1).join('/'), create);
        closeSync(dir.fd);
        dir.fd = -1;
        if (!next) return null;
        dir = next;
      }
      return dir;
    } catch (err) {
      if (dir.fd >= 0) closeSync(dir.fd);
      throw err;
    }
  }

  /** Opens the folder `name` in `dir` (`rel` is its path, for messages); refuses a link or a file there. */
  private openSub(dir: OpenFolder, name: string, rel: string, create: boolean): OpenFolder | null {
    const where = at(dir, name);
    const open = () => {
      const fd = openSync(where, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      return { fd, self: FD_PATHS ? `/proc/self/fd/${fd}` : where };
    };
    try {
      return open();
    } catch (err) {
      if (code(err) !== 'ENOENT') throw this.refusedAt(where, rel, err, true);
      if (!create) return null;
    }
    try {
      mkdirSync(where);
    } catch (err) {
      if (code(err) !== 'EEXIST') throw err;
    }
    try {
      return open();
    } catch (err) {
      throw this.refusedAt(where, rel, err, true);
    }
  }

  /** Runs `fn` on a regular file opened without following a link; null when there is none. */
  private withFile<T>(rel: string, fn: (fd: number, size: number) => T): T | null {
    const { dirs, leaf } = this.split(rel);
    const dir = this.openFolder(dirs, false);
    if (!dir) return null;
    try {
      const where = at(dir, leaf);
      let fd: number;
      try {
        // O_NONBLOCK: opening a FIFO a node left must not wait for a writer.
        fd = openSync(where, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
      } catch (err) {
        if (code(err) === 'ENOENT') return null;
        throw this.refusedAt(where, rel, err, false);
      }
      try {
        const st = fstatSync(fd);
        if (!st.isFile()) throw this.refused(rel, describe(st));
        return fn(fd, st.size);
      } finally {
        closeSync(fd);
      }
    } finally {
      closeSync(dir.fd);
    }
  }

  private copyOpenFolder(dir: OpenFolder, rel: string, dest: string): void {
    mkdirSync(dest);
    for (const name of readdirSync(dir.self)) {
      const inner = `${rel}/${name}`;
      const where = at(dir, name);
      const st = lstatSync(where);
      if (st.isSymbolicLink()) symlinkSync(readlinkSync(where), path.join(dest, name));
      else if (st.isDirectory()) {
        const sub = this.openSub(dir, name, inner, false);
        if (!sub) continue; // removed meanwhile
        try {
          this.copyOpenFolder(sub, inner, path.join(dest, name));
        } finally {
          closeSync(sub.fd);
        }
      } else if (st.isFile()) {
        this.withFileIn(dir, name, inner, (fd) => copyFd(fd, path.join(dest, name), st.mode & 0o777));
      } else throw this.refused(inner, describe(st));
    }
  }

  /** `withFile` for a name in an open folder. */
  private withFileIn(dir: OpenFolder, name: string, rel: string, fn: (fd: number) => void): void {
    let fd: number;
    try {
      fd = openSync(at(dir, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (err) {
      throw this.refusedAt(at(dir, name), rel, err, false);
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw this.refused(rel, describe(st));
      fn(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Why opening `where` (`rel`) failed: a link, or for a folder anything else in its place, is refused; other errors stay. */
  private refusedAt(where: string, rel: string, err: unknown, folder: boolean): Error {
    const st = lstatOrNull(where);
    if (st && (st.isSymbolicLink() || (folder && !st.isDirectory()))) return this.refused(rel, describe(st));
    return err as Error;
  }

  private refused(rel: string, why: string): RefusedPath {
    return new RefusedPath(`${rel} in ${this.name} ${why} (the runner follows no link there and reads only regular files)`);
  }
}

/** Where `name` is inside an open folder. */
function at(dir: OpenFolder, name: string): string {
  return `${dir.self}/${name}`;
}

function describe(st: Stats): string {
  if (st.isSymbolicLink()) return 'is a symbolic link';
  if (st.isDirectory()) return 'is a folder';
  if (st.isFile()) return 'is a file, not a folder';
  return st.isFIFO() ? 'is a FIFO' : st.isSocket() ? 'is a socket' : 'is a device or other special file';
}

function lstatOrNull(where: string): Stats | null {
  try {
    return lstatSync(where);
  } catch {
    return null;
  }
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** Copies an open file to a new file `dest`, which must not exist (no link is followed there either). */
function copyFd(fd: number, dest: string, mode = 0o644): void {
  const out = openSync(dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  try {
    const buf = Buffer.alloc(CHUNK);
    let pos = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, pos);
      if (n <= 0) break;
      let written = 0;
      while (written < n) written += writeSync(out, buf, written, n - written);
      pos += n;
    }
  } finally {
    closeSync(out);
  }
}
