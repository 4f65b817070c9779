// The store-wide cache of pipeline steps (cache_executed_step): a step whose command, resolved
// parameters, image and input artifacts hash the same as a successful earlier execution reuses its
// result, artifacts and log instead of running. A step's folder and log are written by nodes: they
// are copied in and out through ConfinedFolder, so no link a node planted is followed (the cache
// keeps links as links) and nothing is written through one.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { ConfinedFolder } from '../files/confinedFolder';
import { makePrivateDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, writePrivateFileAtomic } from '../store/privateFiles';

export interface CacheInputs {
  kind: string;
  command: string;
  function?: { file: string; name: string; code_hash: string } | null;
  /** The hash of a task's script (StepSpec.script); absent for other steps, whose keys stay as they were. */
  script?: string;
  parameters: Record<string, unknown>;
  image: string;
  env: Record<string, string>;
  /** `step:artifact` -> sha256 of the artifacts the references used. */
  inputs: Record<string, string>;
}

/** A file or folder in a folder nodes write. */
export interface Place {
  folder: ConfinedFolder;
  rel: string;
}

/** Canonical JSON: object keys sorted, so equal inputs hash equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function cacheKey(inputs: CacheInputs): string {
  return createHash('sha256').update(canonical({ v: 1, ...inputs })).digest('hex');
}

export class StepCache {
  constructor(readonly root: string) {}

  private dir(key: string): string {
    return path.join(this.root, key);
  }

  has(key: string): boolean {
    return existsSync(path.join(this.dir(key), 'entry.json'));
  }

  /** Keeps a successful step's folder (result, artifacts) and its log under key; throws what it refused. */
  save(key: string, step: Place, log: Place, about: Record<string, unknown>): void {
    const tmp = `${this.dir(key)}.${process.pid}.${Date.now()}.tmp`;
    // Results and logs of pipelines' steps: only the user's, like the rest of the store.
    makePrivateDir(this.root, { enforce: true });
    makePrivateDir(tmp);
    try {
      step.folder.copyFolderOut(step.rel, path.join(tmp, 'step'));
      chmodSync(path.join(tmp, 'step'), PRIVATE_DIR_MODE);
      if (log.folder.copyFileOut(log.rel, path.join(tmp, 'log'))) chmodSync(path.join(tmp, 'log'), PRIVATE_FILE_MODE);
      writePrivateFileAtomic(path.join(tmp, 'entry.json'), JSON.stringify({ ...about, savedAt: Date.now() }));
      rmSync(this.dir(key), { recursive: true, force: true });
      renameSync(tmp, this.dir(key));
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * Puts a cached step's folder in place and its log at `log`; false if the entry is gone.
   * `staging`: a folder of the runner's own on the step folder's file system, where no node reaches
   * (the pipeline's folder): the copy is made there, then renamed into place.
   */
  restore(key: string, step: Place, log: Place, staging: string): boolean {
    const dir = this.dir(key);
    if (!this.has(key)) return false;
    // An entry whose step is no real folder (a link an earlier runner copied as it was) is none.
    if (!lstatSync(path.join(dir, 'step'), { throwIfNoEntry: false })?.isDirectory()) {
      this.delete(key);
      return false;
    }
    step.folder.placeFolder(path.join(dir, 'step'), step.rel, staging);
    const cachedLog = path.join(dir, 'log');
    log.folder.placeFile(existsSync(cachedLog) ? cachedLog : null, log.rel);
    return true;
  }

  delete(key: string): void {
    rmSync(this.dir(key), { recursive: true, force: true });
  }
}
