// copy_url: the branch of a git repository (a URL or a local path) cloned with the host's git into
// a temporary folder, whose files then go into the image as copy_dir's would. The commit is read
// back so the image (and the run) can say exactly what it holds.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError } from './timeout';

export interface Clone {
  dir: string;
  /** The URL without credentials: what the image, the messages and the run may show. */
  url: string;
  branch: string;
  commit: string;
  remove(): Promise<void>;
}

export class GitCloneError extends Error {
  override name = 'GitCloneError';
}

/** Credentials in a URL (`https://user:token@host/…`) never reach a message. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}

function git(args: string[], options: { timeoutMs: number; signal?: AbortSignal; cwd?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      // No prompt for a password: a clone that needs one fails instead of hanging the run.
      { cwd: options.cwd, timeout: options.timeoutMs, signal: options.signal, maxBuffer: 16 * 2 ** 20, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true' } },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout.trim());
        if (options.signal?.aborted) return reject(new CancelledError('Cloning'));
        const code = (error as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'git is not installed on this machine (copy_url needs it)' : stderr.trim().split('\n').slice(-5).join('\n') || error.message;
        reject(new GitCloneError(why));
      },
    );
  });
}

/** Clones `branch` of `url` (one branch, shallow when remote). Remove the clone when done with it. */
export async function cloneBranch(url: string, branch: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<Clone> {
  const what = `Cloning ${redactUrl(url)} (copy_url) branch ${branch}`;
  if (!branch) throw new GitCloneError(`${what}: no copy_branch given`);
  const dir = await mkdtemp(join(tmpdir(), 'pipewright-clone-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const remote = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.startsWith('file://');
    // `--` ends the options: a URL or branch starting with "-" cannot become one.
    await git(['clone', '--quiet', '--single-branch', ...(remote ? ['--depth', '1'] : []), '--branch', branch, '--', url, join(dir, 'repo')], options);
    const repo = join(dir, 'repo');
    const shown = redactUrl(url);
    // The .git goes into the image: its remote must not carry a token (Conducto did the same).
    if (shown !== url) await git(['remote', 'set-url', 'origin', shown], { ...options, cwd: repo });
    const commit = await git(['rev-parse', 'HEAD'], { ...options, cwd: repo });
    return { dir: repo, url: shown, branch, commit, remove };
  } catch (error) {
    await remove();
    if (error instanceof GitCloneError) throw new GitCloneError(`${what} failed: ${redactUrl(error.message)}`, { cause: error });
    throw error;
  }
}
