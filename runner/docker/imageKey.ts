// The content hash that names a built image: same recipe, same tag, no build. It covers what
// decides the image's content (base image ids, the Dockerfile, every context file's path, mode
// and bytes) and nothing that does not (mtimes, owners, where the folder is on the host).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { ContextEntry } from './buildContext';

export const BUILD_REPOSITORY = 'pipewright-build';
const KEY_VERSION = 'pipewright-image/1';

export interface ImageRecipe {
  /** Image ids (or, when not resolvable locally, the references) of every FROM. */
  bases: string[];
  /** The Dockerfile's name inside the context, and its text. */
  dockerfileName: string;
  dockerfile: string;
  /** Context entries under their path in the archive. */
  files: { prefix: string; entries: ContextEntry[] }[];
}

/** Full hex sha256 of the recipe. */
export async function computeImageKey(recipe: ImageRecipe): Promise<string> {
  const entries = recipe.files.flatMap(({ prefix, entries }) => entries.map((e) => ({ e, path: prefix ? `${prefix}/${e.path}` : e.path })));
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const digests = await mapLimited(entries, 16, ({ e }) => (e.type === 'file' ? fileDigest(e.abs, e.size) : Promise.resolve(e.linkTarget ?? '')));

  const hash = createHash('sha256');
  // Length-prefixed fields: no choice of names or contents can make two recipes hash alike.
  const field = (name: string, value: string) => {
    hash.update(`${name}\0${Buffer.byteLength(value)}\0`);
    hash.update(value);
  };
  field('version', KEY_VERSION);
  for (const base of recipe.bases) field('base', base);
  field('dockerfile-name', recipe.dockerfileName);
  field('dockerfile', recipe.dockerfile);
  entries.forEach(({ e, path }, i) => field('entry', `${e.type}\0${path}\0${(e.mode & 0o7777).toString(8)}\0${digests[i]}`));
  return hash.digest('hex');
}

/** `pipewright-build:<first 16 hex digits>`: 64 bits is plenty for one machine's images. */
export function imageTagForKey(key: string): string {
  return `${BUILD_REPOSITORY}:${key.slice(0, 16)}`;
}

/** sha256 of the file's first `size` bytes (the size the archive will announce). */
function fileDigest(path: string, size: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    if (size === 0) return resolve(hash.digest('hex'));
    createReadStream(path, { start: 0, end: size - 1 })
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
