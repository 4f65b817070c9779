// Arguments and choosing what to run, in a real VS Code (code-server) with the packaged extension
// (issue 13, part 2):
//   - "Run Pipeline" from the palette runs the pipeline function the cursor is in; outside every
//     function it asks which (a QuickPick of the file's pipelines);
//   - a function with a required int parameter is asked for it (an input box checking the value),
//     and runs with it: its node's log shows it; the run's tooltip and the panel's header show the
//     arguments; the panel's "Rerun" and the run row's "Rerun with Same Arguments" run it again so;
//   - the next run's input box is prefilled with the value used last;
//   - the keyboard: a function selected in the Pipelines view runs with ctrl+enter.
// The fixture is test/e2e/fixtures.ts ARGS_PY, alone in the workspace. What ran, and with which
// arguments, is read back from the session's store (meta.json) and the CLI's `logs`.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { PipelineStore, type PipelineMeta } from '../../runner/store/pipelineStore';
import { ARGS_PY, COMPUTE_LINE, PLAIN_LINE } from './fixtures';
import { exactText, REPO, sleep, TIMEOUTS, Workbench } from './harness';

const RUNS = 'Runs';
const FILE = 'args.py';

let wb: Workbench;
const emptyWorkspace = mkdtempSync(path.join(os.tmpdir(), 'pw-e2e-args-'));

before(async () => {
  wb = await Workbench.start({ name: 'arguments', workspace: emptyWorkspace, files: { [FILE]: ARGS_PY } });
});

after(async () => {
  await wb?.dispose();
  rmSync(emptyWorkspace, { recursive: true, force: true });
});

// ---- helpers ----------------------------------------------------------------------------------

