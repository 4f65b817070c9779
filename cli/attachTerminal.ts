// Drives a process attached in a container (runner/debug/nodeShell.ts) from this terminal: keys in
// raw mode (Ctrl-C reaches the container's shell, not this process), output out, the window size
// followed, the terminal restored at the end. The exit status is the process's.
import type Dockerode from 'dockerode';
import type { AttachedProcess } from '../runner/debug/nodeShell';

export async function driveAttached(docker: Dockerode, proc: AttachedProcess, withStdin: boolean): Promise<number> {
  const { stdin, stdout, stderr } = process;
  if (proc.tty) proc.stream.on('data', (chunk: Buffer) => stdout.write(chunk));
  else docker.modem.demuxStream(proc.stream, stdout, stderr);
  const ended = new Promise<void>((resolve) => {
    proc.stream.once('end', resolve);
    proc.stream.once('close', resolve);
    proc.stream.once('error', () => resolve());
  });
  const raw = withStdin && stdin.isTTY;
  const forward = (chunk: Buffer) => proc.stream.write(chunk);
  // A piped stdin that ends: the process reads its end too.
  const endInput = () => proc.stream.end();
  if (withStdin) {
    if (raw) stdin.setRawMode(true);
    stdin.on('data', forward);
    stdin.once('end', endInput);
    stdin.resume();
  }
  const resize = () => void proc.resize(stdout.columns, stdout.rows);
  if (proc.tty && stdout.isTTY) {
    resize();
    stdout.on('resize', resize);
  }
  // A closed terminal (SIGHUP) or a kill: a debug container goes with it.
  const stop = () => void proc.stop();
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, stop);
  try {
    await ended;
    return await proc.exitCode();
  } finally {
    for (const s of signals) process.off(s, stop);
    stdout.off('resize', resize);
    if (withStdin) {
      stdin.off('data', forward);
      stdin.off('end', endInput);
      if (raw) stdin.setRawMode(false);
      stdin.pause();
    }
  }
}
