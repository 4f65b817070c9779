import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

// As in `npm test` (scripts/test.sh): the CLI runs pipelines in its own process unless a test asks
// for the runner service (PIPEWRIGHT_SERVICE=on, test/docker/service.test.ts).
process.env.PIPEWRIGHT_SERVICE ??= 'off';

export const repo = path.resolve(__dirname, '..', '..');
export const cliJs = path.join(repo, 'dist', 'cli.js');

/** The built CLI, as users run it; built once if missing. */
export function ensureBuilt(): void {
  if (!existsSync(cliJs)) spawnSync(process.execPath, [path.join(repo, 'scripts', 'build.mjs')], { stdio: 'inherit' });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], env: Record<string, string> = {}, cwd = repo): Promise<CliResult> {
  return runProcess(process.execPath, [cliJs, ...args], env, cwd);
}

/** Runs a program to its end with extra env, collecting its output. */
export function runProcess(command: string, args: string[], env: Record<string, string> = {}, cwd = repo): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
