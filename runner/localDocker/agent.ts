// The worker's PID 1 and the channel to it. The runner attaches to the container's stdin, stdout
// and stderr (docker attach: the same API on a local or a remote engine). It writes a job as
// `NONCE BYTES LINES\n` + a shell script; the agent runs the script with the container's stdout and
// stderr, then ends every process the job left (a node ends when its command does), then writes
// an end marker carrying the exit status to both streams. The runner hands a worker its next job
// only after both end markers, and nothing runs in between: what comes after them is the next
// job's (no start marker: each marker is a wake-up of the engine's copiers and of the runner, a
// third of the channel's cost per job). Only the runner knows a job's nonce before the job starts,
// so nothing a node prints can end another job or forge its status; no file on the host is shared
// with the container to carry jobs or results. Output written while no runner is attached goes to
// the engine's log of the container, where a restarted runner finds it (re-attach: after the end
// markers that came before the job, countEarlierEnds). Works with busybox sh and dash.
import { randomBytes } from 'node:crypto';
import { shQuote } from '../shQuote';

/** Inside the container: where a job's input and output files are (never a host folder). */
export const JOB_FILES = '/tmp/.pipewright';

/** A job's input or output file inside its container. */
export function jobFile(execId: string, name: string): string {
  return `${JOB_FILES}/${execId}.${name}`;
}

/** Scripts up to this size are read line by line by the agent's shell; longer ones by head. */
const LINE_READ_MAX = 65536;

/** The shell function a job's script calls to choose bash (jobScript): the agent's and a swarm task's. */
export const PWBASH = `pwbash() { command -v bash >/dev/null 2>&1; }`;

export const AGENT_SCRIPT = [
  // An idle worker whose runner is gone stops by itself (the live runner removes idle workers sooner).
  `trap 'exit 0' USR1`,
  `trap '' INT TERM HUP PIPE`,
  `idle=\${PIPEWRIGHT_IDLE_SEC:-300}`,
  // The kernel's count of OOM kills in the container's cgroup (v1, else v2; chosen once): the
  // engine's OOMKilled is only for PID 1, and a runner whose engine is elsewhere cannot read the
  // cgroup itself. Sets $n (no command substitution: a fork per job saved). Read once per job:
  // between jobs nothing runs, so the count at the last job's end is where this one starts.
  `oomf=/sys/fs/cgroup/memory/memory.oom_control; peakf=/sys/fs/cgroup/memory/memory.max_usage_in_bytes`,
  `[ -r "$oomf" ] || { oomf=/sys/fs/cgroup/memory.events; peakf=/sys/fs/cgroup/memory.peak; }`,
  `oomk() { n=0; { while read -r k v; do [ "$k" = oom_kill ] && n=$v; done <"$oomf"; } 2>/dev/null; }`,
  // The job's own shell runs bash when the image has it: asked per job (a job may install it), by
  // name, so each job's script stays short (the agent reads it a byte at a time).
  PWBASH,
  // Each fork and exec per job costs about as much as the node's own `true`: what can be a builtin is.
  // The clock from the boot time and the uptime (no date process); date where /proc says nothing.
  `bt=; { while read -r k v; do [ "$k" = btime ] && bt=$v; done </proc/stat; } 2>/dev/null`,
  `clock() { now=; up=; read -r up _ </proc/uptime 2>/dev/null; if [ -n "$bt" ] && [ -n "$up" ]; then now=$(( bt + \${up%.*} )); else now=$(date +%s 2>/dev/null); fi; }`,
  // A read that times out by itself (busybox) needs no timer process per job; dash's read cannot.
  `rt=; ( read -t 1 x </dev/null ) 2>/dev/null; [ $? = 1 ] && rt=1`,
  `oomk; oom0=$n`,
  `nl='`,
  `'`,
  `while :; do`,
  `  if [ -n "$rt" ]; then IFS=' ' read -t "$idle" -r nonce len lines || exit 0; else`,
  `    ( sleep "$idle"; kill -USR1 1 ) 2>/dev/null & timer=$!`,
  `    IFS=' ' read -r nonce len lines || exit 0`,
  // -9: the timer inherits the ignored TERM (ignored signals stay ignored in children).
  `    kill -9 "$timer" 2>/dev/null`,
  `  fi`,
  `  case "$nonce" in ''|*[!0-9a-f]*) continue;; esac`,
  `  case "$len" in ''|*[!0-9]*) continue;; esac`,
  `  case "$lines" in ''|*[!0-9]*) continue;; esac`,
  // A script up to LINE_READ_MAX bytes: as many lines as the header says (the runner counted them:
  // no content can end the script early or late), read by the shell itself, no process per job. A
  // longer one (big input files) in blocks by head, the x keeping trailing newlines; busybox's head
  // may read past len, but nothing follows such a script in the pipe until its end marker.
  `  if [ "$len" -gt ${LINE_READ_MAX} ]; then script=$(head -c "$len"; echo x); script=\${script%x}; else`,
  `    script=; while [ "$lines" -gt 0 ]; do IFS= read -r line || exit 0; script="$script$line$nl"; lines=$((lines - 1)); done`,
  `  fi`,
  // The job does not get its nonce from the agent's variables (it could print this job's end and
  // have the runner take what it prints next for the next job's output).
  `  ( set --; eval "unset nonce script line len lines$nl$script" ) </dev/null`,
  `  status=$?`,
  // Every process but this one (PID 1 is out of reach of kill -1): what the job left behind.
  `  kill -9 -1 2>/dev/null`,
  // With the time it ended and the container's peak memory (the runner resets it before each job
  // on cgroup v1): a runner that re-attaches later records both, even once the worker has stopped.
  `  clock`,
  `  peak=; { read -r peak <"$peakf"; } 2>/dev/null`,
  `  oomk; ooms=$(( n - oom0 )); oom0=$n`,
  `  printf '\\000PWEND:%s %s %s %s %s\\n' "$nonce" "$status" "$now" "$peak" "$ooms"; printf '\\000PWEND:%s %s %s %s %s\\n' "$nonce" "$status" "$now" "$peak" "$ooms" >&2`,
  `done`,
].join('\n');

