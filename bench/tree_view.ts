/**
 * The Pipelines view with a 100,000-node pipeline, in a real VS Code (code-server, as the e2e
 * suites run it). Prints:
 *  - opening: until the definition's pipeline shows, until a level of 1,000 children expands;
 *  - running it (the CodeLens "Run pipeline", real containers): until the run shows, how long a
 *    runner event takes to reach the view (event time in the store's log against the moment the
 *    run's row shows the new counts), frame times while the user scrolls 1,000 rows as nodes
 *    finish, against the same scrolling before the run (the baseline), and the extension host's CPU.
 * Run: `bash scripts/test-e2e.sh` once (installs code-server), then
 *   node --import tsx bench/tree_view.ts [--parallels 100] [--execs 1000] [--cpu 0.25] [--seconds 20]
 * The goal (issue: "a 100,000-node pipeline opens at once and stays smooth") is judged from these
 * figures, as the other benches do.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import type { RunnerEvent } from '../protocol/runner';
import { Workbench } from '../test/e2e/harness';
import { printFrames, quantile, scrollFor, summarizeFrames, type Frames } from './frames';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

const repo = path.resolve(__dirname, '..');
const parallels = flag('parallels', 100);
const execs = flag('execs', 1000);
// A quarter core each: eight nodes at once on two cores, so the view gets a steady stream of events.
const cpu = flag('cpu', 0.25);
const windowMs = flag('seconds', 20) * 1000;

const definition = `import conducto as co

def run() -> co.Serial:
    root = co.Serial()
    for p in range(${parallels}):
        par = root[f"p{p:03d}"] = co.Parallel(cpu=${cpu})
        for e in range(${execs}):
            par[f"e{e:04d}"] = co.Exec(f"echo {p} {e}")
    return root

if __name__ == "__main__":
    co.main(default=run)
`;

async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await work();
  console.log(`${what}: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  return result;
}

/** Frame intervals (requestAnimationFrame) and long tasks in the workbench page while `during` runs. */
async function measureFrames(page: Page, during: () => Promise<void>): Promise<Frames> {
  // Plain strings: tsx would wrap named functions in a helper the page does not have.
  await page.evaluate(`(() => {
    const state = (window.__pwFrames = { gaps: [], long: [], on: true });
    let last = performance.now();
    const tick = (t) => {
      state.gaps.push(t - last);
      last = t;
      if (state.on) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (state.on) state.long.push(e.duration);
      }).observe({ entryTypes: ['longtask'] });
    } catch (e) {
      // no long-task timing in this browser
    }
  })()`);
  await during();
  const { gaps, long } = (await page.evaluate(`(() => {
    const state = window.__pwFrames;
    state.on = false;
    return { gaps: state.gaps.slice(1), long: state.long };
  })()`)) as { gaps: number[]; long: number[] };
  return summarizeFrames(gaps, long);
}

/** CPU seconds used so far by code-server's extension host (it runs the runner and the tree provider). */
function extensionHostCpuSeconds(): number {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('extensionHost')) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      /* gone meanwhile */
    }
  }
  return NaN;
}

