// The runner service on the real engine: a run belongs to it, not to the CLI that started it; other
// clients watch the same run; a killed service is replaced and its runs recovered; its socket is
// the user's only; it leaves when idle.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import type { RunnerEvent } from '../../protocol/runner';
import { serviceAddress } from '../../runner/service/serviceAddress';
import { ProcessLock } from '../../runner/store/processLock';
import { pipewrightChild, pipewrightToEnd } from '../helpers/cliChild';
import { until } from '../helpers/runnerHarness';

const SERVICE_ENV = { PIPEWRIGHT_SERVICE: 'on', PIPEWRIGHT_SERVICE_IDLE_MS: '1500' };
const dir = mkdtempSync(path.join(tmpdir(), 'pw-service-'));
const file = path.join(dir, 'pipeline.py');
// The definition and its function, as `pipewright run FILE FUNC` takes them.
const FUNC = 'main';

before(() => {
  // /slow runs long enough to kill whoever we want while it runs; /after proves scheduling goes on.
  writeFileSync(
    file,
    [
      'import conducto as co',
      'def main() -> co.Serial:',
      '    with co.Serial() as root:',
      '        co.Exec("echo slow-start; sleep 4; echo slow-end", name="slow")',
      '        co.Exec("echo after-ran", name="after")',
      '    return root',
      '',
    ].join('\n'),
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

function freshStore(): string {
  return mkdtempSync(path.join(dir, 'store-'));
}

/** `pipewright run --json` in the service, read until `until` says so of an event; the child goes on. */
async function runUntil(store: string, stop: (event: RunnerEvent) => boolean) {
  const child = pipewrightChild(['run', file, FUNC, '--json'], store, SERVICE_ENV);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const events: RunnerEvent[] = [];
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const event = JSON.parse(line) as RunnerEvent & { type: string };
    events.push(event);
    if (stop(event)) break;
  }
  assert.ok(events.length, `pipewright run printed nothing; stderr:\n${stderr}`);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, pipeline: events[0]!.pipeline, events, exited, stderr: () => stderr };
}

const slowPrinted = (e: RunnerEvent) => e.type === 'log' && e.path === '/slow' && e.text.includes('slow-start');

function servicePid(store: string): number {
  const live = ProcessLock.isHeld(serviceAddress(store).lock);
  assert.ok(live, 'no runner service holds the store');
  const log = readFileSync(path.join(serviceAddress(store).dir, 'service.log'), 'utf8');
  const pids = [...log.matchAll(/listening on .* \(pid (\d+),/g)].map((m) => Number(m[1]));
  return pids[pids.length - 1]!;
}

test('a run outlives the CLI that started it: kill -9 the CLI mid-run, the run finishes, another client sees it done', async () => {
  const store = freshStore();
  const { child, pipeline } = await runUntil(store, slowPrinted);
  child.kill('SIGKILL');
  const watched = await pipewrightToEnd(['watch', pipeline], store, SERVICE_ENV);
  assert.equal(watched.code, 0, watched.stderr);
  assert.match(watched.stdout, /done\s+\/after/);
  const show = await pipewrightToEnd(['logs', pipeline, '/after'], store, SERVICE_ENV);
  assert.match(show.stdout, /after-ran/);
});

test('two clients watch one run: both follow it to its end and agree', async () => {
  const store = freshStore();
  const first = await runUntil(store, (e) => e.type === 'execution-start');
  const second = pipewrightToEnd(['watch', first.pipeline, '--json'], store, SERVICE_ENV);
  // The first client reads on to its end as well.
  const rest: RunnerEvent[] = [];
  for await (const line of createInterface({ input: first.child.stdout })) rest.push(JSON.parse(line) as RunnerEvent);
  assert.equal(await first.exited, 0, first.stderr());
  const watched = await second;
  assert.equal(watched.code, 0, watched.stderr);
  const finished = (lines: { type: string; state?: string; counts?: { done: number } }[]) => lines.find((e) => e.type === 'finished');
  const secondEvents = watched.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; path?: string; state?: string; counts?: { done: number } });
  assert.deepEqual(finished(secondEvents), { ...finished(secondEvents), state: 'done' });
  assert.equal(finished(secondEvents)!.counts!.done, 2);
  assert.equal((finished(rest as never) as { state: string }).state, 'done');
  // The watcher joined mid-run and heard of /after ending.
  assert.ok(secondEvents.some((e) => e.type === 'execution-end' && e.path === '/after'));
});

