import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { PRIVATE_DIR_MODE } from './privateFiles';
import * as path from 'node:path';

/**
 * Creates a folder and its missing parents (private: 0700), one level at a time, failing at the
 * first that cannot be made. Not `mkdirSync(dir, { recursive: true })`: where the kernel answers ENOENT for a child of
 * a folder that exists (procfs, sysfs: PIPEWRIGHT_HOME=/proc/x), Node's recursive mkdir creates the
 * parent again and retries for ever, at 100% CPU.
 */
export function makeFolder(dir: string): void {
  const missing: string[] = [];
  for (let at = path.resolve(dir); !existsSync(at); at = path.dirname(at)) {
    missing.push(at);
    if (path.dirname(at) === at) break;
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder, { mode: PRIVATE_DIR_MODE });
      chmodSync(folder, PRIVATE_DIR_MODE); // the mode given to mkdir is masked by the umask
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder`);
}

/**
 * Creates the store's folder, or says which folder could not be made and what chose it (`given`:
 * the `--store` flag or the `pipewright.storePath` setting; else PIPEWRIGHT_HOME, else the default).
 */
export function makeStoreFolder(dir: string, given: string | undefined): void {
  try {
    makeFolder(dir);
  } catch (err) {
    const chosen = given
      ? `the store folder given (--store or the pipewright.storePath setting) is ${given}`
      : process.env.PIPEWRIGHT_HOME
        ? `the store folder is PIPEWRIGHT_HOME=${process.env.PIPEWRIGHT_HOME}`
        : 'the store folder is the default; set PIPEWRIGHT_HOME (or --store) to another';
    throw new Error(`cannot create the pipeline store ${dir}: ${(err as Error).message} (${chosen})`, { cause: err });
  }
}