(async () => {
  const nodes = parallels * execs + parallels + 1;
  console.log(`# Pipelines view, ${nodes.toLocaleString('en')} nodes (${parallels} Parallels of ${execs} Exec, cpu=${cpu} each)`);
  const wb = await Workbench.start({ name: 'bench-tree', files: { 'huge.py': definition } });
  try {
    const page = wb.page;
    await wb.openViewContainer();
    await timed('definition evaluated and its pipeline shown (language server, 1st time)', () => wb.treeItem('run', { under: ['huge.py'], timeout: 300_000 }));
    await timed(`pipeline expanded (${parallels} children)`, () => wb.treeItem('p000', { under: ['huge.py', 'run'], timeout: 120_000 }));
    const first = await timed(`a Parallel expanded (${execs} children)`, () => wb.treeItem('e0000', { under: ['huge.py', 'run', 'p000'], timeout: 120_000 }));
    const box = (await first.boundingBox())!;
    const over = { x: box.x + box.width / 2, y: box.y + 120 };
    printFrames(`scrolling ${execs} rows, nothing running (baseline, ${windowMs / 1000} s)`, await measureFrames(page, () => scrollFor(page, over, windowMs, 220)));
    // Second baseline: the same machine load (runner, containers, engine) from the CLI in another
    // process, so the view gets no updates. The difference to the run below is the view's own cost.
    const cli = spawn(process.execPath, [path.join(repo, 'dist', 'cli.js'), 'run', path.join(wb.workspace, 'huge.py'), '--store', path.join(wb.root, 'cli-store')], {
      env: { ...process.env, PIPEWRIGHT_DEFAULT_IMAGE: 'pipewright/python:latest' },
      stdio: 'ignore',
    });
    await sleep(5000);
    printFrames(`the same scrolling while the CLI runs the pipeline (baseline under the same load, ${windowMs / 1000} s)`, await measureFrames(page, () => scrollFor(page, over, windowMs, 220)));
    // A small pipeline may be done already: then there is no exit left to wait for.
    if (cli.exitCode === null && cli.signalCode === null) {
      const exited = new Promise((resolve) => cli.once('exit', resolve));
      cli.kill('SIGINT');
      await exited;
    }

    // Run it as a user does, from the CodeLens.
    await wb.openFile('huge.py');
    const cpu0 = extensionHostCpuSeconds();
    const t0 = Date.now();
    await wb.clickCodeLens('▶ Run pipeline', 300_000);
    await timed('run started from the CodeLens, its pipeline shown running', () => wb.waitForDescription('run', /\brunning\b/, { under: ['huge.py'], timeout: 300_000 }));
    // Fold the definition so the Runs group (below its 100 Parallels) is on screen.
    const defRow = await wb.treeItem('huge.py');
    if ((await defRow.getAttribute('aria-expanded')) === 'true') await defRow.locator('.monaco-tl-twistie').click();
    const runRow = await wb.treeItem(/^[a-z]+-[a-z]+$/, { under: ['Runs'], timeout: 60_000 });
    const runId = ((await runRow.locator('.label-name').textContent()) ?? '').trim();
    await wb.waitForDescription(runId, /\bD[1-9]/, { under: ['Runs'], timeout: 300_000 });
    console.log(`first node done on screen: ${((Date.now() - t0) / 1000).toFixed(2)} s after the click`);

    // Runner event → screen: record each description of the run's row with the time it appeared.
    await page.evaluate(`(() => {
      const id = ${JSON.stringify(runId)};
      const seen = (window.__pwSeen = []);
      const list = document.querySelector('.part.sidebar .monaco-list');
      const snap = () => {
        for (const row of list.querySelectorAll('.monaco-list-row')) {
          if ((row.querySelector('.label-name')?.textContent ?? '').trim() !== id) continue;
          const d = (row.querySelector('.label-description')?.textContent ?? '').trim();
          if (seen.length === 0 || seen[seen.length - 1].d !== d) seen.push({ t: Date.now(), d });
        }
      };
      new MutationObserver(snap).observe(list, { subtree: true, childList: true, characterData: true, attributes: true });
    })()`);
    await sleep(windowMs / 2);
    const seen = await page.evaluate(() => (window as unknown as { __pwSeen: { t: number; d: string }[] }).__pwSeen);
    const events = readFileSync(path.join(wb.storeDir, 'pipelines', runId, 'events.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as RunnerEvent);
    const doneAt: number[] = [];
    for (const e of events) if (e.type === 'execution-end' && e.state === 'done') doneAt.push(e.time);
    const lags: number[] = [];
    for (const { t, d } of seen) {
      const done = Number(/\bD(\d+)/.exec(d)?.[1] ?? NaN);
      if (done > 0 && done <= doneAt.length) lags.push(t - doneAt[done - 1]!);
    }
    lags.sort((a, b) => a - b);
    const rate = doneAt.length / ((doneAt[doneAt.length - 1]! - doneAt[0]!) / 1000);
    const span = seen.length > 1 ? (seen[seen.length - 1]!.t - seen[0]!.t) / 1000 : 0;
    console.log(`the run's row changed ${seen.length} times in ${span.toFixed(1)} s`);
    console.log(`runner event → run row on screen: ${lags.length} updates, p50 ${quantile(lags, 0.5)} ms, p95 ${quantile(lags, 0.95)} ms, max ${lags[lags.length - 1]} ms (nodes finishing at ${rate.toFixed(0)}/s)`);

    // While it runs: expand a Parallel of the run and scroll it.
    // A Parallel near the top (rows off screen are not rendered, so not findable); later ones still run.
    const pick = `p${String(Math.min(10, parallels - 1)).padStart(3, '0')}`;
    await timed(`the running pipeline expanded under Runs (${parallels} children)`, () => wb.treeItem(pick, { under: ['Runs', runId], timeout: 120_000 }));
    const row = await timed(`a Parallel of the running pipeline expanded (${execs} children)`, () => wb.treeItem('e0000', { under: ['Runs', runId, pick], timeout: 120_000 }));
    const rbox = (await row.boundingBox())!;
    printFrames(`scrolling ${execs} rows while the pipeline runs (${windowMs / 1000} s)`, await measureFrames(page, () => scrollFor(page, { x: rbox.x + rbox.width / 2, y: rbox.y + 120 }, windowMs, 220)));
    const elapsed = (Date.now() - t0) / 1000;
    const finished = readFileSync(path.join(wb.storeDir, 'pipelines', runId, 'events.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"execution-end"')).length;
    console.log(`extension host CPU: ${(extensionHostCpuSeconds() - cpu0).toFixed(1)} s over ${elapsed.toFixed(0)} s of run (${finished} nodes finished; it also runs the runner)`);
    await wb.screenshot('bench-tree-100k-running');
  } finally {
    await wb.dispose();
  }
})().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
