// What a swarm task runs: one job, then what the runner needs to know about it, on its own stdout.
// The manager API has no exec, attach or file copy into a task, so everything travels in the
// service spec (in) and the service's log (out). The job's script (agent.ts's jobScript: inputs,
// workdir, env, command) is an argument of `sh -c`, not an env var to decode: argv carries any
// bytes but NUL (which a shell script never holds), and the image needs nothing but /bin/sh.
// Around the job: a start marker (the task's log holds the wrapper's own output too) and the end
// markers of the local agent (runner/localDocker/agent.ts, parsed by JobOutput), then on stdout
// only a trailer the node cannot reach into its log: the cgroup's OOM-kill count (the manager
// reports an OOM only as exit 137) and the output files, base64, up to a closing marker. The
// wrapper is PID 1 of the task's container: after the job it ends every process the job left, as
// the local agent does. With a data service, the pipeline's shared data is fetched before the job
// and what it changed sent back after (nodes whose image has no python3 run without it).
import { endMarker, PWBASH } from '../localDocker/agent';
import { CONTAINER_PATHS } from '../nodePaths';
import { shQuote } from '../shQuote';

/**
 * The pipeline's shared data and the user's to and from the runner's data service (dataService.ts), in Python
 * (urllib, tarfile: every node image that runs the SDK has it). `get` unpacks the folder and notes
 * what it got; `put` sends back only what the node made or changed (a parallel sibling's files
 * are not overwritten with the copy this node fetched).
 */
const DATA_SYNC = `
import io, json, os, sys, tarfile, time, urllib.error, urllib.request
auth = {"Authorization": "Bearer " + os.environ["PIPEWRIGHT_DATA_TOKEN"]}
def call(req, timeout):
    # A runner restarting (killed, then opened again) is waited for, up to 10 minutes.
    for attempt in range(300):
        try:
            return urllib.request.urlopen(req, timeout=timeout)
        except urllib.error.HTTPError:
            raise
        except (urllib.error.URLError, ConnectionError) as e:
            if attempt == 299:
                raise
            if attempt == 0:
                print("pipewright: the runner's data service is not answering (%s); trying again" % e, file=sys.stderr)
            time.sleep(2)
folders = [(os.environ["PIPEWRIGHT_DATA_URL"], "${CONTAINER_PATHS.data}", "/tmp/.pipewright-data-seen")]
if os.environ.get("PIPEWRIGHT_USER_DATA_URL"):
    folders.append((os.environ["PIPEWRIGHT_USER_DATA_URL"], "${CONTAINER_PATHS.conductoUserData}", "/tmp/.pipewright-user-data-seen"))
def state(top):
    out = {}
    for d, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(d, n)
            st = os.lstat(p)
            out[os.path.relpath(p, top)] = [st.st_size, st.st_mtime_ns, os.path.isdir(p)]
    return out
for url, top, seen in folders:
    if sys.argv[1] == "get":
        os.makedirs(top, exist_ok=True)
        with call(urllib.request.Request(url, headers=auth), 120) as r:
            with tarfile.open(fileobj=r, mode="r|") as t:
                t.extractall(top, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
        with open(seen, "w") as f:
            json.dump(state(top), f)
    else:
        with open(seen) as f:
            before = json.load(f)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            for rel, now in sorted(state(top).items()):
                p = os.path.join(top, rel)
                if before.get(rel) != now and (now[2] or os.path.isfile(p)) and not os.path.islink(p):
                    t.add(p, arcname=rel, recursive=False)
        req = urllib.request.Request(url, data=buf.getvalue(), method="PUT", headers=auth)
        call(req, 600).close()
if sys.argv[1] == "get" and not os.path.lexists("${CONTAINER_PATHS.conductoPipelineData}"):
    os.makedirs(os.path.dirname("${CONTAINER_PATHS.conductoPipelineData}"), exist_ok=True)
    os.symlink("${CONTAINER_PATHS.data}", "${CONTAINER_PATHS.conductoPipelineData}")
`;

