// The Docker Swarm backend on a real 3-node swarm: three dockerds in namespaces of their own
// (scripts/test-engines.sh 2 3 4, sharing no files with the runner), a registry on their switch
// (scripts/test-registry.sh), swarm init on engine 2 and joins from 3 and 4. Pipelines run through
// a real PipelineRun whose backend is the swarm. Needs root (namespaces) and the base images on the
// host engine (scripts/build-base-images.sh).
import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { evaluateDefinition } from '../../evaluator/evaluateDefinition';
import type { RunnerEvent } from '../../protocol/runner';
import { PipelineRun } from '../../runner/pipelineRun';
import type { EngineRunContext } from '../../runner/runContext';
import { SwarmBackend } from '../../runner/swarm/swarmBackend';
import { SWARM_LABELS } from '../../runner/swarm/serviceSpec';
import { Harness, lastLog, requireImages, TEST_IMAGE, until } from '../helpers/runnerHarness';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');
const examples = path.join(root, 'examples');
const ENGINES = [2, 3, 4] as const;
const engineAt = (i: number) => new Docker({ host: `10.77.0.${10 + i}`, port: 2375 });
const manager = engineAt(2);
const REGISTRY = '10.77.0.1:5000';

const h = new Harness();
let ctx: EngineRunContext;
let backend: SwarmBackend;

before(async () => {
  const host = new Docker();
  await requireImages(host, [TEST_IMAGE]);
  await run('bash', [path.join(root, 'scripts/test-engines.sh'), 'start', ...ENGINES.map(String)]);
  await run('bash', [path.join(root, 'scripts/test-registry.sh'), 'start']);
  const engines = ENGINES.map(engineAt);
  // A swarm of earlier runs may be left in an engine's data root.
  await Promise.all(engines.map((e) => e.swarmLeave({ force: true }).catch(() => undefined)));
  await manager.swarmInit({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: '10.77.0.12' });
  const token = ((await manager.swarmInspect()) as { JoinTokens: { Worker: string } }).JoinTokens.Worker;
  await Promise.all(engines.slice(1).map((e) => e.swarmJoin({ ListenAddr: '0.0.0.0:2377', RemoteAddrs: ['10.77.0.12:2377'], JoinToken: token })));
  // The nodes pull run images from the registry; with the base's layers already there they pull only the SDK's and the code's.
  const id = ((await host.getImage(TEST_IMAGE).inspect()) as { Id: string }).Id;
  await Promise.all(
    engines.map(async (e) => {
      if (await e.getImage(id).inspect().then(() => true, () => false)) return;
      const loading = (await e.loadImage((await host.getImage(TEST_IMAGE).get()) as NodeJS.ReadableStream)) as NodeJS.ReadableStream;
      await new Promise((resolve, reject) => loading.on('end', resolve).on('error', reject).resume());
    }),
  );
  await until('three ready swarm nodes', async () => ((await manager.listNodes()) as { Status: { State: string } }[]).filter((n) => n.Status.State === 'ready').length === 3, 30_000, 200);
  ctx = await h.context();
  backend = await SwarmBackend.connect(manager, { registry: REGISTRY, sdkDir: ctx.sdkDir, imageSource: ctx.docker });
  Object.assign(ctx, { backend, budget: backend.capacity() });
});

after(async () => {
  const ids = h.pipelineIds;
  await h.dispose();
  try {
    const left = ((await manager.listServices({ filters: { label: [SWARM_LABELS.pipeline] } } as never)) as unknown as { Spec: { Name: string; Labels: Record<string, string> } }[]).filter((s) =>
      ids.includes(s.Spec.Labels[SWARM_LABELS.pipeline] ?? ''),
    );
    assert.deepEqual(left.map((s) => s.Spec.Name), [], 'every service is removed');
    // The tasks' containers go with their services, on every node.
    await until('no task container left on the nodes', async () => (await Promise.all(ENGINES.map((i) => engineAt(i).listContainers({ all: true, filters: { label: [SWARM_LABELS.pipeline] } })))).every((l) => !l.length), 20_000, 250);
  } finally {
    await Promise.all(ENGINES.map((i) => engineAt(i).swarmLeave({ force: true }).catch(() => undefined)));
    await run('bash', [path.join(root, 'scripts/test-registry.sh'), 'stop']);
    await run('bash', [path.join(root, 'scripts/test-engines.sh'), 'stop', ...ENGINES.map(String)]);
  }
});

async function create(file: string, args?: string[]): Promise<{ run: PipelineRun; events: RunnerEvent[] }> {
  const doc = await evaluateDefinition(file, { args });
  const pipeline = h.track(PipelineRun.create(doc, ctx));
  const events: RunnerEvent[] = [];
  pipeline.on('event', (e) => events.push(e));
  return { run: pipeline, events };
}

async function runToEnd(file: string, args?: string[]) {
  const created = await create(file, args);
  created.run.setAutorun(true);
  await created.run.settled();
  return created;
}

function lastExecution(pipeline: PipelineRun, nodePath: string) {
  const node = pipeline.tree.get(nodePath);
  return node.executions[node.executions.length - 1]!;
}

test('build and test (Serial of Parallels): every node ends done with its log, bytes as printed', async () => {
  const file = h.write(
    'build_test.py',
    `import conducto as co

def pipe() -> co.Serial:
    with co.Serial(image="${TEST_IMAGE}") as root:
        with co.Parallel(name="Build"):
            co.Exec("echo building app", name="app")
            co.Exec("echo building lib >&2", name="lib")
        with co.Parallel(name="Test"):
            co.Exec("printf 'a\\\\000b'; printf 'no newline'; printf 'err\\\\n' >&2; printf tail", name="bytes")
            co.Exec("echo run test for backend", name="backend")
    return root

if __name__ == "__main__":
    co.main(default=pipe)
`,
  );
  const { run: pipeline } = await runToEnd(file);
  assert.equal(pipeline.tree.root.state, 'done');
  assert.deepEqual(pipeline.tree.root.leafCounts, { pending: 0, queued: 0, running: 0, done: 4, error: 0, killed: 0 });
  assert.equal(lastLog(pipeline, '/Build/app'), 'building app\n');
  assert.equal(lastLog(pipeline, '/Build/lib'), 'building lib\n');
  assert.equal(readFileSync(pipeline.space.log(lastExecution(pipeline, '/Build/lib').id, 'stderr').path, 'utf8'), 'building lib\n');
  const bytes = lastExecution(pipeline, '/Test/bytes');
  assert.deepEqual([...readFileSync(pipeline.space.log(bytes.id).path)].sort(), [...Buffer.from('a\0bno newlineerr\ntail')].sort(), 'every byte, none added');
  assert.equal(readFileSync(pipeline.space.log(bytes.id, 'stderr').path, 'utf8'), 'err\n');
  assert.equal(bytes.exitCode, 0);
  await pipeline.close();
});
