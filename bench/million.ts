/**
 * A large run on one machine (issue: million-node runs): N trivial Exec nodes (`true`, cpu=0.25)
 * in Parallels of 1,000, run end to end through the real runner, in this process. Prints, in one run:
 *
 *   wall time and nodes/s, next to `sh -c true` in one running container (the floor) measured here;
 *   the runner's peak RSS (sampled every 100 ms);
 *   the store: bytes and files in all, per node, and the event log's bytes per node;
 *   reopening the finished run from its store (replay): time and RSS after.
 *
 *   node [--expose-gc] --import tsx bench/million.ts [--nodes 10000] [--image pipewright/busybox:latest]
 *   (--expose-gc: the heap the finished run holds; PIPEWRIGHT_BENCH_SNAPSHOT=FILE writes a heap snapshot;
 *   PIPEWRIGHT_BENCH_KEEP=1 keeps the store)
 *
 * Exit status 0 whatever the figures; 1 if a node did not end done.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { writeHeapSnapshot } from 'node:v8';
import { evaluateDefinition } from '../evaluator/evaluateDefinition';
import { PipelineRun } from '../runner/pipelineRun';
import { boundHeapGrowth } from '../runner/heapGrowth';
import { createRunContext } from '../runner/runContext';
import { docker, meanMs } from './timing';

const MB = 2 ** 20;

/** The kernel's clock ticks per second, in which /proc/PID/stat counts CPU time. */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds so far of this machine's processes by name (the engine's own: dockerd, containerd, shims). */
function engineCpu(): Map<string, number> {
  const hz = CLOCK_TICKS;
  const out = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (!/^(dockerd|containerd|containerd-shim.*)$/.test(comm)) continue;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]);
    out.set(comm, (out.get(comm) ?? 0) + ticks / hz);
  }
  return out;
}

/** CPU seconds the worker containers of a pipeline used (their cgroups, v1 or v2), while they still run. */
function workersCpu(ids: string[]): number {
  let total = 0;
  for (const id of ids) {
    for (const file of [`/sys/fs/cgroup/cpu,cpuacct/docker/${id}/cpuacct.usage`, `/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`]) {
      try {
        total += Number(readFileSync(file, 'utf8')) / 1e9;
        break;
      } catch {
        // not this layout
      }
    }
    try {
      const line = readFileSync(`/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`, 'utf8').split('\n').find((l) => l.startsWith('usage_usec'));
      if (line) total += Number(line.split(' ')[1]) / 1e6;
    } catch {
      // not cgroup v2 with systemd
    }
  }
  return total;
}

function walk(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const sub = walk(full);
      bytes += sub.bytes;
      files += sub.files;
    } else {
      bytes += statSync(full).size;
      files++;
    }
  }
  return { bytes, files };
}

