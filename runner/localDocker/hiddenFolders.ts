// The store inside a definition's folder (a definition saved in the home folder, the store at
// ~/.pipewright): the folder is mounted read-only for callables and Lazy, but the store holds every
// pipeline's logs, env values and data, which no node may read. Those folders are covered inside
// the container by an empty read-only one.
import { existsSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { CONTAINER_PATHS } from '../nodePaths';

/** What a store root holds; covered one by one (those there: a mount point must exist) when the definition sits in the store root itself. */
const STORE_ENTRIES = ['pipelines', 'cache', 'user-data'];

/** Container paths under the mounted definition folder that must be covered, for a store at `storeRoot`. */
export function hiddenUnderDefinition(definitionDir: string, storeRoot: string): string[] {
  const def = realPath(definitionDir);
  const root = realPath(storeRoot);
  const candidates = root === def ? STORE_ENTRIES.map((e) => path.join(root, e)).filter((dir) => existsSync(dir)) : [root];
  return candidates.filter((dir) => isInside(dir, def)).map((dir) => path.posix.join(CONTAINER_PATHS.src, ...path.relative(def, dir).split(path.sep)));
}

/** Strictly below `parent`. */
function isInside(dir: string, parent: string): boolean {
  const rel = path.relative(parent, dir);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** The path without links; as given if it is gone. */
function realPath(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}
