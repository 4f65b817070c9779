// The files of a build context (or copy_dir): one walk, whose result is both hashed (imageKey.ts)
// and archived (tar.ts), so the cache key always describes what the engine received.
import dockerignore from '@balena/dockerignore';
import { lstat, readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { TarEntry } from './tar';

/** Never sent: VCS data, dependency caches and bytecode are large and change the hash for nothing. */
export const ALWAYS_SKIPPED = new Set(['.git', 'node_modules', '__pycache__']);

export interface ContextEntry {
  /** Relative to the context root, `/`-separated. */
  path: string;
  /** Absolute path on the host. */
  abs: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  size: number;
  mtimeMs: number;
  linkTarget?: string;
}

/**
 * Lists `root` in a stable (sorted) order, honouring `root/.dockerignore` like the docker CLI:
 * an ignored directory is skipped whole unless a `!` exception could re-include something in it.
 * Sockets, fifos and devices are left out, and so are the `neverSent` folders inside it (the
 * store, when a definition in the home folder copies its folder: every pipeline's logs and env values).
 */
export async function collectContext(root: string, neverSent: readonly string[] = []): Promise<ContextEntry[]> {
  const rootStat = await lstat(root).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`Build context ${root} cannot be read: ${error.code === 'ENOENT' ? 'no such directory' : error.message}`, { cause: error });
  });
  if (!rootStat.isDirectory()) throw new Error(`Build context ${root} is not a directory`);

  const rules = await readFile(join(root, '.dockerignore'), 'utf8').catch(() => '');
  const ignore = dockerignore({ ignorecase: false }).add(rules);
  const hasExceptions = rules.split('\n').some((line) => line.trim().startsWith('!'));

  const left = await pathsInside(root, neverSent);
  const out: ContextEntry[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      if (ALWAYS_SKIPPED.has(name)) continue;
      const path = rel ? `${rel}/${name}` : name;
      if (left.has(path)) continue;
      const abs = join(dir, name);
      const st = await lstat(abs);
      const ignored = ignore.ignores(path);
      const base = { path, abs, mode: st.mode & 0o7777, mtimeMs: st.mtimeMs };
      if (st.isDirectory()) {
        if (!ignored) out.push({ ...base, type: 'dir', size: 0 });
        if (!ignored || hasExceptions) await walk(abs, path);
      } else if (ignored) {
        continue;
      } else if (st.isFile()) {
        out.push({ ...base, type: 'file', size: st.size });
      } else if (st.isSymbolicLink()) {
        out.push({ ...base, type: 'symlink', size: 0, linkTarget: await readlink(abs) });
      }
    }
  };
  await walk(root, '');
  return out;
}

/** The folders among `dirs` strictly inside `root`, `/`-separated relative to it (links resolved). */
async function pathsInside(root: string, dirs: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  if (!dirs.length) return out;
  const real = await realpath(root);
  for (const dir of dirs) {
    const rel = relative(real, await realpath(dir).catch(() => dir));
    if (rel && !rel.startsWith('..') && !isAbsolute(rel)) out.add(rel.split(sep).join('/'));
  }
  return out;
}

/** Archive entries for context entries, placed under `prefix` (e.g. `src`) when given. */
export function toTarEntries(entries: ContextEntry[], prefix = ''): TarEntry[] {
  return entries.map((e) => ({
    name: prefix ? `${prefix}/${e.path}` : e.path,
    type: e.type,
    mode: e.mode,
    mtime: Math.floor(e.mtimeMs / 1000),
    size: e.size,
    source: e.type === 'file' ? e.abs : undefined,
    linkname: e.linkTarget,
  }));
}