export const TASK_SCRIPT = [
  `nonce=$1; script=$2; shift 2; status=`,
  // What the job's script calls to choose bash (agent.ts's jobScript).
  PWBASH,
  `sync=${shQuote(DATA_SYNC)}`,
  `printf '\\000PWSTART:%s\\n' "$nonce"; printf '\\000PWSTART:%s\\n' "$nonce" >&2`,
  // Without the pipeline's data the node would run on nothing: it does not run.
  `data=; [ -n "$PIPEWRIGHT_DATA_URL" ] && command -v python3 >/dev/null 2>&1 && data=1`,
  `if [ -n "$data" ] && ! python3 -c "$sync" get; then echo "pipewright: the pipeline's data could not be fetched from the runner ($PIPEWRIGHT_DATA_URL)" >&2; status=125; fi`,
  `if [ -z "$status" ]; then ( set --; eval "$script" ) </dev/null; status=$?; fi`,
  `kill -9 -1 2>/dev/null`,
  `if [ -n "$data" ] && [ -f /tmp/.pipewright-data-seen ] && ! python3 -c "$sync" put; then echo "pipewright: the node's data could not be sent to the runner" >&2; [ "$status" = 0 ] && status=125; fi`,
  `now=$(date +%s 2>/dev/null)`,
  `peak=; { read -r peak </sys/fs/cgroup/memory/memory.max_usage_in_bytes || read -r peak </sys/fs/cgroup/memory.peak; } 2>/dev/null`,
  `oom=$({ sed -n 's/^oom_kill //p' /sys/fs/cgroup/memory/memory.oom_control || sed -n 's/^oom_kill //p' /sys/fs/cgroup/memory.events; } 2>/dev/null | head -n 1)`,
  `printf '\\000PWEND:%s %s %s %s\\n' "$nonce" "$status" "$now" "$peak" >&2`,
  `printf '\\000PWEND:%s %s %s %s\\n' "$nonce" "$status" "$now" "$peak"`,
  `printf 'oom %s\\n' "$oom"`,
  // Only a regular file (a link could point the runner at anything); base64 from coreutils or
  // busybox, else Python's.
  `if [ "$status" = 0 ]; then for pair in "$@"; do`,
  `  name=\${pair%%=*}; file=\${pair#*=}`,
  `  if [ -f "$file" ] && [ ! -L "$file" ]; then printf 'file %s\\n' "$name"; { base64 "$file" 2>/dev/null || python3 -m base64 -e "$file"; } | tr -d '\\n'; printf '\\n'; fi`,
  `done; fi`,
  `printf '\\000PWDONE:%s\\n' "$nonce"`,
  `exit "$status"`,
].join('\n');

/** The task container's command: the wrapper, the nonce, the job's script, `name=path` of each output. */
export function taskCommand(nonce: string, script: string, outputs: { name: string; path: string }[]): string[] {
  return ['sh', '-c', TASK_SCRIPT, 'pipewright-task', nonce, script, ...outputs.map((o) => `${o.name}=${o.path}`)];
}

/** What the task said after its job: its OOM kills and its output files. */
export interface Trailer {
  oomKills: number | null;
  files: Map<string, Buffer>;
}

/** Most trailer bytes kept (output files travel in it, base64). */
const MAX_TRAILER = 64 * 2 ** 20;

/**
 * Reads the trailer out of the task's raw stdout: what follows the end marker, up to the closing
 * marker. Only the tail that may hold the start of the marker is kept while the job prints.
 */
export class TrailerReader {
  readonly done: Promise<Trailer>;
  private resolveDone!: (t: Trailer) => void;
  private readonly end: Buffer;
  private readonly close: Buffer;
  private tail = Buffer.alloc(0);
  private body: Buffer[] | null = null;
  private size = 0;
  private finished = false;

  constructor(nonce: string) {
    this.end = endMarker(nonce);
    this.close = Buffer.from(`\0PWDONE:${nonce}\n`);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  feed(chunk: Buffer): void {
    if (this.finished) return;
    if (this.body === null) {
      const data = Buffer.concat([this.tail, chunk]);
      const at = data.indexOf(this.end);
      if (at === -1) {
        this.tail = Buffer.from(data.subarray(Math.max(0, data.length - this.end.length + 1)));
        return;
      }
      this.body = [];
      chunk = data.subarray(at + this.end.length);
    }
    // Only the new bytes, with the few before them, can complete the closing marker.
    const before = Math.min(this.size, this.close.length - 1);
    const window = Buffer.concat([...this.lastBytes(before), chunk]);
    this.body.push(chunk);
    this.size += chunk.length;
    const at = window.indexOf(this.close);
    if (at !== -1) this.finish(Buffer.concat(this.body).subarray(0, this.size - window.length + at));
    else if (this.size > MAX_TRAILER) this.finish(Buffer.alloc(0));
  }

  /** The last `n` bytes of the body so far, as chunks. */
  private lastBytes(n: number): Buffer[] {
    const out: Buffer[] = [];
    for (let i = (this.body?.length ?? 0) - 1; i >= 0 && n > 0; i--) {
      const chunk = this.body![i]!;
      out.unshift(chunk.subarray(Math.max(0, chunk.length - n)));
      n -= chunk.length;
    }
    return out;
  }

  /** The stream is over: whatever came is all there is. */
  streamEnded(): void {
    this.finish(this.body ? Buffer.concat(this.body) : Buffer.alloc(0));
  }

  private finish(body: Buffer): void {
    if (this.finished) return;
    this.finished = true;
    const files = new Map<string, Buffer>();
    let oomKills: number | null = null;
    // The first line is the rest of the end marker (status, time, peak).
    const lines = body.toString('latin1').split('\n').slice(1);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.startsWith('oom ')) {
        const n = Number.parseInt(line.slice(4), 10);
        oomKills = Number.isFinite(n) ? n : null;
      } else if (line.startsWith('file ')) {
        files.set(line.slice(5), Buffer.from(lines[i + 1] ?? '', 'base64'));
        i++;
      }
    }
    this.resolveDone({ oomKills, files });
  }
}
