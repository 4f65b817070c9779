// The kill -9 soak (bench/kill_soak.ts, and a short one in test/docker/killSoak.test.ts): a random
// 30-node pipeline run by the `pipewright` CLI in a child process, killed with SIGKILL at random
// moments, then finished by `pipewright start ID`; every result checked. Only the public runner
// API is used (the CLI, PipelineRun.inspect, the space), never a backend's internals, so the soak
// holds whatever channel the backend uses.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { RunnerEvent } from '../../protocol/runner';
import { PipelineRun } from '../../runner/pipelineRun';
import type { EngineRunContext } from '../../runner/runContext';
import type { RunNode } from '../../runner/model/runTree';
import { leftoverContainers } from './runnerHarness';

const repo = path.resolve(__dirname, '..', '..');

/** A small seeded PRNG (mulberry32): the same seed, the same pipeline and kill points. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An Exec node of the soak pipeline and how its command ends. */
export interface SoakNode {
  name: string;
  path: string;
  sleep: number;
  fails: boolean;
}

export interface SoakPipeline {
  source: string;
  nodes: SoakNode[];
}

/**
 * A random pipeline of `count` Exec nodes in Serial(stop_on_error=False) and
 * Parallel(max_concurrent) groups, some nested; each node sleeps a little, prints a line, appends
 * one marker line to $PIPEWRIGHT_DATA/marks/NAME, and exits 0 or (some) 1. With no stop_on_error
 * anywhere, every node must run to its end whatever fails.
 */
export function soakPipeline(rand: () => number, count = 30): SoakPipeline {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const container = () => (rand() < 0.5 ? 'co.Serial(stop_on_error=False)' : `co.Parallel(${pick(['max_concurrent=1', 'max_concurrent=2', 'max_concurrent=3', ''])})`);
  const lines = ['import conducto as co', `root = co.${rand() < 0.5 ? 'Serial(stop_on_error=False)' : 'Parallel(max_concurrent=4)'}`];
  const nodes: SoakNode[] = [];
  const groups: string[] = [];
  while (nodes.length < count) {
    // A group at the top, or inside an earlier one.
    const under = groups.length && rand() < 0.35 ? pick(groups) : '';
    const group = `${under}/g${groups.length}`;
    groups.push(group);
    lines.push(`root["${group.slice(1)}"] = ${container()}`);
    const size = Math.min(count - nodes.length, 2 + Math.floor(rand() * 5));
    for (let i = 0; i < size; i++) {
      const name = `n${String(nodes.length).padStart(2, '0')}`;
      const node: SoakNode = { name, path: `${group}/${name}`, sleep: Math.round(100 + rand() * 900) / 1000, fails: rand() < 0.2 };
      nodes.push(node);
      const command = `sleep ${node.sleep}; echo ${name} ran; mkdir -p $PIPEWRIGHT_DATA/marks; echo x >> $PIPEWRIGHT_DATA/marks/${name}; exit ${node.fails ? 1 : 0}`;
      lines.push(`root["${node.path.slice(1)}"] = co.Exec("${command}", cpu=0.25, mem=0.25)`);
    }
  }
  return { source: `${lines.join('\n')}\n`, nodes };
}

export interface TrialOptions {
  seed: number;
  /** Kills per trial: between 1 and this many. */
  maxKills: number;
  storeRoot: string;
  image: string;
  ctx: EngineRunContext;
  nodes?: number;
}

export interface TrialResult {
  seed: number;
  pipeline: string;
  kills: number;
  /** `pipewright start` runs, each opening the pipeline a killed process left. */
  recoveries: number;
  /** Nodes running at a kill whose execution a later process followed to its end. */
  reattached: number;
  /** Nodes that ran more than once (executions). */
  rerun: number;
  failures: string[];
  ms: number;
}

/** One trial: run, kill -9 one to `maxKills` times at random, start to the end, check everything. */
export async function soakTrial(options: TrialOptions): Promise<TrialResult> {
  const began = Date.now();
  const rand = random(options.seed);
  const pipeline = soakPipeline(rand, options.nodes);
  const dir = path.join(options.storeRoot, '..', 'defs');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `soak_${options.seed}.py`);
  writeFileSync(file, pipeline.source);
  const kills = 1 + Math.floor(rand() * options.maxKills);
  const failures: string[] = [];
  /** Executions running when a process was killed: path -> execution ids. */
  const runningAtKill = new Map<string, Set<string>>();
  let id = '';
  let killed = 0;
  let recoveries = 0;
  let last: Finished | undefined;
  for (let round = 0; round <= kills; round++) {
    const args = round === 0 ? ['run', file, '--json'] : ['start', id, '--json'];
    if (round > 0) recoveries++;
    const remaining = round === 0 ? pipeline.nodes.length : await unfinished(options, id);
    // Kill after a random count of execution events and a little more, or at a random time
    // (possibly while the runner opens and recovers the pipeline; not before `run` made it).
    // The last round runs to the end.
    const byEvents = round === 0 || rand() < 0.8;
    const kill: KillPoint | undefined = round === kills ? undefined : byEvents ? { events: 1 + Math.floor(rand() * Math.max(1, 2 * remaining - 1)), delayMs: Math.floor(rand() * 300) } : { afterMs: 300 + Math.floor(rand() * 3000) };
    last = await runCli(args, options, kill);
    id ||= last.pipeline;
    if (!id) {
      failures.push(`round ${round}: the CLI printed no pipeline id (exit ${last.code}): ${last.stderr.trim()}`);
      break;
    }
    // Ended before its kill point: the pipeline is finished.
    if (!last.killed) break;
    killed++;
    const run = await PipelineRun.inspect(id, { store: options.ctx.store });
    for (const leaf of run.tree.leaves(run.tree.root)) {
      const open = leaf.executions.filter((e) => e.endedAt === undefined);
      if (!open.length) continue;
      const ids = runningAtKill.get(leaf.path) ?? new Set<string>();
      for (const e of open) ids.add(e.id);
      runningAtKill.set(leaf.path, ids);
    }
  }
  if (!id || !last) return { seed: options.seed, pipeline: id, kills: killed, recoveries, reattached: 0, rerun: 0, failures, ms: Date.now() - began };
  if (last.killed) failures.push('the last round was killed');
  const checked = await check(options, id, pipeline, runningAtKill, last);
  failures.push(...checked.failures);
  return { seed: options.seed, pipeline: id, kills: killed, recoveries, reattached: checked.reattached, rerun: checked.rerun, failures, ms: Date.now() - began };
}

