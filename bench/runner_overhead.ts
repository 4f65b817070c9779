/**
 * Per-node overhead of the Pipewright runner against Docker itself, in one run:
 *
 *   A. `docker run --rm IMAGE true`, sequential, via the docker CLI   → ms per container
 *   B. `docker exec CID true` into one running container, sequential  → ms per exec
 *   C. Pipewright, through the real runner (SDK evaluation, PipelineRun, worker pool, temp store):
 *        - a Parallel of N trivial Exec nodes (`true`) at the default cpu=1 (budget = the cores)
 *        - the same Parallel with cpu=0.25, mem=0.25 (4 nodes per core at once)
 *        - a Serial of S trivial Exec nodes: latency per node, one at a time (the fair
 *          comparison with the sequential loops A and B)
 *      wall time from setAutorun(true) to settled(), divided by the node count.
 *
 *   node --import tsx bench/runner_overhead.ts [--nodes 500] [--serial 100] [--runs 30] [--execs 100]
 *                                              [--image pipewright/busybox:latest]
 *
 * Output lines are stable for grep, e.g.
 *   docker run --rm: 412.3 ms/container
 *   pipewright serial: 18.2 ms/node
 *   ratio docker-run/pipewright-serial: 22.6x
 *   goal: >= 30x below docker run (serial): met (37.1x)
 * Exit status 0 whatever the figures (a benchmark, not a test); 1 if something failed or a
 * container was left behind.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RunnerEvent } from '../protocol/runner';
import { LABELS } from '../runner/localDocker/containerConfig';
import { PipelineRun } from '../runner/pipelineRun';
import { createRunContext, type EngineRunContext } from '../runner/runContext';
import { docker, meanMs } from './timing';
import { evaluateDefinition } from '../evaluator/evaluateDefinition';


interface Options {
  nodes: number;
  serial: number;
  runs: number;
  execs: number;
  image: string;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { nodes: 500, serial: 100, runs: 30, execs: 100, image: 'pipewright/busybox:latest' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const count = () => {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got "${v}"`);
      return n;
    };
    switch (flag) {
      case '--nodes':
        opts.nodes = count();
        break;
      case '--serial':
        opts.serial = count();
        break;
      case '--runs':
        opts.runs = count();
        break;
      case '--execs':
        opts.execs = count();
        break;
      case '--image':
        opts.image = value();
        break;
      case '-h':
      case '--help':
        console.log('usage: node --import tsx bench/runner_overhead.ts [--nodes 500] [--serial 100] [--runs 30] [--execs 100] [--image pipewright/busybox:latest]');
        process.exit(0);
      // falls through (exit does not return)
      default:
        throw new Error(`unknown argument "${arg}"`);
    }
  }
  return opts;
}

const fmt = (ms: number) => ms.toFixed(1);
const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}x`;



interface PipewrightResult {
  label: string;
  nodes: number;
  wallMs: number;
  perNodeMs: number;
  /** Per node once the workers are up: first to last node end, over the nodes ended in between. */
  steadyPerNodeMs: number | null;
  workers: number;
  maxRunning: number;
  budget: string;
  evalMs: number;
  pipelineId: string;
  /** Medians (ms) of where one node's time goes (one-at-a-time runs only). */
  breakdown: Breakdown | null;
}

interface Breakdown {
  /** The previous node's end (execution-end event) → this node handed to its worker (execution-start, just before the job is written to its agent): scheduler, pool. */
  dispatch: number;
  /** execution-start → execution-end: the job over the attached stdin, run by the agent, its output and end marker back, cgroup reads. */
  roundTrip: number;
}

/** Wall-clock ms with sub-ms precision, comparable with file mtimes. */
const now = () => performance.timeOrigin + performance.now();

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : NaN;
}

