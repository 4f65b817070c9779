// The `pipewright` CLI from source in a child process, as users run it (tsx: no build needed), for
// tests that kill the runner with SIGKILL.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { RunnerEvent } from '../../protocol/runner';
import { runProcess, type CliResult } from './cli';
import { TEST_IMAGE } from './runnerHarness';

const repo = path.resolve(__dirname, '..', '..');

/** `pipewright ARGS --store STORE` run to its end: its exit code and output. */
export function pipewrightToEnd(args: string[], storeRoot: string, env: Record<string, string> = {}): Promise<CliResult> {
  return runProcess(process.execPath, ['--import', 'tsx', path.join(repo, 'cli/main.ts'), ...args, '--store', storeRoot], { PIPEWRIGHT_DEFAULT_IMAGE: TEST_IMAGE, ...env });
}

export function pipewrightChild(args: string[], storeRoot: string, env: Record<string, string> = {}): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'cli/main.ts'), ...args, '--store', storeRoot], {
    cwd: repo,
    env: { ...process.env, PIPEWRIGHT_DEFAULT_IMAGE: TEST_IMAGE, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * `pipewright run FILE --json` (and `extra` flags), killed with SIGKILL as soon as `killAt` says so
 * of an event it printed; returns the pipeline's id and the events seen.
 */
export async function runThenKill9(storeRoot: string, file: string, killAt: (event: RunnerEvent) => boolean, extra: string[] = [], env: Record<string, string> = {}): Promise<{ pipeline: string; events: RunnerEvent[] }> {
  const child = pipewrightChild(['run', file, '--json', ...extra], storeRoot, env);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const events: RunnerEvent[] = [];
  let reached = false;
  for await (const line of createInterface({ input: child.stdout })) {
    const event = JSON.parse(line) as RunnerEvent;
    events.push(event);
    if ((reached = killAt(event))) break;
  }
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  // A run that ended before the kill point (or never began) is the test's failure, told with its reason.
  if (!reached) throw new Error(`pipewright run ${file} ended before the kill point (${events.length} events); stderr:\n${stderr}`);
  return { pipeline: events[0]?.pipeline ?? '', events };
}
