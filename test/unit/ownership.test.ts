// Owning a pipeline is exclusive across processes, and ends with the owner even when it is killed -9:
// the kernel holds the lock, not a PID file (a PID can be reused by an unrelated process).
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { PipelineStore } from '../../runner/store/pipelineStore';
import { ProcessLock } from '../../runner/store/processLock';
import { Worker } from 'node:worker_threads';
import { repo } from '../helpers/cli';
import { node } from '../helpers/nodes';

const scratch = mkdtempSync(path.join(tmpdir(), 'pw-owner-'));
const storeRoot = path.join(scratch, 'store');
const store = new PipelineStore(storeRoot);
const children: ChildProcessByStdio<null, Readable, null>[] = [];
after(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

// Another process that claims the pipeline, says how it went, and holds it until killed.
const holderScript = path.join(scratch, 'holder.ts');
writeFileSync(
  holderScript,
  `import { PipelineStore } from ${JSON.stringify(path.join(repo, 'runner', 'store', 'pipelineStore.ts'))};
const [storeRoot, id] = process.argv.slice(2);
try {
  new PipelineStore(storeRoot).claim(id);
  process.stdout.write('claimed\\n');
} catch (err) {
  process.stdout.write('refused: ' + (err as Error).message + '\\n');
}
setInterval(() => {}, 60_000);
`,
);

interface Holder {
  child: ChildProcessByStdio<null, Readable, null>;
  said: Promise<string>;
}
function holder(id: string): Holder {
  const child = spawn(process.execPath, ['--import', 'tsx', holderScript, storeRoot, id], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const said = new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
  return { child, said };
}

function pipeline(): string {
  return store.create({ pipewright: 1, name: 'p', file: '/x/p.py', nodes: [node('/', 'Exec', 'echo')] }).id;
}

async function kill9(child: Holder['child']): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

test('while another process owns a pipeline, claiming it is refused naming that process; once it is killed -9, it is free', async () => {
  const id = pipeline();
  const other = holder(id);
  assert.equal(await other.said, 'claimed');
  assert.equal(store.liveOwner(id)?.pid, other.child.pid);
  assert.throws(() => store.claim(id), new RegExp(`pipeline ${id} is being run by another process \\(pid ${other.child.pid}\\)`));
  assert.equal(JSON.parse(readFileSync(path.join(store.dir(id), 'owner.json'), 'utf8')).pid, other.child.pid, 'the failed claim left the owner file alone');

  await kill9(other.child);
  assert.equal(store.liveOwner(id), null, 'the kernel let go with the process');
  store.claim(id);
  assert.equal(store.liveOwner(id)?.pid, process.pid);
  assert.ok((await holder(id).said).startsWith(`refused: pipeline ${id} is being run by another process (pid ${process.pid})`), 'this process is now the owner others are told of');
  store.release(id);
  assert.equal(store.liveOwner(id), null);
});

test('a PID file naming a live process that holds no lock (a reused PID) does not make an owner', () => {
  const id = pipeline();
  // PID 1 is alive, and is not running this pipeline.
  writeFileSync(path.join(store.dir(id), 'owner.json'), JSON.stringify({ pid: 1, startedAt: Date.now() }));
  assert.equal(store.liveOwner(id), null);
  store.claim(id);
  store.release(id);
});

test('five processes claiming the same pipeline at once: exactly one owns it', async () => {
  const id = pipeline();
  const holders = Array.from({ length: 5 }, () => holder(id));
  const said = await Promise.all(holders.map((h) => h.said));
  const owners = holders.filter((_, i) => said[i] === 'claimed');
  assert.equal(owners.length, 1, said.join('\n'));
  const pid = owners[0]!.child.pid;
  for (const line of said.filter((s) => s !== 'claimed')) assert.match(line, new RegExp(`^refused: pipeline ${id} is being run by another process \\(pid (${pid}|unknown)\\)`));
  assert.equal(store.liveOwner(id)?.pid, pid);
  await Promise.all(holders.map((h) => kill9(h.child)));
  assert.equal(store.liveOwner(id), null);
});

test('a process that loses the race in the moment before the winner names itself still names it, not "pid unknown"', async () => {
  const id = pipeline();
  // The winner's moment between taking the lock and writing owner.json, stretched to 300 ms: the
  // lock is taken here, owner.json written by a thread (this thread blocks while the loser waits).
  const lock = ProcessLock.tryAcquire((store as unknown as { lockName(id: string): string }).lockName(id))!;
  const ownerFile = path.join(storeRoot, 'pipelines', id, 'owner.json');
  const writer = new Worker(`setTimeout(() => require('node:fs').writeFileSync(${JSON.stringify(ownerFile)}, JSON.stringify({ pid: 4242, startedAt: Date.now() })), 300);`, { eval: true });
  try {
    assert.throws(() => new PipelineStore(storeRoot).claim(id), /being run by another process \(pid 4242\)/);
  } finally {
    await writer.terminate();
    lock.release();
  }
});
