// Notifications and debugging in a real VS Code (code-server) with the packaged extension: "Open
// Shell" on a running node opens a terminal inside its container, where a typed command runs (it
// releases the node, which prints what the shell wrote); when the run then fails, a notification
// says so with "Show" and "Show Logs", and the status bar keeps the result; "Debug Node" on the
// failed node opens a terminal in a fresh container where its command (in /tmp/pipewright-debug.sh)
// runs again, leaving its exit status in the pipeline's shared data; the status bar's result opens
// the panel, whose node details open the same debug terminal.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { PipelineSpace } from '../../runner/store/pipelineSpace';
import { exactText, sleep, TIMEOUTS, Workbench } from './harness';

const RUNS = 'Runs';
const ANY_RUN = /./;

const DEBUG_ME_PY = `# A node that waits for a file a shell leaves, then one that fails (made by test/e2e/debug.test.ts).
import conducto as co


def run():
    pipeline = co.Serial(stop_on_error=False)
    pipeline["wait"] = co.Exec("echo waiting; while [ ! -e /tmp/released ]; do sleep 0.2; done; cat /tmp/released")
    pipeline["fail"] = co.Exec("echo failing >&2; exit 2", env={"WHY": "on purpose"})
    return pipeline


if __name__ == "__main__":
    co.main(default=run)
`;

let wb: Workbench;

before(async () => {
  // The DOM renderer: the terminal's rows are text the test can read.
  wb = await Workbench.start({ name: 'debug', files: { 'debug_me.py': DEBUG_ME_PY }, settings: { 'terminal.integrated.gpuAcceleration': 'off', 'pipewright.notifications': 'all' } });
});

after(async () => {
  await wb?.dispose();
});

/** The one pipeline of the session's store. */
function runId(): string {
  const ids = readdirSync(path.join(wb.storeDir, 'pipelines'));
  assert.equal(ids.length, 1, `one pipeline in the store: ${ids.join(', ')}`);
  return ids[0]!;
}

