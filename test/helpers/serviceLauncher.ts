import * as path from 'node:path';
import type { ServiceLauncher } from '../../runner/service/serviceClient';

const repo = path.resolve(__dirname, '..', '..');

/** The runner service from source (tsx), as `pipewright service --store STORE`. */
export function cliLauncherForTests(storeRoot: string): ServiceLauncher {
  return { command: process.execPath, args: ['--import', 'tsx', path.join(repo, 'cli/main.ts'), 'service', '--store', storeRoot], env: { PIPEWRIGHT_SERVICE_IDLE_MS: '1500' } };
}