/** Polls `get` until `ok` holds; the error names the last value. */
async function waitUntil<T>(what: string, get: () => Promise<T> | T, ok: (v: T) => boolean, timeout = TIMEOUTS.ui, every = 250): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T | undefined;
  for (;;) {
    try {
      last = await get();
    } catch {
      // not there yet
    }
    if (last !== undefined && ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeout / 1000}s; last: ${JSON.stringify(last)}`);
    await sleep(every);
  }
}

/** The session's pipelines, oldest first. */
function metas(): PipelineMeta[] {
  return new PipelineStore(wb.storeDir).list().sort((a, b) => a.createdAt - b.createdAt);
}

function runsOf(name: string, args: string[] = []): PipelineMeta[] {
  return metas().filter((m) => m.name === name && JSON.stringify(m.args ?? []) === JSON.stringify(args));
}

/** Waits for the `count`-th run of `name` with these arguments; returns it. */
async function waitForRun(name: string, args: string[], count = 1): Promise<PipelineMeta> {
  const found = await waitUntil(`run ${count} of ${name}(${args.join(' ')}) in the store (runs: ${metas().map((m) => `${m.name}${JSON.stringify(m.args ?? [])}`).join(', ')})`, () => runsOf(name, args), (l) => l.length >= count, TIMEOUTS.run);
  return found[count - 1]!;
}

/** A node's log, through the CLI, once it holds `text`. */
async function waitForLog(id: string, nodePath: string, text: string): Promise<string> {
  const cli = path.join(REPO, 'dist', 'cli.js');
  const run = (...args: string[]) => execFileSync(process.execPath, [cli, ...args, '--store', wb.storeDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    return await waitUntil(`the log of ${id} ${nodePath} saying "${text}"`, () => run('logs', id, nodePath), (log) => log.includes(text), TIMEOUTS.run, 500);
  } catch (err) {
    // Say what became of the node (an engine failure reads differently from a wrong argument).
    const shown = (() => {
      try {
        return run('show', id, '--json');
      } catch (e) {
        return String(e);
      }
    })();
    throw new Error(`${(err as Error).message}\npipewright show ${id}: ${shown.slice(0, 4000)}`, { cause: err });
  }
}

/** Moves the cursor of the active editor to a line (Go to Line, Ctrl+G). */
async function goToLine(line: number): Promise<void> {
  const page = wb.page;
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`:${line}`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden' });
  await page.locator('.statusbar-item', { hasText: new RegExp(`Ln ${line}, Col`) }).first().waitFor();
}

/**
 * Runs a palette command that opens an input of its own (the harness's runCommand waits for the
 * palette to close, which it does not): waits for the palette's input to turn into another one.
 */
async function runCommandAsking(title: string): Promise<void> {
  const page = wb.page;
  await wb.dismissOverlays();
  await page.keyboard.press('F1');
  const input = inputBox();
  await input.waitFor({ state: 'visible' });
  const palette = await input.getAttribute('aria-label');
  await input.fill(`>${title}`);
  const row = quickInput().locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exactText(title) }) });
  await row.first().waitFor();
  await row.first().click();
  await waitUntil(`"${title}" asking`, () => input.getAttribute('aria-label'), (label) => label !== palette);
}

/** The names of the open QuickPick's items (not their details). */
async function pickNames(): Promise<string[]> {
  const rows = quickInput().locator('.monaco-list-row');
  await rows.first().waitFor();
  return rows.evaluateAll((els) => els.map((el) => (el.querySelector('.label-name')?.textContent ?? '').trim()));
}

const quickInput = () => wb.page.locator('.quick-input-widget');
const inputBox = () => wb.page.locator('.quick-input-widget .quick-input-box input');

/** The open input box's title and value. */
async function inputState(): Promise<{ title: string; value: string }> {
  await inputBox().waitFor({ state: 'visible' });
  const title = ((await quickInput().locator('.quick-input-title').textContent()) ?? '').trim();
  return { title, value: await inputBox().inputValue() };
}

/** Waits for the input box titled `title`, checks its prefill, types `value` and presses Enter. */
async function answer(title: string, prefill: string, value: string): Promise<void> {
  const state = await waitUntil(`an input box "${title}"`, inputState, (s) => s.title === title);
  assert.equal(state.value, prefill, `"${title}" is prefilled`);
  await inputBox().fill(value);
  await wb.page.keyboard.press('Enter');
  // Accepted: the box closes, or the next one (another title) takes its place.
  const shownTitle = async () => ((await inputBox().isVisible()) ? ((await quickInput().locator('.quick-input-title').textContent()) ?? '').trim() : '');
  await waitUntil(`"${title}" accepted`, shownTitle, (t) => t !== title);
}

/** The run row's tooltip (hovering it). */
async function runTooltip(id: string): Promise<string> {
  const row = await wb.treeItem(id, { under: [RUNS] });
  const hover = wb.page.locator('.monaco-hover, .workbench-hover').filter({ hasText: id }).first();
  for (let attempt = 0; ; attempt++) {
    await wb.page.mouse.move(700, 300);
    await row.hover();
    if (await hover.waitFor({ timeout: 5000 }).then(() => true, () => false)) break;
    assert.ok(attempt < 4, 'no tooltip after hovering the run row five times');
  }
  const text = await hover.innerText();
  await wb.page.mouse.move(700, 300);
  return text;
}

/** The frame holding the pipeline panel's DOM. */
async function panel(): Promise<Frame> {
  return waitUntil(
    'the pipeline panel',
    async () => {
      for (const f of wb.page.frames()) if (!f.isDetached() && (await f.locator('#root .header').count().catch(() => 0))) return f;
      return undefined as unknown as Frame;
    },
    (f) => f !== undefined,
  );
}

// ---- tests ------------------------------------------------------------------------------------

test('the palette runs the function under the cursor, asking for its required int (checked), and the run gets it', async () => {
  await wb.step('ask-and-run', async () => {
    await wb.openFile(FILE);
    await wb.codeLens('▶ Run pipeline').first().waitFor({ timeout: TIMEOUTS.activation });
    await goToLine(COMPUTE_LINE);
    await runCommandAsking('Pipewright: Run Pipeline');
    const state = await waitUntil('the input box for n', inputState, (s) => s.title === 'Run compute: argument 1 of 1');
    assert.equal(state.value, '', 'n has no default and was never given: empty');
    assert.match(await quickInput().innerText(), /n \(int, required\)/);
    // A value that is no int is refused in the box, with why.
    await inputBox().fill('seven');
    await quickInput().locator('.quick-input-message', { hasText: 'n must be a whole number (int), e.g. 42' }).waitFor();
    await wb.screenshot('invalid-int');
    await inputBox().fill('7');
    await wb.page.keyboard.press('Enter');

    const run = await waitForRun('compute', ['--n=7']);
    await waitForLog(run.id, '/square', 'square of 7 is 49');
    await wb.waitForDescription('square', /^done\b/, { under: [RUNS, run.id], timeout: TIMEOUTS.run });
    assert.match(await runTooltip(run.id), /compute\(n=7\)/);
    await wb.screenshot('tooltip');

    // The panel says which arguments the run had; its Rerun makes a new run with them.
    await wb.treeItemContextMenu(run.id, 'Open Pipeline Panel', { under: [RUNS] });
    const f = await panel();
    await f.locator('.header .args', { hasText: exactText('(n=7)') }).waitFor();
    await wb.screenshot('panel-arguments');
    await f.locator('.header vscode-button', { hasText: exactText('Rerun') }).click();
    const again = await waitForRun('compute', ['--n=7'], 2);
    await waitForLog(again.id, '/square', 'square of 7 is 49');
    // Back to the definition: keys typed while the panel's webview has the focus stay in it.
    await wb.page.locator('.tabs-container .tab', { hasText: FILE }).first().click();
  });
});

test('the next run is prefilled with the value used last; a run row reruns with the same arguments', async () => {
  await wb.step('prefilled', async () => {
    await wb.openFile(FILE);
    await goToLine(COMPUTE_LINE);
    await runCommandAsking('Pipewright: Run Pipeline');
    await answer('Run compute: argument 1 of 1', '7', '8');
    const run = await waitForRun('compute', ['--n=8']);
    await waitForLog(run.id, '/square', 'square of 8 is 64');

    await wb.treeItemContextMenu(run.id, 'Rerun with Same Arguments', { under: [RUNS] });
    const again = await waitForRun('compute', ['--n=8'], 2);
    await waitForLog(again.id, '/square', 'square of 8 is 64');
  });
});

test('with the cursor in a function without parameters it runs at once; outside every function it asks which', async () => {
  await wb.step('cursor', async () => {
    await wb.openFile(FILE);
    await goToLine(PLAIN_LINE);
    await wb.runCommand('Pipewright: Run Pipeline');
    const run = await waitForRun('plain', []);
    await waitForLog(run.id, '/only', 'plain ran');

    await goToLine(1);
    await runCommandAsking('Pipewright: Run Pipeline');
    // The co.main default first, then in file order.
    assert.deepEqual(await pickNames(), ['plain', 'greet', 'compute']);
    await wb.screenshot('which-pipeline');
    await wb.page.keyboard.press('Escape');
    await sleep(1000);
    assert.equal(runsOf('plain').length, 1, 'Escape runs nothing');
  });
});

test('the keyboard: a function selected in the Pipelines view runs with ctrl+enter, asking for its arguments', async () => {
  await wb.step('keyboard', async () => {
    const row = await wb.treeItem('greet', { under: [FILE] });
    await row.click(); // selects it (and opens its definition: the editor takes the focus)
    await wb.runCommand('Pipewright: Focus on Pipelines View');
    await waitUntil('the Pipelines view focused on greet', () => wb.page.evaluate(() => document.activeElement?.closest('.monaco-list')?.querySelector('.monaco-list-row.focused .label-name')?.textContent ?? ''), (t) => t === 'greet');
    await wb.page.keyboard.press('Control+Enter');
    await answer('Run greet: argument 1 of 2', '', 'Ada');
    await answer('Run greet: argument 2 of 2', '2', '2');
    const run = await waitForRun('greet', ['--name=Ada', '--times=2']);
    await waitForLog(run.id, '/hello', 'hello Ada x2');
    // The function's row shows its latest run with the arguments.
    await wb.waitForDescription('greet', (d) => d.includes(`${run.id} · `) && d.includes('name=Ada, times=2'), { under: [FILE], timeout: TIMEOUTS.run });
    await wb.screenshot('keyboard-run');
  });
});

test("a function row's context menu: Run Pipeline, and Run Pipeline with Arguments… taking a command line", async () => {
  await wb.step('context-menu', async () => {
    const row = await wb.treeItem('greet', { under: [FILE] });
    await row.click({ button: 'right' });
    const entries = await wb.contextMenuEntries();
    await wb.page.keyboard.press('Escape');
    for (const entry of ['Run Pipeline', 'Run Pipeline with Arguments…']) assert.ok(entries.includes(entry), `"${entry}" in ${JSON.stringify(entries)}`);

    await wb.treeItemContextMenu('greet', 'Run Pipeline with Arguments…', { under: [FILE] });
    // Prefilled with the values last given, as a command line.
    await answer('Run greet with arguments', '--name=Ada --times=2', `--name='Grace Hopper' --times=3`);
    const run = await waitForRun('greet', ['--name=Grace Hopper', '--times=3']);
    await waitForLog(run.id, '/hello', 'hello Grace Hopper x3');
  });
});