/** Random bytes drawn a block at a time: one draw per job cost a syscall and a buffer per node. */
let nonceBytes = Buffer.alloc(0);
let nonceAt = 0;

export function newNonce(): string {
  if (nonceAt + 16 > nonceBytes.length) {
    nonceBytes = randomBytes(16 * 256);
    nonceAt = 0;
  }
  const nonce = nonceBytes.toString('hex', nonceAt, nonceAt + 16);
  nonceAt += 16;
  return nonce;
}

// A NUL starts each marker: output rarely ends in one, so almost nothing is held back waiting to
// see whether it is a marker (a held newline would reach the combined log after later stderr).
/** A swarm task's start marker (runner/swarm/taskScript.ts); the local agent sends none. */
export const startMarker = (nonce: string) => Buffer.from(`\0PWSTART:${nonce}\n`);
/** How every end marker begins, whatever its nonce. */
export const END_PREFIX = Buffer.from('\0PWEND:');
/** The end marker up to its status: `\0PWEND:NONCE ` then the status, the time (s), the peak memory (bytes, may be empty), the OOM kills during the job and a newline. */
export const endMarker = (nonce: string) => Buffer.from(`\0PWEND:${nonce} `);

/** What a job is: its files, working directory, environment and command. */
export interface JobScript {
  command: string;
  env: Record<string, string>;
  /** null: the image's WORKDIR. */
  workdir: string | null;
  /** Files the node reads, written inside the container before the command runs. */
  inputs?: { path: string; content: string }[];
  /** Does the node leave files for the runner (their folder must exist)? */
  outputs?: boolean;
}

/** The script the agent evaluates for one job (its shell defines `pwbash`: TASK_SCRIPT does too). */
export function jobScript(job: JobScript): string {
  const lines: string[] = [];
  if (job.inputs?.length || job.outputs) lines.push(`mkdir -p ${JOB_FILES} || exit 126`);
  // A quoted here-document whose end line holds a nonce of its own (the job's is not the job's to
  // read): no content can end it early. It ends every line with a newline: content ending in one
  // is written as it is.
  const eof = job.inputs?.length ? `PWEOF_${newNonce()}` : '';
  for (const input of job.inputs ?? []) lines.push(`cat > ${shQuote(input.path)} <<'${eof}'`, input.content.replace(/\n$/, ''), eof);
  if (job.workdir) lines.push(`cd ${shQuote(job.workdir)} || exit 126`);
  for (const [key, value] of Object.entries(job.env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) continue;
    lines.push(`export ${shQuote(`${key}=${value}`)}`);
  }
  // As Conducto: bash when the image has it (pipefail, [[ ]], arrays), else the image's sh, which
  // is the shell running this script: evaluated here, without another sh process.
  const command = shQuote(job.command);
  lines.push(`pwbash && exec bash -c ${command}`, `eval ${command}`);
  return `${lines.join('\n')}\n`;
}

/** A job as the agent reads it from its stdin: a header (nonce, bytes, lines), then the script. */
export function jobFrame(nonce: string, script: string): Buffer {
  const body = Buffer.from(script.endsWith('\n') ? script : `${script}\n`, 'utf8');
  let lines = 0;
  for (let at = body.indexOf(10); at !== -1; at = body.indexOf(10, at + 1)) lines++;
  return Buffer.concat([Buffer.from(`${nonce} ${body.length} ${lines}\n`), body]);
}
