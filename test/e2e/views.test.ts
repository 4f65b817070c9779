// The Pipelines view and the panel tell the truth (issue 13, "The sidebar and panel tell the
// truth"), in a real VS Code (code-server) with the packaged extension:
// - the Runs list holds this workspace's runs only: a workspace with no definition and only another
//   workspace's run shows the welcome text, which offers "Show Runs of All Workspaces";
// - after a run, the definition's tree follows edits: a node renamed in the editor shows its new
//   name under the pipeline function without another run;
// - a stored run (finished by the CLI, held by no runner) opens in the Runs list with its nodes,
//   read from the store; a node's control opens it in the runner service;
// - a click on a run's node in the sidebar opens the panel on that node's details;
// - the Logs tab follows a new execution of the node after an older one was picked in the Timeline,
//   unless pinned, and says which execution it shows; the whole log opens in a tab named
//   "test · eN" (node and execution).
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { exactText, REPO, sleep, TIMEOUTS, Workbench } from './harness';

const RUNS = 'Runs';
const ANY_RUN = /./;

/** The workspace's definition, written once the welcome text has been seen. `test` sleeps so a rerun is seen running. */
const VIEWS_PY = `# A two-node pipeline (made by test/e2e/views.test.ts).
import conducto as co


def run():
    pipeline = co.Serial()
    pipeline["build"] = co.Exec("echo building")
    pipeline["test"] = co.Exec("echo testing at $(date +%s%N); sleep 4")
    return pipeline


if __name__ == "__main__":
    co.main(default=run)
`;
/** Line of the "test" node in VIEWS_PY (1-based). */
const TEST_LINE = 8;

/** Another workspace's definition: its run must not be listed here unless asked for. */
const OTHER_PY = `import conducto as co


def other():
    return co.Exec("echo elsewhere")


if __name__ == "__main__":
    co.main(default=other)
`;

let wb: Workbench;
let emptyWorkspace: string;
let otherRunId: string;

before(async () => {
  // A workspace with no pipeline definition (the welcome text's case).
  emptyWorkspace = mkdtempSync(path.join(os.tmpdir(), 'pipewright-views-ws-'));
  writeFileSync(path.join(emptyWorkspace, 'notes.txt'), 'no pipelines here yet\n');
  wb = await Workbench.start({ name: 'views', workspace: emptyWorkspace });
});

after(async () => {
  await wb?.dispose();
  if (emptyWorkspace) rmSync(emptyWorkspace, { recursive: true, force: true });
});

/** Polls `get` until `ok` holds; the error names the last value. */
async function waitUntil<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeout = TIMEOUTS.ui, every = 200): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T | undefined;
  for (;;) {
    last = await get().catch(() => last);
    if (last !== undefined && ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeout / 1000}s; last: ${JSON.stringify(last)}`);
    await sleep(every);
  }
}

/** The frame holding the pipeline panel's DOM. */
function panel(timeout = TIMEOUTS.ui): Promise<Frame> {
  return wb.panelFrame(timeout);
}

async function openTab(name: 'Details' | 'Logs' | 'Timeline'): Promise<Frame> {
  const f = await panel();
  await f.locator(`#tab-${name.toLowerCase()}`).click();
  await f.locator(`#tab-${name.toLowerCase()}[aria-selected="true"]`).waitFor();
  return f;
}

/** The Logs tab's heading: "/test · execution e3 · running · 2 of 2". */
async function logHeading(): Promise<string> {
  return ((await (await panel()).locator('.logs .log-heading-text').textContent({ timeout: 2000 })) ?? '').trim();
}
const executionOf = (heading: string) => /execution (\S+)/.exec(heading)?.[1] ?? '';

/** The welcome text of the Pipelines view (empty when the tree shows instead). */
async function welcomeText(): Promise<string> {
  const pane = await wb.view();
  const welcome = pane.locator('.welcome-view-content');
  if (!(await welcome.isVisible().catch(() => false))) return '';
  return (await welcome.innerText()).replace(/\s+/g, ' ');
}

test('the Runs list is this workspace’s: another workspace’s run leaves the welcome text, and shows on request', async () => {
  await wb.step('welcome-and-scope', async () => {
    // A run of a definition outside this workspace, in the same store (the CLI, as from another window).
    const elsewhere = path.join(wb.root, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(path.join(elsewhere, 'other.py'), OTHER_PY);
    const out = execFileSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), 'run', path.join(elsewhere, 'other.py'), '--pending', '--store', wb.storeDir], { encoding: 'utf8', env: { ...process.env, PIPEWRIGHT_HOME: wb.storeDir } });
    otherRunId = /pipeline (\S+) created/.exec(out)?.[1] ?? '';
    assert.ok(otherRunId, `the CLI made a pipeline: ${out}`);

    await wb.view();
    await wb.runCommand('Pipewright: Refresh');
    const text = await waitUntil('the welcome text', welcomeText, (t) => /Runs of other workspaces are not listed here/.test(t));
    assert.match(text, /No pipeline definitions yet/);
    await wb.screenshot('welcome');

    // Its button lists them: the Runs group, saying so, with the other workspace's run.
    await (await wb.view()).locator('.welcome-view-content .monaco-button', { hasText: 'Show Runs of All Workspaces' }).click();
    await wb.treeItem(otherRunId, { under: [RUNS] });
    assert.equal(await wb.treeItemDescription(RUNS), 'all workspaces');
    await wb.screenshot('all-workspaces');

    // And back: this workspace's runs only (none), the welcome text again.
    await wb.runCommand('Pipewright: Show Runs of This Workspace');
    await waitUntil('the welcome text again', welcomeText, (t) => /Runs of other workspaces are not listed here/.test(t));
  });
});

