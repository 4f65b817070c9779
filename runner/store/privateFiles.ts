// How the store writes to disk. Nodes' env values (secrets) land in its files, so only the user may
// read them: folders 0700, files 0600, whatever the umask (a mode given to open or mkdir is masked
// by it, hence the chmod after). Whole files are replaced by rename, so another process reading one
// sees the old version or the new, never half of one.
import { chmodSync, closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import * as path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Makes `dir` and any missing parents 0700. Folders that already existed keep their mode unless
 * `enforce` (a folder the store owns by name), so pointing the store into a shared folder never
 * changes that folder.
 */
export function makePrivateDir(dir: string, { enforce = false } = {}): void {
  const first = mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (first !== undefined) {
    // Everything from the first folder made down to `dir` is new.
    for (let d = dir; ; d = path.dirname(d)) {
      chmodSync(d, PRIVATE_DIR_MODE);
      if (d === first || d === path.dirname(d)) break;
    }
  } else if (enforce) {
    chmodSync(dir, PRIVATE_DIR_MODE);
  }
}

/** Opens (creating if need be) a file only the user can read; `flags` as fs.openSync's. */
export function openPrivateFile(file: string, flags: string | number): number {
  const fd = openSync(file, flags, PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}

let tempSeq = 0;

/**
 * Writes `file` whole: into a temporary file beside it, flushed to disk, then renamed over it.
 * `content` is the text, or a function that writes it to the open descriptor (large files).
 */
export function writePrivateFileAtomic(file: string, content: string | ((fd: number) => void)): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${++tempSeq}.tmp`);
  const fd = openPrivateFile(temp, 'wx');
  try {
    if (typeof content === 'string') writeAll(fd, content);
    else content(fd);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** Appends text to a file only the user can read (created if missing). */
export function appendPrivateFile(file: string, text: string): void {
  const fd = openPrivateFile(file, 'a');
  try {
    writeAll(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** writeSync may write less than asked (a full pipe, a signal): write until all of it is out. */
export function writeAll(fd: number, text: string | Buffer): void {
  const buffer = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  for (let at = 0; at < buffer.length; ) at += writeSync(fd, buffer, at, buffer.length - at);
}
