import { CONTAINER_PATHS } from '../nodePaths';

/** Quotes a word for POSIX sh. */
export function shQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * PID 1 of a worker container: waits for job ids on its FIFO and runs them one at a time. The job's
 * stdout and stderr go to `<id>.log` (stderr also to `<id>.err`) and its status to `<id>.exit`, all in
 * the bind-mounted exec folder: the runner never carries the output, and a restarted runner finds
 * results by reading files. Works with busybox sh and dash.
 */
export function workerLoopScript(): string {
  const d = CONTAINER_PATHS.exec;
  return [
    `d=${d}; ctl="$d/$PIPEWRIGHT_WORKER.fifo"`,
    `rm -f "$ctl"; mkfifo "$ctl" || exit 97`,
    // Held open read-write for the worker's life: the runner's non-blocking open never finds the
    // FIFO without a reader between two jobs.
    `exec 4<>"$ctl"`,
    `while :; do`,
    `  id=""; read -r id <&4 || true`,
    `  case "$id" in ""|*/*) continue;; exit) break;; esac`,
    // A job runs once: a restarted runner may send an id again when it cannot tell if it was read.
    `  [ -e "$d/$id.log" ] && continue`,
    `  { { sh "$d/$id.sh" 2>&1 1>&3 3>&- 4<&-; echo $? > "$d/$id.status"; } | tee "$d/$id.err" >&3 3>&- 4<&-; } 3>"$d/$id.log"`,
    `  mv "$d/$id.status" "$d/$id.exit"`,
    `done`,
  ].join('\n');
}

/** The script a job runs: its working directory, env, then `sh -c COMMAND`. */
export function jobScript(command: string, env: Record<string, string>, workdir: string): string {
  const lines = [`cd ${shQuote(workdir)} || exit 126`];
  for (const [key, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) continue;
    lines.push(`export ${shQuote(`${key}=${value}`)}`);
  }
  lines.push(`exec sh -c ${shQuote(command)}`);
  return lines.join('\n') + '\n';
}
