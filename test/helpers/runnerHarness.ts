import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { after } from 'node:test';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunnerEvent } from '../../protocol/runner';
import { LABELS } from '../../runner/localDocker/containerConfig';
import { ownerKeyOf, ownerOf } from '../../runner/localDocker/pipelineNetwork';
import { PipelineRun } from '../../runner/pipelineRun';
import { createRunContext, type EngineRunContext, type RunContextOptions } from '../../runner/runContext';
import { evaluateDefinition } from '../../evaluator/evaluateDefinition';

/** The image the offline tests run in (built by scripts/build-base-images.sh). */
// As in `npm test` (scripts/test.sh): a test's CLI runs its pipelines in its own process unless the
// test asks for the runner service (test/docker/service.test.ts).
process.env.PIPEWRIGHT_SERVICE ??= 'off';

export const TEST_IMAGE = process.env.PIPEWRIGHT_TEST_IMAGE || 'pipewright/python:latest';
export const BUSYBOX_IMAGE = 'pipewright/busybox:latest';

/** Fails with what to run when a base image the suite needs is not on the engine (none can be pulled here). */
export async function requireImages(docker: { getImage(name: string): { inspect(): Promise<unknown> } }, images: readonly string[]): Promise<void> {
  for (const image of images) {
    await docker
      .getImage(image)
      .inspect()
      .catch(() => {
        throw new Error(`${image} is missing: run scripts/build-base-images.sh first`);
      });
  }
}

/** A scratch folder with a store and room for definition files; removed by `dispose`. */
export class Harness {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'pipewright-test-'));
  readonly storeRoot = path.join(this.dir, 'store');
  private readonly runs: PipelineRun[] = [];

  async context(options: RunContextOptions = {}): Promise<EngineRunContext> {
    return createRunContext({ storeRoot: this.storeRoot, defaultImage: TEST_IMAGE, workerIdleMs: 2000, ...options });
  }

  /** Writes a definition file (Python source) into the scratch folder. */
  write(name: string, source: string): string {
    const file = path.join(this.dir, 'defs', name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, source);
    return file;
  }

  /** Evaluates a definition with the real SDK and makes a pipeline instance of it. */
  async create(file: string, options: RunContextOptions & { func?: string; args?: string[] } = {}): Promise<{ run: PipelineRun; events: RunnerEvent[] }> {
    const doc = await evaluateDefinition(file, { func: options.func, args: options.args });
    const run = PipelineRun.create(doc, await this.context(options));
    this.runs.push(run);
    const events: RunnerEvent[] = [];
    run.on('event', (e) => events.push(e));
    return { run, events };
  }

  /** Creates, runs to the end and returns the instance with every event it emitted. */
  async run(file: string, options: RunContextOptions & { func?: string; args?: string[] } = {}) {
    const created = await this.create(file, options);
    created.run.setAutorun(true);
    await created.run.settled();
    return created;
  }

  /** Ids of every pipeline this harness made or opened. */
  get pipelineIds(): string[] {
    return this.runs.map((r) => r.id);
  }

  track(run: PipelineRun): PipelineRun {
    this.runs.push(run);
    return run;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.runs.map((r) => r.close().catch(() => undefined)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A harness for one test file: afterwards its runs are closed, its scratch folder removed, and no
 * container of its pipelines may be left on the engine.
 */
export function dockerSuite(): Harness {
  const h = new Harness();
  after(async () => {
    const ctx = await h.context();
    const ids = h.pipelineIds;
    await h.dispose();
    assert.deepEqual(await leftoverContainers(ctx, ids), [], 'every container is removed');
  });
  return h;
}

/**
 * Containers the runner made for the given pipelines of this context's store (or any pipeline), still
 * on the engine. Ids repeat across stores (2,704 two-syllable names): a namesake's containers, left
 * by another suite's killed runner, are not these pipelines'.
 */
export async function leftoverContainers(ctx: EngineRunContext, ids?: string[]): Promise<string[]> {
  const list = await ctx.docker.listContainers({ all: true, filters: { label: [LABELS.pipeline] } });
  const owners = ids && new Map(ids.map((id) => [id, ownerOf(ownerKeyOf(ctx.store.space(id).dir))]));
  const ours = (labels: Record<string, string>) => !owners || owners.get(labels[LABELS.pipeline] ?? '') === labels[LABELS.owner];
  return list.filter((c) => ours(c.Labels)).map((c) => `${c.Names[0]} (${c.Labels[LABELS.pipeline]})`);
}

/** The text of a node's latest log. */
export function lastLog(run: PipelineRun, nodePath: string): string {
  const node = run.tree.get(nodePath);
  const execution = node.executions[node.executions.length - 1];
  if (!execution) return '';
  // A node that printed nothing has no log file.
  return run.space.log(execution.id).bytes().toString('utf8');
}

/** Most Exec nodes running at the same time, from a run's events. */
export function maxConcurrentRunning(events: RunnerEvent[], isLeaf: (path: string) => boolean): number {
  const running = new Set<string>();
  let max = 0;
  for (const e of events) {
    if (e.type !== 'state' || !isLeaf(e.path)) continue;
    if (e.state === 'running') running.add(e.path);
    else running.delete(e.path);
    max = Math.max(max, running.size);
  }
  return max;
}

/** Waits until `ok` (sync or async) holds, polling; fails naming `what` after `ms`. */
export async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000, everyMs = 25): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
