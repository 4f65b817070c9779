// A lock the kernel keeps for a process: a Unix socket bound to a name in Linux's abstract namespace.
// Binding a name another live process holds fails (EADDRINUSE), and the kernel frees the name when
// its holder dies, however it dies (kill -9 included): no stale lock, no PID that could be reused.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/** sun_path's size on Linux. */
const SUN_PATH_BYTES = 108;

/**
 * The socket address of a lock name, filling sun_path exactly: libuv up to 1.47 (Node 20) binds
 * abstract names with the whole of sun_path (trailing NULs), later versions with the name's own
 * length, so a shorter name would be two different locks for a CLI on Node 20 and an editor on 22.
 */
function address(name: string): string {
  const padded = `\0${name}`.padEnd(SUN_PATH_BYTES, '.');
  if (Buffer.byteLength(padded) !== SUN_PATH_BYTES || !/^[\x21-\x7e]+$/.test(name)) throw new Error(`"${name}" cannot name a lock (printable ASCII, at most ${SUN_PATH_BYTES - 1} characters)`);
  return padded;
}

function requireLinux(): void {
  if (process.platform !== 'linux') throw new Error(`locking a pipeline for its runner needs Linux (abstract Unix sockets); this is ${process.platform}`);
}

export class ProcessLock {
  private constructor(private server: Server | null) {}

  /** Takes the lock, or returns null while another live process (or this one) holds it. */
  static tryAcquire(name: string): ProcessLock | null {
    requireLinux();
    const server = createServer((socket) => socket.destroy());
    // A failed bind is also reported as an 'error' event on the next tick; `listening` already says it.
    server.on('error', () => undefined);
    // listen() binds a socket path synchronously, so `listening` tells at once who won.
    server.listen({ path: address(name) });
    if (server.listening) {
      // The lock must not keep the process alive.
      server.unref();
      return new ProcessLock(server);
    }
    if (ProcessLock.isHeld(name)) return null;
    throw new Error(`could not take the lock "${name}" (an abstract Unix socket) though no process holds it`);
  }

  /** Whether a live process holds the lock: the kernel's table of bound sockets (this network namespace) says. */
  static isHeld(name: string): boolean {
    requireLinux();
    const wanted = ` @${address(name).slice(1)}`;
    return readFileSync('/proc/net/unix', 'latin1')
      .split('\n')
      .some((line) => line.endsWith(wanted));
  }

  /** Frees the name at once (the socket is closed before this returns). */
  release(): void {
    this.server?.close();
    this.server = null;
  }
}