/** A run made elsewhere and finished by the CLI: it is stored, no runner holds it. */
const STORED_PY = `import conducto as co


def finished():
    root = co.Serial()
    root["fine"] = co.Exec("echo fine")
    root["broken"] = co.Exec("sleep 3; exit 3")
    return root


if __name__ == "__main__":
    co.main(default=finished)
`;

/** The stored run `id` under Runs: expanded, its nodes; a node's control makes it live. */
async function storedRunOpens(id: string): Promise<void> {
  await wb.waitForDescription(id, /· stored ·/, { under: [RUNS] });
  // Expanding the stored run reads it: its nodes with the states they ended in.
  await wb.waitForDescription('fine', /^done\b/, { under: [RUNS, id] });
  await wb.waitForDescription('broken', /^error\b.*3/, { under: [RUNS, id] });
  await wb.screenshot('stored-run-open');

  // Its node's Run / Reset opens the run in the runner service, which runs the node again.
  const seen = await wb.watchDescriptions();
  await wb.treeItemContextMenu('broken', 'Run / Reset', { under: [RUNS, id] });
  await wb.waitForDescription(id, (d) => !/· stored ·/.test(d), { under: [RUNS], timeout: TIMEOUTS.run });
  await waitUntil('the node running again', () => seen.history('broken', [RUNS, id]), (h) => h.some((d) => /^(queued|running)\b/.test(d)), TIMEOUTS.run);
  await wb.waitForDescription('broken', /^error\b/, { under: [RUNS, id], timeout: TIMEOUTS.run });
  await seen.stop();
}

test('a stored run opens in the Runs list with its nodes, read from the store; a node control opens it in the runner service', async () => {
  await wb.step('stored-run', async () => {
    const elsewhere = path.join(wb.root, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(path.join(elsewhere, 'stored.py'), STORED_PY);
    // Run to its end by the CLI in its own process (no runner service): it ends in error.
    const cli = spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), 'run', path.join(elsewhere, 'stored.py'), '--store', wb.storeDir], {
      encoding: 'utf8',
      env: { ...process.env, PIPEWRIGHT_HOME: wb.storeDir, PIPEWRIGHT_SERVICE: 'off', PIPEWRIGHT_DEFAULT_IMAGE: 'pipewright/python:latest' },
      timeout: TIMEOUTS.run,
    });
    const id = /^pipeline (\S+)/m.exec(cli.stdout)?.[1] ?? '';
    assert.ok(id && cli.status !== 0, `the CLI ran the pipeline to its error: ${cli.status} ${cli.stdout} ${cli.stderr}`);

    await wb.runCommand('Pipewright: Refresh');
    await wb.runCommand('Pipewright: Show Runs of All Workspaces');
    try {
      await storedRunOpens(id);
    } finally {
      await wb.runCommand('Pipewright: Show Runs of This Workspace');
    }
  });
});

test('after a run, renaming a node in the editor renames it in the sidebar; the run lists alone under Runs', async () => {
  await wb.step('definition-follows-edits', async () => {
    writeFileSync(path.join(wb.workspace, 'views.py'), VIEWS_PY);
    await wb.treeItem('views.py', { timeout: TIMEOUTS.activation });
    await wb.openFile('views.py');
    await wb.clickCodeLens('▶ Run pipeline');
    await wb.waitForDescription('test', /^done\b/, { under: [RUNS, ANY_RUN], timeout: TIMEOUTS.run });
    await wb.waitForDescription('test', /^done\b/, { under: ['views.py', 'run'] });

    // Rename "test" to "unit_test" in the editor and save.
    const editor = wb.editor('views.py');
    await editor.locator('.view-lines').click();
    await wb.page.keyboard.press('Control+G');
    await wb.page.keyboard.insertText(String(TEST_LINE));
    await wb.page.keyboard.press('Enter');
    await wb.page.keyboard.press('End');
    await wb.page.keyboard.press('Shift+Home');
    await wb.page.keyboard.insertText('pipeline["unit_test"] = co.Exec("echo testing at $(date +%s%N); sleep 4")');
    await wb.page.keyboard.press('Control+S');
    await editor.locator('.view-line', { hasText: 'pipeline["unit_test"]' }).waitFor();

    // The pipeline function's tree follows: the new name (not run yet: its command shows), build still done.
    await wb.treeItem('unit_test', { under: ['views.py', 'run'], timeout: TIMEOUTS.activation });
    assert.match(await wb.treeItemDescription('unit_test', { under: ['views.py', 'run'] }), /^echo testing/);
    assert.match(await wb.treeItemDescription('build', { under: ['views.py', 'run'] }), /^done\b/);
    await wb.screenshot('renamed');
    // Runs lists this workspace's run, not the other one.
    const rows = await wb.treeRows();
    assert.ok(!rows.some((r) => r.label === otherRunId), `the other workspace's run is not listed: ${JSON.stringify(rows.map((r) => r.label))}`);
  });
});

