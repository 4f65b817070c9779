import { existsSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The Python SDK ships inside the bundle as dist/sdk; in the source tree it is sdk/ at the top.
 * PIPEWRIGHT_SDK overrides both (tests of a packaged build, unusual layouts).
 */
export function sdkDirectory(): string {
  const candidates = [
    process.env.PIPEWRIGHT_SDK,
    path.join(__dirname, 'sdk'),
    path.resolve(__dirname, '..', 'sdk'),
  ];
  for (const dir of candidates) {
    if (dir && existsSync(path.join(dir, 'pipewright', '__init__.py'))) return dir;
  }
  throw new Error(`Pipewright's Python SDK was not found (looked in: ${candidates.filter(Boolean).join(', ')})`);
}

export function pythonExecutable(): string {
  return process.env.PIPEWRIGHT_PYTHON || 'python3';
}
