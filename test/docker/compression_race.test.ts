// The Compression Race of the Conducto docs (examples/compression_race), on the real engine, with
// tiny payloads made in a temp copy of the folder.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { renderTree } from '../../presentation/tree';
import { evaluateDefinition } from '../../evaluator/evaluateDefinition';
import { dockerSuite, lastLog, type Harness } from '../helpers/runnerHarness';

const source = path.resolve(__dirname, '..', '..', 'examples', 'compression_race');
const h = dockerSuite();
const race = path.join(h.dir, 'compression_race');
const file = path.join(race, 'pipeline.py');
const SIZES_MB = [0.05, 0.06, 0.07, 0.08, 0.09];
const payloadSizes = SIZES_MB.map((mb) => Math.trunc(mb * 2 ** 20));

const SEED_TREE = `/
├─0 container parallelism
│ ├─ worker 0   gzip -1 payload1.dat
│ ├─ worker 1   gzip -1 payload2.dat
│ ├─ worker 2   gzip -1 payload3.dat
│ ├─ worker 3   gzip -1 payload4.dat
│ └─ worker 4   gzip -1 payload5.dat
├─1 process parallelism   ls payload*.dat | parallel gzip -1
└─2 no parallelism   gzip -1 payload*.dat`;

function makePayloads(): string {
  return execFileSync('python3', [path.join(race, 'make_payloads.py'), '--dir', race, '--sizes', SIZES_MB.join(',')], { encoding: 'utf8' });
}

let engine: Awaited<ReturnType<Harness['context']>> | undefined;
/** The files in a running container's /pipewright/src (`ls` through `docker exec`). */
async function filesInContainer(containerId: string): Promise<string[]> {
  engine ??= await h.context();
  const exec = await engine.docker.getContainer(containerId).exec({ Cmd: ['ls', '-1', '/pipewright/src'], AttachStdout: true, AttachStderr: true, Tty: true });
  const stream = await exec.start({ hijack: true, stdin: false, Tty: true });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const { ExitCode } = await exec.inspect();
  const text = Buffer.concat(chunks).toString('utf8');
  assert.equal(ExitCode, 0, text);
  return text.split(/\r?\n/).filter(Boolean).sort();
}

before(() => {
  // The example's own files (not payloads or .gz a local run may have left), then tiny payloads.
  cpSync(source, race, { recursive: true, filter: (src) => !/payload\d+\.dat/.test(path.basename(src)) && !src.endsWith('.gz') });
});

test('make_payloads makes five payloads of the given sizes, and keeps them on a second run', () => {
  assert.match(makePayloads(), /payload5\.dat: \d+ bytes, made/);
  payloadSizes.forEach((size, i) => assert.equal(statSync(path.join(race, `payload${i + 1}.dat`)).size, size));
  const again = makePayloads();
  assert.equal(again.match(/, kept/g)?.length, 5, again);
});

test('the tree is the seed\'s, with cpu=2 on a Serial root', async () => {
  const doc = await evaluateDefinition(file);
  assert.equal(renderTree(doc.nodes), SEED_TREE);
  const root = doc.nodes[0]!;
  assert.equal(root.type, 'Serial');
  assert.equal(root.params.cpu, 2);
  assert.ok(root.set?.includes('cpu'), 'cpu is set on the root itself');
  for (const node of doc.nodes) assert.equal(node.params.cpu, 2, `${node.path} inherits cpu=2`);
  assert.equal(doc.nodes.find((n) => n.path === '/container parallelism')?.type, 'Parallel');
});

test('the race runs to done; every strategy compresses its own copy in containers of its own', async () => {
  // Idle workers stay until close, so their file systems can be looked at after the run.
  const { run } = await h.run(file, { workerIdleMs: 10 * 60_000 });
  try {
    assert.equal(run.tree.root.state, 'done');
    assert.deepEqual(run.tree.root.leafCounts, { pending: 0, queued: 0, running: 0, done: 7, error: 0, killed: 0 });

    const workers = [0, 1, 2, 3, 4].map((i) => `/container parallelism/worker ${i}`);
    const leaves = [...workers, '/process parallelism', '/no parallelism'];
    const executions = leaves.map((p) => {
      const node = run.tree.get(p);
      assert.equal(node.executions.length, 1, `${p} ran once`);
      const e = node.executions[0]!;
      assert.equal(e.exitCode, 0, `${p} exit 0`);
      assert.ok(e.endedAt !== undefined && e.endedAt >= e.startedAt, `${p} has a duration`);
      assert.ok(e.containerId, `${p} ran in a container`);
      return e;
    });
    assert.equal(new Set(executions.map((e) => e.containerId)).size, leaves.length, 'each node has a container of its own');

    // Worker i compressed payload{i+1}.dat in its own copy, and only that one; the other two
    // strategies compressed all five, each in its own copy.
    const dat = (j: number) => `payload${j}.dat`;
    const example = ['make_payloads.py', 'pipeline.py'];
    for (const [i, p] of workers.entries()) {
      const expected = [...example, ...[1, 2, 3, 4, 5].map((j) => (j === i + 1 ? `${dat(j)}.gz` : dat(j)))].sort();
      assert.deepEqual(await filesInContainer(executions[i]!.containerId!), expected, p);
    }
    for (const [k, p] of ['/process parallelism', '/no parallelism'].entries()) {
      const expected = [...example, ...[1, 2, 3, 4, 5].map((j) => `${dat(j)}.gz`)].sort();
      assert.deepEqual(await filesInContainer(executions[5 + k]!.containerId!), expected, p);
    }

    // Nothing was written back into the definition's folder.
    assert.deepEqual(readdirSync(race).filter((f) => f.endsWith('.gz')), []);
    payloadSizes.forEach((size, i) => assert.equal(statSync(path.join(race, `payload${i + 1}.dat`)).size, size));

    // Every strategy took a measurable time (its subtree's first start to last end).
    for (const strategy of ['/container parallelism', '/process parallelism', '/no parallelism']) {
      const execs = leaves.map((p, i) => [p, executions[i]!] as const).filter(([p]) => p === strategy || p.startsWith(`${strategy}/`));
      const span = Math.max(...execs.map(([, e]) => e.endedAt!)) - Math.min(...execs.map(([, e]) => e.startedAt));
      assert.ok(span > 0, `${strategy} took ${span} ms`);
    }

    // Act two, as the seed and `npm run demo`: ten cores for process parallelism, run again. It asks
    // for other resources, so it starts in a new container with a fresh copy of the payloads (the
    // machine's cores: the clamp), not in the one where they are .gz already.
    run.modify('/process parallelism', { cpu: 10 });
    run.reset('/process parallelism');
    await run.settled();
    const [first, second] = run.tree.get('/process parallelism').executions;
    const log = lastLog(run, '/process parallelism');
    assert.equal(second?.exitCode, 0, log);
    assert.notEqual(second!.containerId, first!.containerId);
    assert.doesNotMatch(log, /cannot access/);
    assert.deepEqual(await filesInContainer(second!.containerId!), [...example, ...[1, 2, 3, 4, 5].map((j) => `${dat(j)}.gz`)].sort());
  } finally {
    await run.close();
  }
});