test('a click on a run’s node in the sidebar opens the panel on its details', async () => {
  await wb.step('click-opens-details', async () => {
    const row = await wb.treeItem('build', { under: [RUNS, ANY_RUN] });
    await row.locator('.label-name').click();
    const f = await panel();
    await f.locator('.details .details-title .path', { hasText: exactText('/build') }).waitFor();
    await f.locator('.tree .tree-row.selected[data-path="/build"]').waitFor();
    await wb.screenshot('details-from-click');
  });
});

test('the Logs tab follows a new execution after an older one was picked, unless pinned, and says which it shows', async () => {
  await wb.step('logs-follow', async () => {
    // The run's panel (already open from the click above; opened here too so this test stands alone).
    await wb.treeItemContextMenu(ANY_RUN, 'Open Pipeline Panel', { under: [RUNS] });
    let f = await panel();
    await f.locator('.tree .tree-row[data-path="/test"] .label').click();
    await f.locator('.details .details-title .path', { hasText: exactText('/test') }).waitFor();
    await openTab('Logs');
    const first = await waitUntil('the heading of the first execution', logHeading, (h) => /^\/test · execution \S+ · exit 0$/.test(h));
    const e1 = executionOf(first);

    // A second execution, to have an older one to pick.
    await wb.treeItemContextMenu('test', 'Run / Reset', { under: [RUNS, ANY_RUN] });
    const second = await waitUntil('the second execution in the heading, ended', logHeading, (h) => executionOf(h) !== e1 && /· exit 0 · 2 of 2$/.test(h), TIMEOUTS.run);
    const e2 = executionOf(second);

    // Pick the first in the Timeline: the Logs tab shows it, and says the latest is another.
    f = await openTab('Timeline');
    const rows = f.locator('.timeline .history .history-table tbody tr');
    await waitUntil('two executions in the history', () => rows.count(), (c) => c === 2);
    await rows.nth(0).locator('td').nth(1).click();
    await openTab('Logs');
    const older = await waitUntil('the older execution in the heading', logHeading, (h) => executionOf(h) === e1);
    assert.match(older, new RegExp(`latest: ${e2} · exit 0$`));
    await wb.screenshot('logs-older');

    // The node runs again: the Logs tab moves to the new execution while it runs.
    await wb.treeItemContextMenu('test', 'Run / Reset', { under: [RUNS, ANY_RUN] });
    const third = await waitUntil('the new execution in the heading, running', logHeading, (h) => ![e1, e2].includes(executionOf(h)) && /· running · 3 of 3$/.test(h), TIMEOUTS.run);
    const e3 = executionOf(third);
    await (await panel()).locator('.logs .xterm-rows', { hasText: 'testing at' }).waitFor();
    await wb.screenshot('logs-follow-new');

    // Pinned, it stays when the node runs once more.
    await waitUntil('the third execution ended', logHeading, (h) => executionOf(h) === e3 && /exit 0/.test(h), TIMEOUTS.run);
    await (await panel()).locator('.logs .log-heading .pin-execution').click();
    await waitUntil('the heading says pinned', logHeading, (h) => /· pinned$/.test(h));
    await wb.treeItemContextMenu('test', 'Run / Reset', { under: [RUNS, ANY_RUN] });
    const pinned = await waitUntil('a fourth execution started, the pinned one still shown', logHeading, (h) => / of 4 · pinned · latest: /.test(h), TIMEOUTS.run);
    assert.equal(executionOf(pinned), e3, pinned);
    await wb.screenshot('logs-pinned');

    // The whole log opens in an editor tab named by node and execution.
    await (await panel()).locator('.log-toolbar [aria-label="Open the whole log in an editor"]').click();
    const tab = wb.page.locator('.tabs-container .tab .label-name', { hasText: exactText(`test · ${e3}`) });
    await tab.first().waitFor();
    await wb.page.locator('.editor-instance .monaco-editor .view-line', { hasText: 'testing at' }).first().waitFor();
    await wb.screenshot('log-tab');
  });
});
