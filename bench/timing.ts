// What the benchmarks share: the docker CLI as a baseline, and a mean over sequential calls.
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The docker CLI (DOCKER_HOST as set), its trimmed stdout. */
export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 16 << 20 });
  return stdout.trim();
}

/** Mean ms of `fn` over n sequential calls, after one warm-up call. */
export async function meanMs(n: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return (performance.now() - t0) / n;
}
