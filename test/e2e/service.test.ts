// Runs outlive the window, in a real VS Code (code-server): a pipeline started from the editor keeps
// running through "Developer: Reload Window" (the runner service holds it, not the extension host),
// and after the reload the sidebar and the panel re-attach to it: the node is still running, its
// panel reopens with the same node selected and a live log, and the run ends done, never killed.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { exactText, REPO, sleep, TIMEOUTS, Workbench } from './harness';

const RUNS = 'Runs';
const ANY_RUN = /./;
/** About 36 s of ticks: time to reload the window while the node runs. */
const TICKS = 120;
const LONG_RUN_PY = `# A node that runs through a window reload (made by test/e2e/service.test.ts).
import conducto as co


def run():
    pipeline = co.Serial()
    pipeline["printer"] = co.Exec("for i in $(seq 1 ${TICKS}); do echo tick $i; sleep 0.3; done")
    pipeline["after"] = co.Exec("echo after")
    return pipeline


if __name__ == "__main__":
    co.main(default=run)
`;

let wb: Workbench;

before(async () => {
  wb = await Workbench.start({ name: 'service', files: { 'long_run.py': LONG_RUN_PY } });
});

after(async () => {
  await wb?.dispose();
});

function panel(timeout = TIMEOUTS.ui): Promise<Frame> {
  return wb.panelFrame(timeout);
}

function lastTick(text: string): number {
  let n = 0;
  for (const m of text.matchAll(/\btick (\d+)\b/g)) n = Math.max(n, Number(m[1]));
  return n;
}

async function visibleLog(f: Frame): Promise<string> {
  const text = await f.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('.logs .xterm-rows'))
      .filter((rows) => rows.offsetParent !== null)
      .map((rows) => rows.innerText)
      .join('\n'),
  );
  return text.replace(/\u00a0/g, ' ');
}

test('a run goes on through a window reload; the sidebar and its panel re-attach to it', async () => {
  await wb.step('reload-mid-run', async () => {
    await wb.openFile('long_run.py');
    await wb.clickCodeLens('▶ Run pipeline');
    await wb.waitForDescription('printer', 'running', { under: [RUNS, ANY_RUN], timeout: TIMEOUTS.run });
    // The panel, on /printer's logs.
    await wb.treeItemContextMenu(ANY_RUN, 'Open Pipeline Panel', { under: [RUNS] });
    let f = await panel();
    await f.locator('.tree .tree-row[data-path="/printer"] .label').click();
    await f.locator('.details .details-title .path', { hasText: exactText('/printer') }).waitFor();
    await f.locator('#tab-logs').click();
    await f.locator('.logs .xterm-rows').waitFor();
    const beforeReload = lastTick(await visibleLog(f));
    await wb.screenshot('before-reload');

    await wb.reloadWindow();
    await wb.openViewContainer();
    // Still running after the reload: the extension host that started it is gone, the run is not.
    const desc = await wb.waitForDescription('printer', 'running', { under: [RUNS, ANY_RUN], timeout: TIMEOUTS.ui });
    assert.match(desc, /running/);
    // The panel came back with the same node selected, and its log goes on growing.
    f = await panel(TIMEOUTS.activation);
    await f.locator('.tree .tree-row[data-path="/printer"][aria-selected="true"]').waitFor({ timeout: TIMEOUTS.ui });
    await f.locator('#tab-logs').click();
    const deadline = Date.now() + TIMEOUTS.ui;
    let seen = lastTick(await visibleLog(f));
    while (seen <= beforeReload + 3 && Date.now() < deadline) {
      await sleep(300);
      seen = lastTick(await visibleLog(f));
    }
    assert.ok(seen > beforeReload + 3, `the log goes on after the reload (before ${beforeReload}, now ${seen})`);
    assert.ok(seen < TICKS, `watched while running, not after the end (tick ${seen})`);
    await wb.screenshot('after-reload');

    // To the end, done: never killed by the reload.
    await wb.waitForDescription('after', /done/, { under: [RUNS, ANY_RUN], timeout: TIMEOUTS.run });
    const pipelines = path.join(wb.storeDir, 'pipelines');
    const id = readdirSync(pipelines)[0]!;
    const events = readFileSync(path.join(pipelines, id, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; path?: string; state?: string });
    const printerEnds = events.filter((e) => e.type === 'execution-end' && e.path === '/printer');
    assert.deepEqual(
      printerEnds.map((e) => e.state),
      ['done'],
      'one execution of /printer, ended done',
    );
    assert.ok(!events.some((e) => e.state === 'killed'), 'nothing was killed');
  });
});

/** The pid of the store's runner service that started last (its log's newest "listening" line). */
function servicePid(): number {
  const log = readFileSync(path.join(wb.storeDir, 'service', 'service.log'), 'utf8');
  const pids = [...log.matchAll(/listening on .* \(pid (\d+),/g)].map((m) => Number(m[1]));
  assert.ok(pids.length, `no service in the log:\n${log}`);
  return pids[pids.length - 1]!;
}

test('a run the CLI started shows in the window; a killed runner service is replaced and both follow the recovered run to its end', async () => {
  await wb.step('service-killed', async () => {
    // Another client: `pipewright run` in a terminal, on the same store.
    const cli = spawn(process.execPath, [path.join(REPO, 'dist', 'cli.js'), 'run', path.join(wb.workspace, 'long_run.py'), 'run', '--store', wb.storeDir], {
      env: { ...process.env, PIPEWRIGHT_SERVICE: 'on', PIPEWRIGHT_DEFAULT_IMAGE: 'pipewright/python:latest' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let cliOut = '';
    cli.stdout.setEncoding('utf8').on('data', (t: string) => (cliOut += t));
    cli.stderr.setEncoding('utf8').on('data', (t: string) => (cliOut += t));
    const cliExit = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
    const runningRun = async () => {
      const rows = await wb.treeRows();
      // A row of the Runs group: labelled by the run's id, its description starting with its state.
      return rows.find((r) => r.level === 2 && /^[a-z]+(-[a-z]+)+$/.test(r.label) && /^running\b/.test(r.description ?? ''))?.label;
    };
    const deadline = Date.now() + TIMEOUTS.run;
    let run: string | undefined;
    while (!(run = await runningRun()) && Date.now() < deadline) await sleep(300);
    assert.ok(run, `the CLI's run shows running in the Runs group; CLI output:\n${cliOut}`);
    await wb.waitForDescription('printer', 'running', { under: [RUNS, run], timeout: TIMEOUTS.run });
    const pid = servicePid();
    process.kill(pid, 'SIGKILL');
    // A new service recovers the run (re-attaching its container); the window follows it to the end.
    await wb.waitForDescription('after', /done/, { under: [RUNS, run], timeout: TIMEOUTS.run });
    assert.notEqual(servicePid(), pid, 'another service took over');
    assert.match(await wb.treeItemDescription('printer', { under: [RUNS, run] }), /^done\b/);
    assert.equal(await cliExit, 0, cliOut);
    assert.match(cliOut, /the runner service stopped/);
    await wb.screenshot('service-replaced');
  });
});