class Bench {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'pipewright-bench-'));
  readonly storeRoot = path.join(this.dir, 'store');
  readonly runs: PipelineRun[] = [];
  ctx!: EngineRunContext;

  async init(image: string): Promise<void> {
    this.ctx = await createRunContext({ storeRoot: this.storeRoot, defaultImage: image, workerIdleMs: 15_000 });
  }

  /** Writes a definition, evaluates it with the real SDK, runs it to the end through the runner. */
  async measure(label: string, source: string, expected: number, withBreakdown = false): Promise<PipewrightResult> {
    const file = path.join(this.dir, 'defs', `${label}.py`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, source);
    const e0 = performance.now();
    const doc = await evaluateDefinition(file);
    const evalMs = performance.now() - e0;
    const pipeline = PipelineRun.create(doc, this.ctx);
    this.runs.push(pipeline);
    const events: { t: number; e: RunnerEvent }[] = [];
    pipeline.on('event', (e) => events.push({ t: now(), e }));

    const t0 = now();
    pipeline.setAutorun(true);
    await pipeline.settled();
    const wallMs = now() - t0;

    const counts = pipeline.tree.root.leafCounts;
    if (counts.done !== expected) {
      const failed = events.find((x) => x.e.type === 'execution-end' && x.e.state !== 'done');
      const why = failed && failed.e.type === 'execution-end' ? ` (first failure ${failed.e.path}: ${failed.e.execution.reason ?? ''} ${failed.e.execution.message ?? `exit ${failed.e.execution.exitCode}`})` : '';
      throw new Error(`${label}: ${counts.done} of ${expected} nodes done${why}: ${JSON.stringify(counts)}`);
    }
    const containers = new Set<string>();
    const ends: number[] = [];
    const running = new Set<string>();
    let maxRunning = 0;
    for (const { t, e } of events) {
      if (e.type === 'execution-start' && e.execution.containerId) containers.add(e.execution.containerId);
      if (e.type === 'execution-end') ends.push(t);
      if (e.type === 'state' && e.path !== '/' && pipeline.tree.byPath.get(e.path)?.isLeaf) {
        if (e.state === 'running') running.add(e.path);
        else running.delete(e.path);
        maxRunning = Math.max(maxRunning, running.size);
      }
    }
    // Skip the nodes that waited for a worker to start: steady state is the rest.
    const skip = Math.min(containers.size, ends.length - 2);
    const steadyPerNodeMs = ends.length - skip >= 2 ? (ends[ends.length - 1]! - ends[skip]!) / (ends.length - 1 - skip) : null;
    const b = this.ctx.budget;
    const breakdown = withBreakdown ? this.breakdown(events) : null;
    return {
      label,
      nodes: expected,
      wallMs,
      perNodeMs: wallMs / expected,
      steadyPerNodeMs,
      workers: containers.size,
      maxRunning,
      budget: `cpu ${b.cpu}, mem ${b.mem} GB`,
      evalMs,
      pipelineId: pipeline.id,
      breakdown,
    };
  }

  /**
   * For a run of one node at a time: where each node's latency goes, from event times. (File times
   * in the exec folder would split the round trip further, but ext4 stamps them with the coarse
   * kernel clock, one tick = several ms: too coarse here.)
   */
  private breakdown(events: { t: number; e: RunnerEvent }[]): Breakdown {
    const start = new Map<string, number>();
    const end = new Map<string, number>();
    const order: string[] = [];
    for (const { t, e } of events) {
      if (e.type === 'execution-start') {
        start.set(e.execution.id, t);
        order.push(e.execution.id);
      }
      if (e.type === 'execution-end') end.set(e.execution.id, t);
    }
    const dispatch: number[] = [];
    const roundTrip: number[] = [];
    order.forEach((id, i) => {
      if (i > 0) dispatch.push(start.get(id)! - end.get(order[i - 1]!)!);
      roundTrip.push(end.get(id)! - start.get(id)!);
    });
    return { dispatch: median(dispatch), roundTrip: median(roundTrip.slice(1)) };
  }

  /** Runner containers still on the engine: these pipelines' (mine) and any pipeline's (all). */
  async leftovers(): Promise<{ mine: string[]; all: number }> {
    const list = await this.ctx.docker.listContainers({ all: true, filters: { label: [LABELS.pipeline] } });
    const ids = new Set(this.runs.map((r) => r.id));
    return { mine: list.filter((c) => ids.has(c.Labels[LABELS.pipeline] ?? '')).map((c) => c.Names[0] ?? c.Id), all: list.length };
  }

  private closing: Promise<void> | undefined;

  /**
   * Closes every run (once, however often called). `abort` first kills what is queued or running:
   * PipelineRun.close() alone lets the queue run to its end before it resolves.
   */
  close(abort = false): Promise<void> {
    if (abort) {
      for (const r of this.runs) {
        try {
          r.kill('/');
        } catch {
          // already closed
        }
      }
    }
    return (this.closing ??= Promise.all(this.runs.map((r) => r.close().catch((err: Error) => console.error(`closing ${r.id}: ${err.message}`)))).then(() => undefined));
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function parallelDefinition(image: string, n: number, params: string): string {
  return `import pipewright as co
root = co.Parallel(image=${JSON.stringify(image)}${params})
for i in range(${n}):
    root[f"n{i:05d}"] = co.Exec("true")
`;
}

function serialDefinition(image: string, n: number): string {
  return `import pipewright as co
root = co.Serial(image=${JSON.stringify(image)})
for i in range(${n}):
    root[f"n{i:05d}"] = co.Exec("true")
`;
}

function printResult(r: PipewrightResult): void {
  const steady = r.steadyPerNodeMs === null ? '' : `, steady ${fmt(r.steadyPerNodeMs)} ms/node`;
  console.log(`pipewright ${r.label}: ${fmt(r.perNodeMs)} ms/node (${r.nodes} nodes in ${fmt(r.wallMs)} ms${steady}; workers ${r.workers}, max running ${r.maxRunning}; budget ${r.budget}; SDK evaluation ${fmt(r.evalMs)} ms)`);
  const b = r.breakdown;
  if (b) console.log(`pipewright ${r.label} breakdown (median ms/node): dispatch ${fmt(b.dispatch)} (runner: end of one node -> next handed to its worker), round trip ${fmt(b.roundTrip)} (job to the agent -> run in the container -> end marker back)`);
}

/** Undone on Ctrl-C / SIGTERM, newest first: the exec baseline's container, the runs and the temp store. */
const cleanups: (() => Promise<unknown>)[] = [];
const onSignal = () => {
  void (async () => {
    for (const undo of cleanups.reverse()) await undo().catch(() => undefined);
    process.exit(130);
  })();
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const version = await docker('version', '-f', '{{.Server.Version}}');
  await docker('image', 'inspect', '-f', '{{.Id}}', opts.image).catch(() => {
    throw new Error(`image ${opts.image} is not on the engine (bash scripts/build-base-images.sh)`);
  });
  const busy = (await docker('ps', '-q', '--filter', `label=${LABELS.pipeline}`)).split('\n').filter(Boolean).length;
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`# runner overhead: image=${opts.image} engine=${version} cores=${os.cpus().length} node=${process.version} date=${new Date().toISOString()}`);
  console.log(`# load average ${load}; ${busy} other runner containers running (figures are noisy on a busy machine)`);

  // A. docker run, one container per node.
  const runMs = await meanMs(opts.runs, () => docker('run', '--rm', opts.image, 'true'));
  console.log(`docker run --rm: ${fmt(runMs)} ms/container (n=${opts.runs}, sequential)`);

  // B. docker exec into one long-lived container.
  const name = `pipewright-bench-exec-${process.pid}`;
  let execMs: number;
  cleanups.push(() => docker('rm', '-f', name).catch(() => ''));
  await docker('run', '-d', '--rm', '--name', name, '--label', 'pipewright.bench=1', opts.image, 'sleep', '3600');
  try {
    execMs = await meanMs(opts.execs, () => docker('exec', name, 'true'));
  } finally {
    await docker('rm', '-f', name).catch(() => undefined);
    cleanups.pop();
  }
  console.log(`docker exec: ${fmt(execMs)} ms/exec (n=${opts.execs}, sequential)`);

  // C. Pipewright through the real runner.
  const bench = new Bench();
  let failed = false;
  const results: Record<'parallel' | 'parallelQuarter' | 'serial', PipewrightResult | undefined> = { parallel: undefined, parallelQuarter: undefined, serial: undefined };
  cleanups.push(async () => {
    await bench.close(true);
    bench.dispose();
  });
  try {
    await bench.init(opts.image);
    results.parallel = await bench.measure('parallel', parallelDefinition(opts.image, opts.nodes, ''), opts.nodes);
    printResult(results.parallel);
    results.parallelQuarter = await bench.measure('parallel-cpu0.25', parallelDefinition(opts.image, opts.nodes, ', cpu=0.25, mem=0.25'), opts.nodes);
    printResult(results.parallelQuarter);
    results.serial = await bench.measure('serial', serialDefinition(opts.image, opts.serial), opts.serial, true);
    printResult(results.serial);
  } catch (err) {
    failed = true;
    console.error(`error: ${(err as Error).message}`);
  } finally {
    await bench.close();
    const left = await bench.leftovers().catch((err: Error) => ({ mine: [`(could not list: ${err.message})`], all: -1 }));
    console.log(`leftover containers (label ${LABELS.pipeline}): ${left.mine.length} of this run${left.mine.length ? ` [${left.mine.join(', ')}]` : ''}; ${left.all} on the engine in all`);
    if (left.mine.length) failed = true;
    bench.dispose();
    cleanups.pop();
  }

  const { parallel, parallelQuarter, serial } = results;
  if (parallel) console.log(`ratio docker-run/pipewright-parallel: ${ratio(runMs, parallel.perNodeMs)}`);
  if (parallelQuarter) console.log(`ratio docker-run/pipewright-parallel-cpu0.25: ${ratio(runMs, parallelQuarter.perNodeMs)}`);
  if (serial) console.log(`ratio docker-run/pipewright-serial: ${ratio(runMs, serial.perNodeMs)}`);
  if (parallel) console.log(`ratio docker-exec/pipewright-parallel: ${ratio(execMs, parallel.perNodeMs)}`);
  if (parallelQuarter) console.log(`ratio docker-exec/pipewright-parallel-cpu0.25: ${ratio(execMs, parallelQuarter.perNodeMs)}`);
  if (serial) console.log(`ratio docker-exec/pipewright-serial: ${ratio(execMs, serial.perNodeMs)}`);
  const goal = (label: string, r: PipewrightResult | undefined) => {
    if (!r) return console.log(`goal: >= 30x below docker run (${label}): not measured`);
    const x = runMs / r.perNodeMs;
    console.log(`goal: >= 30x below docker run (${label}): ${x >= 30 ? 'met' : 'NOT met'} (${x.toFixed(1)}x)`);
  };
  goal('serial', serial);
  goal('parallel', parallel);
  goal('parallel-cpu0.25', parallelQuarter);
  console.log(`# total bench time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`error: ${err.message}`);
    process.exit(1);
  },
);
