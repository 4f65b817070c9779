// Folders in and out of volumes on an engine that shares no files with the runner, as tar archives
// through the API (docker cp). In: the SDK, the definition's folder, the store's data. Out: the
// shared data nodes wrote, which a hostile node may have filled with links, devices or names that
// climb out: only folders and regular files come out, and only below the destination.
import { randomBytes } from 'node:crypto';
import { createWriteStream, lstatSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { collectContext, toTarEntries } from '../docker/buildContext';
import { tarStream } from '../docker/tar';

/** The archive of `dir` (as a build context is walked: .dockerignore honoured, `neverSent` folders left out). */
export async function packFolder(dir: string, neverSent: readonly string[] = []): Promise<Readable> {
  return tarStream(toTarEntries(await collectContext(dir, neverSent)));
}

/** What an archive's entries may become on the host. */
export interface UnpackSummary {
  files: number;
  bytes: number;
  /** Entries refused: links, special files, names outside the destination. */
  refused: string[];
}

/**
 * Writes the folders and regular files of `archive` into `dest`, dropping the first `strip` path
 * components (docker cp of /x/data names every entry data/...). Never follows or makes a link.
 */
export async function unpackInto(archive: NodeJS.ReadableStream, dest: string, strip = 1): Promise<UnpackSummary> {
  const summary: UnpackSummary = { files: 0, bytes: 0, refused: [] };
  const unpack = extract();
  const done = new Promise<void>((resolve, reject) => {
    unpack.on('finish', resolve);
    unpack.on('error', reject);
  });
  unpack.on('entry', (header, body, next) => {
    const skip = (why?: string) => {
      if (why) summary.refused.push(`${header.name}: ${why}`);
      body.resume();
      body.on('end', next);
    };
    const rel = header.name.split('/').filter(Boolean).slice(strip);
    if (!rel.length) return skip();
    if (rel.some((part) => part === '..' || part === '.')) return skip('a name outside the folder');
    const target = path.join(dest, ...rel);
    if (header.type === 'directory') {
      if (!makeFolders(dest, rel)) return skip('a link or file where a folder should be');
      return skip();
    }
    if (header.type !== 'file') return skip(`a ${header.type} (only files and folders are copied)`);
    if (!makeFolders(dest, rel.slice(0, -1)) || isLink(target)) return skip('a link or file where a folder should be');
    summary.files++;
    summary.bytes += header.size ?? 0;
    // Written beside, then renamed into place: a reader (the runner reading a step's result while
    // another step's data comes home) sees the old file or the new one, never half of one.
    // A name no node can guess: one it planted in the volume would make the whole copy fail ('wx').
    const partial = `${target}.pw-partial-${randomBytes(12).toString('hex')}`;
    pipeline(body, createWriteStream(partial, { mode: 0o644, flags: 'wx' }))
      .then(() => renameSync(partial, target))
      .then(
        () => next(),
        (err) => {
          rmSync(partial, { force: true });
          unpack.destroy(err as Error);
        },
      );
  });
  archive.pipe(unpack);
  await done;
  return summary;
}

/** Makes each folder of `parts` under `root`, refusing to go through anything but a real folder. */
function makeFolders(root: string, parts: readonly string[]): boolean {
  let at = root;
  for (const part of parts) {
    at = path.join(at, part);
    const st = lstatOrNull(at);
    if (!st) mkdirSync(at, { mode: 0o755 });
    else if (!st.isDirectory()) return false;
  }
  return true;
}

function isLink(file: string): boolean {
  return lstatOrNull(file)?.isSymbolicLink() ?? false;
}

function lstatOrNull(file: string) {
  try {
    return lstatSync(file);
  } catch {
    return null;
  }
}