type KillPoint = { events: number; delayMs: number } | { afterMs: number };

interface Finished {
  pipeline: string;
  code: number | null;
  killed: boolean;
  stderr: string;
}

/** The CLI on the sources (tsx), as a user runs it; SIGKILL at `kill`, if it comes before the end. */
async function runCli(args: string[], options: TrialOptions, kill: KillPoint | undefined): Promise<Finished> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'cli/main.ts'), ...args, '--store', options.storeRoot], {
    cwd: repo,
    env: { ...process.env, PIPEWRIGHT_DEFAULT_IMAGE: options.image },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let pipeline = '';
  let killed = false;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const killNow = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killed = child.kill('SIGKILL');
  };
  let timer: NodeJS.Timeout | undefined;
  if (kill && 'afterMs' in kill) timer = setTimeout(killNow, kill.afterMs);
  let events = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    let event: RunnerEvent;
    try {
      event = JSON.parse(line) as RunnerEvent;
    } catch {
      continue;
    }
    pipeline ||= event.pipeline;
    if (event.type !== 'execution-start' && event.type !== 'execution-end') continue;
    if (kill && 'events' in kill && ++events === kill.events) timer = setTimeout(killNow, kill.delayMs);
  }
  const code = await exited;
  clearTimeout(timer);
  return { pipeline, code, killed, stderr };
}

/** Exec nodes not yet done or failed. */
async function unfinished(options: TrialOptions, id: string): Promise<number> {
  const run = await PipelineRun.inspect(id, { store: options.ctx.store });
  const c = run.tree.root.leafCounts;
  return c.pending + c.queued + c.running;
}

/** Every node as its command dictates, once (unless running at a kill), logged; nothing pending or left. */
async function check(options: TrialOptions, id: string, pipeline: SoakPipeline, runningAtKill: Map<string, Set<string>>, last: Finished) {
  const failures: string[] = [];
  const run = await PipelineRun.inspect(id, { store: options.ctx.store });
  let reattached = 0;
  let rerun = 0;
  for (const node of pipeline.nodes) {
    let leaf: RunNode;
    try {
      leaf = run.tree.get(node.path);
    } catch {
      failures.push(`${node.path}: not in the pipeline`);
      continue;
    }
    const expected = node.fails ? 'error' : 'done';
    const lastExecution = leaf.executions[leaf.executions.length - 1];
    if (leaf.state !== expected) failures.push(`${node.path}: ${leaf.state}${lastExecution?.reason ? ` (${lastExecution.reason}${lastExecution.message ? `: ${lastExecution.message}` : ''})` : ''}, expected ${expected}`);
    const atKill = runningAtKill.get(node.path);
    if (leaf.executions.length > 1) {
      rerun++;
      if (!atKill) failures.push(`${node.path}: ran ${leaf.executions.length} times, though no kill found it running`);
    }
    if (atKill) reattached += leaf.executions.some((e) => atKill.has(e.id) && e.exitCode !== null && e.exitCode !== undefined) ? 1 : 0;
    const marks = path.join(run.space.dataDir, 'marks', node.name);
    const times = existsSync(marks) ? readFileSync(marks, 'utf8').split('\n').filter(Boolean).length : 0;
    if (times === 0) failures.push(`${node.path}: never ran to its end (no marker)`);
    if (times > 1 && !atKill) failures.push(`${node.path}: ran to its end ${times} times, though no kill found it running`);
    if (!lastExecution) continue;
    const log = (await run.space.log(lastExecution.id).all()).toString('utf8');
    if (!log.includes(`${node.name} ran\n`)) failures.push(`${node.path}: its log (${lastExecution.id}) is ${JSON.stringify(log.slice(0, 200))}`);
  }
  const counts = run.tree.root.leafCounts;
  if (counts.pending || counts.queued || counts.running) failures.push(`left ${counts.pending} pending, ${counts.queued} queued, ${counts.running} running`);
  const expectedCode = pipeline.nodes.some((n) => n.fails) ? 1 : 0;
  if (last.code !== expectedCode) failures.push(`the last start exited ${last.code}, expected ${expectedCode}: ${last.stderr.trim().slice(-500)}`);
  if (/ends with \d+ nodes? pending/.test(last.stderr)) failures.push(`the last start said: ${last.stderr.trim().slice(-500)}`);
  const left = await leftoverContainers(options.ctx, [id]);
  if (left.length) failures.push(`containers left: ${left.join(', ')}`);
  return { failures, reattached, rerun };
}
