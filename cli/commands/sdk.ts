import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pythonExecutable, sdkDirectory } from '../../evaluator/sdkLocation';
import { parseArgs } from '../args';
import type { CliIO } from '../io';

export const sdkUsage = 'pipewright sdk [--install]';

/**
 * Prints where the Python SDK is (for PYTHONPATH), or with --install makes `import conducto` and
 * `import pipewright` work for plain `python pipeline.py` through a .pth file in the user site.
 */
export async function sdkCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, { flags: { install: 'boolean' } });
  const sdk = sdkDirectory();
  if (!args.has('install')) {
    io.out(`${sdk}\n`);
    return 0;
  }
  const python = pythonExecutable();
  const site = execFileSync(python, ['-c', 'import site; print(site.getusersitepackages())'], { encoding: 'utf8' }).trim();
  mkdirSync(site, { recursive: true });
  const pth = path.join(site, 'pipewright-sdk.pth');
  writeFileSync(pth, `${sdk}\n`);
  io.out(`${python} now imports pipewright and conducto from ${sdk} (${pth})\n`);
  return 0;
}
