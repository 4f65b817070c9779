import * as os from 'node:os';
import * as path from 'node:path';

/** Where pipelines are kept; the CLI and the extension share it (setting `pipewright.storePath`). */
export function defaultStoreRoot(): string {
  return process.env.PIPEWRIGHT_HOME || path.join(os.homedir(), '.pipewright');
}
