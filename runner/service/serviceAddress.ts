import { createHash } from 'node:crypto';
import { lstatSync, realpathSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makePrivateDir } from '../store/privateFiles';

/** Where the runner service of one store listens, and the lock that makes it the only one. */
export interface ServiceAddress {
  /** The store's root (the folder holding `pipelines/`). */
  storeRoot: string;
  /** A Unix socket in a folder only the user may enter (0700); the socket itself is 0600. */
  socket: string;
  /** The abstract-socket lock name (processLock.ts): one live service per store. */
  lock: string;
  /** The service's own files (its log, the runs it holds): inside the store, private. */
  dir: string;
}

/**
 * One service per user and store. The socket lives in the user's runtime folder, not the store:
 * a socket path must fit in 107 bytes and a store path need not.
 */
export function serviceAddress(storeRoot: string): ServiceAddress {
  const real = realpathSync(storeRoot);
  const key = createHash('sha256').update(real).digest('hex').slice(0, 16);
  const runtime = process.env.XDG_RUNTIME_DIR && path.isAbsolute(process.env.XDG_RUNTIME_DIR) ? process.env.XDG_RUNTIME_DIR : os.tmpdir();
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const socketDir = path.join(runtime, `pipewright-${uid}`);
  makePrivateDir(socketDir, { enforce: true });
  // /tmp is shared: a folder another user made (or a link) there could hand them our socket.
  const info = lstatSync(socketDir);
  if (!info.isDirectory() || info.uid !== uid || (info.mode & 0o077) !== 0) {
    throw new Error(`${socketDir} must be a folder of this user's only (mode 0700, not a link) to hold the runner service's socket; remove it or set XDG_RUNTIME_DIR`);
  }
  const dir = path.join(real, 'service');
  makePrivateDir(dir, { enforce: true });
  return { storeRoot: real, socket: path.join(socketDir, `${key}.sock`), lock: `pipewright-service-${key}`, dir };
}
