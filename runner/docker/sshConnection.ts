// An engine reached over SSH (DOCKER_HOST=ssh://user@host[:port]) the way the docker CLI reaches it:
// the system's `ssh` runs `docker system dial-stdio` on the remote machine and its stdin/stdout carry
// the API. Using the user's ssh (not a library) keeps what they rely on: ~/.ssh/config (ProxyJump,
// IdentityFile, ControlMaster), known_hosts checking, keys and agents. Connections are kept alive
// and reused: an ssh process per request would cost a handshake each.
import { spawn } from 'node:child_process';
import { Agent } from 'node:http';
import { Duplex } from 'node:stream';

export interface SshTarget {
  host: string;
  port?: string;
  username?: string;
}

/** The ssh command line for one connection (PIPEWRIGHT_SSH_CONFIG: an ssh config file, as `ssh -F`). */
export function sshArgs(target: SshTarget, env: NodeJS.ProcessEnv = process.env): string[] {
  return [
    ...(env.PIPEWRIGHT_SSH_CONFIG ? ['-F', env.PIPEWRIGHT_SSH_CONFIG] : []),
    // Never a password prompt nobody can answer: keys, agents or a failure that says so.
    '-o',
    'BatchMode=yes',
    ...(target.username ? ['-l', target.username] : []),
    ...(target.port ? ['-p', target.port] : []),
    '--',
    target.host,
    'docker',
    'system',
    'dial-stdio',
  ];
}

/** An HTTP agent whose connections are `ssh … docker system dial-stdio` processes. */
export function sshAgent(target: SshTarget): Agent {
  const agent = new Agent({ keepAlive: true, maxFreeSockets: 4 });
  (agent as unknown as { createConnection: () => Duplex }).createConnection = () => sshSocket(target);
  return agent;
}

function sshSocket(target: SshTarget): Duplex {
  const child = spawn('ssh', sshArgs(target), { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-2000)));
  const socket = new Duplex({
    read: () => child.stdout.resume(),
    write: (chunk: Buffer, _encoding, done) => (child.stdin.write(chunk) ? done() : child.stdin.once('drain', () => done())),
    final: (done) => child.stdin.end(done),
    destroy: (err, done) => {
      child.kill();
      done(err);
    },
  }) as Duplex & Record<string, unknown>;
  child.stdout.on('data', (chunk: Buffer) => {
    if (!socket.push(chunk)) child.stdout.pause();
  });
  // The stream ends when ssh does: a failed ssh (a refused key, an unknown host) is an error that
  // says what ssh said, not a bare "socket hang up".
  const failed = (why: string) => socket.destroy(Object.assign(new Error(`ssh to ${target.host} failed (${why})${said(stderr)}`), { code: 'ESSH' }));
  child.once('close', (code, signal) => {
    if (code === 0) socket.push(null);
    else failed(signal ? `ended by ${signal}` : `exit ${code}`);
  });
  child.once('error', (err) => failed(err.message));
  child.stdin.on('error', () => undefined);
  // What the HTTP client and agent ask of a socket: the process stands for it.
  Object.assign(socket, {
    setKeepAlive: () => socket,
    setNoDelay: () => socket,
    setTimeout: (_ms: number, onTimeout?: () => void) => {
      if (onTimeout) socket.once('timeout', onTimeout);
      return socket;
    },
    ref: () => (child.ref(), socket),
    unref: () => (child.unref(), socket),
  });
  return socket;
}

/** What ssh said, short: its first line and its last two (a banner of @ signs left out). */
function said(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.replace(/^@+|@+$/g, '').trim().replace(/\.$/, ''))
    .filter(Boolean);
  const kept = [...new Set([...lines.slice(0, 1), ...lines.slice(-2)])];
  return kept.length ? `: ${kept.join(' … ')}` : '';
}