test('a killed service is replaced and its run recovered: the client that started the run and a watcher follow it to the end', async () => {
  const store = freshStore();
  const started = await runUntil(store, slowPrinted);
  // A second client follows too: both reconnect at once (one starts the next service, or both try).
  const watcher = pipewrightToEnd(['watch', started.pipeline], store, SERVICE_ENV);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const pid = servicePid(store);
  process.kill(pid, 'SIGKILL');
  const rest: string[] = [];
  for await (const line of createInterface({ input: started.child.stdout })) rest.push(line);
  assert.equal(await started.exited, 0, started.stderr());
  assert.match(started.stderr(), /the runner service stopped .*another recovers/);
  const watched = await watcher;
  assert.equal(watched.code, 0, watched.stderr);
  assert.match(watched.stdout, /done\s+\/after/);
  const newPid = servicePid(store);
  assert.notEqual(newPid, pid, 'a new service runs the pipeline');
  const finished = JSON.parse(rest[rest.length - 1]!) as { type: string; state: string };
  assert.deepEqual([finished.type, finished.state], ['finished', 'done']);
  // /slow was re-attached (not run again): one execution, and it saw its own end.
  const logs = await pipewrightToEnd(['logs', started.pipeline, '/slow'], store, SERVICE_ENV);
  assert.match(logs.stdout, /slow-start[\s\S]*slow-end/);
  assert.match(logs.stderr, /execution 1\/1: exit 0/);
});

test("the service's socket is the user's only, and the service leaves once idle with no client", async () => {
  const store = freshStore();
  const result = await pipewrightToEnd(['run', file, FUNC], store, SERVICE_ENV);
  assert.equal(result.code, 0, result.stderr);
  const address = serviceAddress(store);
  assert.equal(statSync(path.dirname(address.socket)).mode & 0o777, 0o700);
  if (ProcessLock.isHeld(address.lock)) assert.equal(statSync(address.socket).mode & 0o777, 0o600);
  await until('the idle service to leave', () => !ProcessLock.isHeld(address.lock), 20_000, 100);
  assert.match(readFileSync(path.join(address.dir, 'service.log'), 'utf8'), /stopping \(idle: no active run and no client\)/);
  const status = await pipewrightToEnd(['service', '--status'], store, SERVICE_ENV);
  assert.equal(status.code, 1);
  assert.match(status.stdout, /no runner service/);
});

test('a request the service cannot read is refused with the reason, and the service goes on', async () => {
  const store = freshStore();
  const { ServiceClient } = await import('../../runner/service/serviceClient');
  const { cliLauncherForTests } = await import('../helpers/serviceLauncher');
  const client = (await ServiceClient.connect(store, cliLauncherForTests(store)))!;
  try {
    await assert.rejects(client.request({ op: 'control', pipeline: 'no-such', request: { op: 'kill', path: '/' } }), /pipeline no-such is not running in the runner service/);
    await assert.rejects(client.request({ op: 'watch', pipeline: '../etc' } as never), /malformed request: pipeline: not a pipeline id/);
    assert.deepEqual(await client.request({ op: 'list' }), []);
  } finally {
    client.close();
  }
});

test('a damaged live.json (the runs an earlier service held) is reported in the log, and the service serves on', async () => {
  const store = freshStore();
  const address = serviceAddress(store);
  writeFileSync(path.join(address.dir, 'live.json'), '[{"id": "../../etc", "options": {}}]');
  const result = await pipewrightToEnd(['run', file, FUNC], store, SERVICE_ENV);
  assert.equal(result.code, 0, result.stderr);
  assert.match(readFileSync(path.join(address.dir, 'service.log'), 'utf8'), /live\.json: 0\.id: not a pipeline id; no run recovered/);
});

test('a control command on a run the service still holds follows it to the end (modify --reset waits for the new run)', async () => {
  const store = freshStore();
  const env = { ...SERVICE_ENV, PIPEWRIGHT_SERVICE_IDLE_MS: '60000' };
  try {
    const first = await pipewrightToEnd(['run', file, FUNC], store, env);
    assert.equal(first.code, 0, first.stderr);
    const id = /^pipeline (\S+)/m.exec(first.stdout)![1]!;
    const status = await pipewrightToEnd(['service', '--status'], store, env);
    assert.match(status.stdout, new RegExp(`\\b${id}\\b`), 'the service still holds the run');
    const modified = await pipewrightToEnd(['modify', id, '/after', '--command', 'echo after-again', '--reset'], store, env);
    assert.equal(modified.code, 0, modified.stderr);
    assert.match(modified.stdout, /done\s+\/after/);
    const logs = await pipewrightToEnd(['logs', id, '/after'], store, env);
    assert.match(logs.stdout, /after-again/);
    assert.match(logs.stderr, /execution 2\/2: exit 0/);
  } finally {
    await pipewrightToEnd(['service', '--stop'], store, env);
  }
});