async function main(): Promise<number> {
  // As the CLI and the runner service run (runner/heapGrowth.ts).
  boundHeapGrowth();
  const { values } = parseArgs({ options: { nodes: { type: 'string', default: '10000' }, image: { type: 'string', default: 'pipewright/busybox:latest' } } });
  const nodes = Number(values.nodes);
  const image = values.image!;
  console.log(`# large run: ${nodes} nodes of \`true\` (cpu=0.25), image=${image}, cores=${os.cpus().length}, node=${process.version}, date=${new Date().toISOString()}`);

  // The floor: `sh -c true` in a container that is already running, through docker exec's own cost
  // subtracted as well as it can be: the figure GNU-parallel-style runners compare against.
  const name = `pipewright-bench-floor-${process.pid}`;
  await docker('run', '-d', '--rm', '--name', name, image, 'sleep', '600');
  let floorMs: number;
  try {
    const loop = await meanMs(3, () => docker('exec', name, 'sh', '-c', 'i=0; while [ $i -lt 1000 ]; do sh -c true; i=$((i+1)); done'));
    floorMs = loop / 1000;
  } finally {
    await docker('rm', '-f', name).catch(() => undefined);
  }
  console.log(`sh -c true in a running container: ${floorMs.toFixed(2)} ms/job (${(1000 / floorMs).toFixed(0)} jobs/s on one core)`);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewright-million-'));
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  try {
    const file = path.join(dir, 'million.py');
    const groups = Math.ceil(nodes / 1000);
    writeFileSync(file, `import pipewright as co\nroot = co.Parallel(image=${JSON.stringify(image)}, cpu=0.25, mem=0.25)\nleft = ${nodes}\nfor g in range(${groups}):\n    p = root[f"g{g:04d}"] = co.Parallel()\n    for i in range(min(1000, left)):\n        p[f"n{i:04d}"] = co.Exec("true")\n    left -= 1000\n`);
    const storeRoot = path.join(dir, 'store');
    const ctx = await createRunContext({ storeRoot, defaultImage: image });
    const e0 = performance.now();
    const doc = await evaluateDefinition(file);
    console.log(`SDK evaluation: ${((performance.now() - e0) / 1000).toFixed(1)} s`);
    const run = PipelineRun.create(doc, ctx);
    const containers = new Set<string>();
    run.on('event', (e) => e.type === 'execution-start' && e.execution.containerId && containers.add(e.execution.containerId));
    const engine0 = engineCpu();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    run.setAutorun(true);
    await run.settled();
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const engine = engineCpu();
    const workers = workersCpu([...containers]);
    const done = run.tree.root.leafCounts.done;
    // With --expose-gc: what the finished run holds, garbage collected (RSS also counts what V8 has not given back).
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) {
      gc();
      const used = process.memoryUsage().heapUsed;
      console.log(`heap after GC, the finished run still open: ${(used / MB).toFixed(0)} MB = ${(used / nodes).toFixed(0)} bytes per node`);
      if (process.env.PIPEWRIGHT_BENCH_SNAPSHOT) console.log(`heap snapshot: ${writeHeapSnapshot(process.env.PIPEWRIGHT_BENCH_SNAPSHOT)}`);
    }
    await run.close();
    console.log(`run: ${nodes} nodes in ${wall.toFixed(1)} s = ${(nodes / wall).toFixed(0)} nodes/s (${((wall * 1000) / nodes).toFixed(2)} ms/node); ${done} done`);
    const spent = [...engine].map(([name, s]) => `${name} ${(s - (engine0.get(name) ?? 0)).toFixed(1)} s`).join(', ');
    console.log(`CPU: runner ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, worker containers ${workers.toFixed(1)} s (${containers.size}), ${spent}; ${(os.cpus().length * wall).toFixed(1)} core-s in all`);
    console.log(`runner peak RSS: ${(peak / MB).toFixed(0)} MB`);
    const store = walk(path.join(storeRoot, 'pipelines', run.id));
    const events = statSync(path.join(storeRoot, 'pipelines', run.id, 'events.jsonl')).size;
    console.log(`store: ${(store.bytes / MB).toFixed(1)} MB in ${store.files} files = ${(store.bytes / nodes).toFixed(0)} bytes and ${(store.files / nodes).toFixed(2)} files per node; events.jsonl ${(events / nodes).toFixed(0)} bytes per node`);
    const r0 = performance.now();
    const reopened = await PipelineRun.inspect(run.id, { store: ctx.store });
    console.log(`reopen (replay) the finished run: ${((performance.now() - r0) / 1000).toFixed(1)} s, ${reopened.tree.root.leafCounts.done} done, RSS now ${(process.memoryUsage().rss / MB).toFixed(0)} MB`);
    console.log(`ratio ms/node pipewright / sh -c true: ${((wall * 1000) / nodes / floorMs).toFixed(1)}`);
    return done === nodes ? 0 : 1;
  } finally {
    clearInterval(sampler);
    if (process.env.PIPEWRIGHT_BENCH_KEEP) console.log(`store kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`error: ${err.message}`);
    process.exit(1);
  },
);
