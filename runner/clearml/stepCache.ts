// The store-wide cache of pipeline steps (cache_executed_step): a step whose command, resolved
// parameters, image and input artifacts hash the same as a successful earlier execution reuses its
// result, artifacts and log instead of running.
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { makePrivateDir, openPrivateFile, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, writePrivateFileAtomic } from '../store/privateFiles';

export interface CacheInputs {
  kind: string;
  command: string;
  function?: { file: string; name: string; code_hash: string } | null;
  parameters: Record<string, unknown>;
  image: string;
  env: Record<string, string>;
  /** `step:artifact` -> sha256 of the artifacts the references used. */
  inputs: Record<string, string>;
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

  /** Keeps a successful step's folder (result, artifacts) and its log under key. */
  save(key: string, stepDir: string, logFile: string, about: Record<string, unknown>): void {
    const tmp = `${this.dir(key)}.${process.pid}.${Date.now()}.tmp`;
    // Results and logs of pipelines' steps: only the user's, like the rest of the store.
    makePrivateDir(this.root, { enforce: true });
    makePrivateDir(tmp);
    cpSync(stepDir, path.join(tmp, 'step'), { recursive: true });
    chmodSync(path.join(tmp, 'step'), PRIVATE_DIR_MODE);
    if (existsSync(logFile)) {
      copyFileSync(logFile, path.join(tmp, 'log'));
      chmodSync(path.join(tmp, 'log'), PRIVATE_FILE_MODE);
    }
    writePrivateFileAtomic(path.join(tmp, 'entry.json'), JSON.stringify({ ...about, savedAt: Date.now() }));
    rmSync(this.dir(key), { recursive: true, force: true });
    renameSync(tmp, this.dir(key));
  }

  /** Puts a cached step's folder in place and its log at logFile; false if the entry is gone. */
  restore(key: string, stepDir: string, logFile: string): boolean {
    const dir = this.dir(key);
    if (!this.has(key)) return false;
    rmSync(stepDir, { recursive: true, force: true });
    mkdirSync(path.dirname(stepDir), { recursive: true });
    cpSync(path.join(dir, 'step'), stepDir, { recursive: true });
    if (existsSync(path.join(dir, 'log'))) copyFileSync(path.join(dir, 'log'), logFile);
    else closeSync(openPrivateFile(logFile, 'w'));
    return true;
  }

  delete(key: string): void {
    rmSync(this.dir(key), { recursive: true, force: true });
  }
}