/** Polls `get` until `ok` holds; the error names the last value. */
async function waitUntil<T>(what: string, get: () => Promise<T> | T, ok: (v: T) => boolean, timeout = TIMEOUTS.ui): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T | undefined;
  for (;;) {
    last = await Promise.resolve()
      .then(get)
      .catch(() => last);
    if (last !== undefined && ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeout / 1000}s; last: ${JSON.stringify(last)}`);
    await sleep(250);
  }
}

/** The text of the terminal shown now (the DOM renderer's rows). */
async function terminalText(): Promise<string> {
  const text = await wb.page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('.terminal-wrapper.active .xterm-rows, .integrated-terminal .xterm-rows'))
      .filter((rows) => rows.offsetParent !== null)
      .map((rows) => rows.innerText)
      .join('\n'),
  );
  return text.replace(/\u00a0/g, ' ');
}

/** Types a line into the focused terminal. */
async function typeLine(line: string): Promise<void> {
  // The terminal shown now: the others are in the DOM too, hidden. Which one is shown can change
  // between looking and clicking (a new terminal taking the view): then look again.
  const terminals = wb.page.locator('.integrated-terminal .xterm');
  const until = Date.now() + TIMEOUTS.ui;
  for (let clicked = false; !clicked; ) {
    for (let i = (await terminals.count()) - 1; i >= 0 && !clicked; i--) {
      if (!(await terminals.nth(i).isVisible())) continue;
      clicked = await terminals
        .nth(i)
        .click({ timeout: 2000 })
        .then(() => true, () => false);
    }
    if (!clicked && Date.now() > until) throw new Error('no terminal shown to type into');
  }
  await wb.page.keyboard.type(line, { delay: 10 });
  await wb.page.keyboard.press('Enter');
}

test('Open Shell on a running node: a terminal inside its container runs a typed command', async () => {
  await wb.step('open-shell', async () => {
    await wb.openFile('debug_me.py');
    await wb.clickCodeLens('▶ Run pipeline');
    await wb.waitForDescription('wait', 'running', { under: [RUNS, ANY_RUN], timeout: TIMEOUTS.run });
    await wb.treeItemContextMenu('wait', 'Open Shell', { under: [RUNS, ANY_RUN] });
    await wb.page.locator('.terminal-tab, .single-terminal-tab', { hasText: /Shell \/wait/ }).first().waitFor({ timeout: TIMEOUTS.ui }).catch(() => undefined);
    await waitUntil('the shell greeting in the terminal', terminalText, (t) => /shell in \/wait's running container/.test(t) && /[#$]\s*$/.test(t));
    await wb.screenshot('shell-open');
    // Only inside the node's container does /tmp/released reach the node.
    await typeLine('echo "released by $PIPEWRIGHT_NODE_PATH shell" > /tmp/released');
    await wb.waitForDescription('wait', 'done', { under: [RUNS, ANY_RUN], timeout: TIMEOUTS.run });
    // Through the store's own reader: a small log of an ended execution is packed, not a file of its own.
    const space = new PipelineSpace(path.join(wb.storeDir, 'pipelines', runId()));
    const texts = Array.from({ length: 20 }, (_, i) => space.log(`e${i + 1}`).bytes().toString('utf8')).filter(Boolean);
    assert.ok(texts.some((t) => t.includes('released by /wait shell')), `the node printed what the shell wrote: ${JSON.stringify(texts)}`);
  });
});

test('the run fails: a notification with Show and Show Logs; the status bar keeps the result', async () => {
  await wb.step('notification', async () => {
    const toast = wb.page.locator('.notifications-toasts .notification-list-item', { hasText: /Pipeline \S+ \(\S+\) failed \(1 error\) after .*: \/fail\./ });
    await toast.first().waitFor({ timeout: TIMEOUTS.run });
    await wb.screenshot('failed-notification');
    const buttons = (await toast.first().locator('.monaco-button').allTextContents()).map((b) => b.trim());
    assert.deepEqual(buttons.filter((b) => b === 'Show' || b === 'Show Logs'), ['Show', 'Show Logs'], `buttons: ${buttons.join(' | ')}`);
    const status = wb.page.locator('.part.statusbar .statusbar-item', { hasText: /✗ .+: 1 error/ });
    await status.first().waitFor({ timeout: TIMEOUTS.ui });
    await toast.first().locator('.monaco-button', { hasText: exactText('Show Logs') }).click();
    // The failed node's log opens in an editor tab named by node and execution.
    await wb.page.locator('.tabs-container .tab', { hasText: /fail · e\d+/ }).first().waitFor({ timeout: TIMEOUTS.ui });
    await wb.screenshot('status-bar-result');
    assert.ok(await status.first().isVisible(), 'the status bar still shows the last result');
    // The shell that went with its node ended quietly: no "terminal process terminated with exit code" error.
    const log = await wb.notificationLog();
    assert.ok(!log.some((m) => /terminal process .* terminated with exit code/.test(m)), `notifications: ${log.join(' | ')}`);
    await wb.runCommand('Notifications: Hide Notifications');
  });
});

test('Debug Node on the failed node: a fresh container where its command runs again', async () => {
  await wb.step('debug-node', async () => {
    await wb.treeItemContextMenu('fail', 'Debug Node', { under: [RUNS, ANY_RUN] });
    await waitUntil('the debug greeting in the terminal', terminalText, (t) => /debugging \/fail .*in a fresh container/.test(t) && /[#$]\s*$/.test(t));
    await wb.screenshot('debug-open');
    await typeLine('bash /tmp/pipewright-debug.sh; echo "exit $? why $WHY" > /pipewright/data/debug-result');
    const file = path.join(wb.storeDir, 'pipelines', runId(), 'data', 'debug-result');
    const result = await waitUntil('the debug container writing the shared data', () => (existsSync(file) ? readFileSync(file, 'utf8') : ''), (t) => t.length > 0);
    assert.equal(result, 'exit 2 why on purpose\n');
    await waitUntil('the node\'s output in the terminal', terminalText, (t) => t.includes('failing'));
  });
});

/** The frame holding the pipeline panel's DOM. */
function panel(timeout = TIMEOUTS.ui): Promise<Frame> {
  return wb.panelFrame(timeout);
}

test('the status bar\'s result opens the panel; its node details: Debug opens the same terminal; no Open Shell on a node that is not running', async () => {
  await wb.step('panel-debug', async () => {
    // The status bar's result opens the run's panel.
    await wb.page.locator('.part.statusbar .statusbar-item', { hasText: /✗ .+: 1 error/ }).first().click();
    const f = await panel();
    await f.locator('.tree .tree-row[data-path="/fail"] .label').click();
    await f.locator('.details .details-title .path', { hasText: exactText('/fail') }).waitFor();
    const actions = f.locator('.details-actions');
    await actions.locator('vscode-button', { hasText: exactText('Debug') }).waitFor();
    assert.equal(await actions.locator('vscode-button', { hasText: exactText('Open Shell') }).count(), 0, 'no shell into a node that is not running');
    await wb.screenshot('panel-details');
    await actions.locator('vscode-button', { hasText: exactText('Debug') }).click();
    await waitUntil('a second debug terminal', terminalText, (t) => /debugging \/fail .*in a fresh container/.test(t) && /[#$]\s*$/.test(t) && !t.includes('exit 2 why'));
    await typeLine('echo "from the panel: $PIPEWRIGHT_NODE_PATH" > /pipewright/data/from-panel');
    const file = path.join(wb.storeDir, 'pipelines', runId(), 'data', 'from-panel');
    assert.equal(await waitUntil('the panel\'s debug container writing the shared data', () => (existsSync(file) ? readFileSync(file, 'utf8') : ''), (t) => t.length > 0), 'from the panel: /fail\n');
  });
});
