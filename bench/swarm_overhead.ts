/**
 * Per-node overhead of Pipewright on a Docker Swarm against the swarm itself, in one run, on the
 * swarm bench/swarm.sh starts (DOCKER_HOST: its manager; PIPEWRIGHT_REGISTRY: its registry):
 *
 *   A. `docker run --rm IMAGE true` on the manager's engine, sequential     → ms per container
 *   B. a one-shot service by hand (`docker service create --detach
 *      --restart-condition none REGISTRY/IMAGE true`, its task polled to
 *      complete, `service rm`), sequential: what a script on the swarm pays → ms per service
 *   C. Pipewright with --backend swarm, through the real runner: a Serial of S trivial nodes
 *      (one at a time, the comparison with A and B) and a Parallel of P nodes (cpu=0.25), wall time
 *      from setAutorun(true) to settled(), divided by the node count.
 *
 *   node --import tsx bench/swarm_overhead.ts [--serial 10] [--parallel 24] [--runs 5] [--image pipewright/busybox:latest]
 *
 * Exit status 0 whatever the figures; 1 if something failed or a service was left behind.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { docker, meanMs } from './timing';
import { evaluateDefinition } from '../evaluator/evaluateDefinition';
import { PipelineRun } from '../runner/pipelineRun';
import { createRunContext, type EngineRunContext } from '../runner/runContext';
import { SWARM_LABELS } from '../runner/swarm/serviceSpec';

const fmt = (ms: number) => ms.toFixed(0);



/** A one-shot service by hand: created detached, its task polled until it completes, removed. */
async function oneShotService(image: string): Promise<void> {
  const id = await docker('service', 'create', '--detach', '--quiet', '--restart-condition', 'none', '--label', 'pipewright.bench=1', image, 'true');
  try {
    for (;;) {
      const state = await docker('service', 'ps', '--format', '{{.CurrentState}}', id);
      if (/^(Complete|Failed|Rejected)/.test(state)) {
        if (!state.startsWith('Complete')) throw new Error(`the baseline service ended ${state}`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await docker('service', 'rm', id).catch(() => undefined);
  }
}

async function pipewright(ctx: EngineRunContext, dir: string, label: string, source: string, nodes: number): Promise<number> {
  const file = path.join(dir, `${label}.py`);
  writeFileSync(file, source);
  const pipeline = PipelineRun.create(await evaluateDefinition(file), ctx);
  try {
    const t0 = performance.now();
    pipeline.setAutorun(true);
    await pipeline.settled();
    const wall = performance.now() - t0;
    const done = pipeline.tree.root.leafCounts.done;
    if (done !== nodes) throw new Error(`${label}: ${done} of ${nodes} nodes done (${JSON.stringify(pipeline.tree.root.leafCounts)})`);
    return wall / nodes;
  } finally {
    await pipeline.close();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { serial: { type: 'string', default: '10' }, parallel: { type: 'string', default: '24' }, runs: { type: 'string', default: '5' }, image: { type: 'string', default: 'pipewright/busybox:latest' } },
  });
  const serial = Number(values.serial);
  const parallel = Number(values.parallel);
  const runs = Number(values.runs);
  const image = values.image!;
  const registry = process.env.PIPEWRIGHT_REGISTRY;
  if (!registry || !process.env.DOCKER_HOST) throw new Error('run through bench/swarm.sh (DOCKER_HOST: the manager, PIPEWRIGHT_REGISTRY: its registry)');
  const nodes = (await docker('node', 'ls', '--format', '{{.Hostname}}')).split('\n').length;
  console.log(`# swarm overhead: image=${image} manager=${process.env.DOCKER_HOST} swarm nodes=${nodes} registry=${registry} date=${new Date().toISOString()}`);

  const runMs = await meanMs(runs, () => docker('run', '--rm', image, 'true'));
  console.log(`docker run --rm (manager's engine): ${fmt(runMs)} ms/container (n=${runs}, sequential)`);
  // As Pipewright's tasks do, the baseline's image comes from the registry (a name the registry
  // does not have costs a slow digest lookup at every create).
  const pushed = `${registry}/pipewright-bench:latest`;
  await docker('tag', image, pushed);
  await docker('push', '-q', pushed);
  const serviceMs = await meanMs(runs, () => oneShotService(pushed));
  console.log(`one-shot service by hand: ${fmt(serviceMs)} ms/service (n=${runs}, sequential)`);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'pipewright-swarm-bench-'));
  mkdirSync(path.join(dir, 'defs'));
  let failed = false;
  try {
    // The images are resolved on the manager's engine here (the bench's DOCKER_HOST), as for a user
    // whose only engine is the swarm's.
    const ctx = await createRunContext({ storeRoot: path.join(dir, 'store'), defaultImage: image, backend: 'swarm', registry });
    const header = `import pipewright as co\n`;
    // The first node pays for the run image (built and pushed once): one warm-up run first.
    await pipewright(ctx, path.join(dir, 'defs'), 'warm', `${header}root = co.Serial(image=${JSON.stringify(image)})\nroot["n"] = co.Exec("true")\n`, 1);
    const serialMs = await pipewright(ctx, path.join(dir, 'defs'), 'serial', `${header}root = co.Serial(image=${JSON.stringify(image)})\nfor i in range(${serial}):\n    root[f"n{i}"] = co.Exec("true")\n`, serial);
    console.log(`pipewright serial on the swarm: ${fmt(serialMs)} ms/node (${serial} nodes, one at a time)`);
    const parallelMs = await pipewright(ctx, path.join(dir, 'defs'), 'parallel', `${header}root = co.Parallel(image=${JSON.stringify(image)}, cpu=0.25, mem=0.25)\nfor i in range(${parallel}):\n    root[f"n{i}"] = co.Exec("true")\n`, parallel);
    console.log(`pipewright parallel on the swarm: ${fmt(parallelMs)} ms/node (${parallel} nodes, cpu=0.25, budget cpu ${ctx.budget.cpu})`);
    console.log(`ratio pipewright-serial/one-shot-service: ${(serialMs / serviceMs).toFixed(2)} (1.00: no cost over a service by hand)`);
    console.log(`ratio pipewright-serial/docker-run: ${(serialMs / runMs).toFixed(2)}`);
    console.log(`ratio docker-run/pipewright-parallel: ${(runMs / parallelMs).toFixed(2)}x`);
    console.log(`ratio one-shot-service/pipewright-parallel: ${(serviceMs / parallelMs).toFixed(2)}x`);
  } catch (err) {
    failed = true;
    console.error(`error: ${(err as Error).message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const left = (await docker('service', 'ls', '-q', '--filter', `label=${SWARM_LABELS.pipeline}`)).split('\n').filter(Boolean);
  console.log(`leftover services: ${left.length}`);
  return failed || left.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`error: ${err.message}`);
    process.exit(1);
  },
);
