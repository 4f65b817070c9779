// The pipeline panel end to end, in a real VS Code (code-server) with the packaged extension:
// open the panel of a running pipeline, watch a node's log stream live, edit the node's command and
// cpu in the param editor, Apply & Run, see both executions in its Timeline history with the
// command diff (as run → now, and the comparison of the two), and screenshot the panel in a light, a
// dark and a high-contrast theme (test-artifacts/e2e/panel-light.png, panel-dark.png,
// panel-high-contrast.png, panel-high-contrast-logs.png, panel-high-contrast-details.png).
//
// The panel is a webview: code-server nests it in two iframes (index.html?id=… → fake.html). The
// tests find the frame holding the panel's DOM (#root .tree-pane) and drive it as a user would.
import { strict as assert } from 'node:assert';
import { mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Frame, Locator } from 'playwright-core';
import { ARTIFACTS, exactText, sleep, TIMEOUTS, Workbench } from './harness';

const RUNS = 'Runs';
const ANY_RUN = /./;

/** Lines the printing node writes, one every 0.3 s (≈ 24 s: time to open the panel while it runs). */
const TICKS = 80;
const FIRST_COMMAND = `for i in $(seq 1 ${TICKS}); do echo tick $i; sleep 0.3; done`;
/** Prints the container's cpu quota (cgroup v2, else v1): the new cpu must reach Docker. */
const SECOND_COMMAND = 'echo rerun with more cores; cat /sys/fs/cgroup/cpu.max 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us';
const NEW_CPU = 2;
/** The quota in µs per 100 ms period the executor gives NEW_CPU cores (clamped to the machine's). */
const NEW_QUOTA = Math.min(NEW_CPU, os.availableParallelism()) * 100_000;
const SLOW_LOGS_PY = `# A node printing a line every 0.3 s, then a short one (made by test/e2e/panel.test.ts).
import conducto as co


def run():
    pipeline = co.Serial()
    pipeline["printer"] = co.Exec("${FIRST_COMMAND}")
    pipeline["after"] = co.Exec("echo after")
    return pipeline


if __name__ == "__main__":
    co.main(default=run)
`;

let wb: Workbench;

before(async () => {
  // Start dark, whatever code-server's default theme is; the last test goes light, then dark again.
  wb = await Workbench.start({ name: 'panel', files: { 'slow_logs.py': SLOW_LOGS_PY }, settings: { 'workbench.colorTheme': 'Dark Modern' } });
});

after(async () => {
  await wb?.dispose();
});

// ---- the panel's frame ------------------------------------------------------------------------

/** The frame holding the pipeline panel's DOM. */
function panel(timeout = TIMEOUTS.ui): Promise<Frame> {
  return wb.panelFrame(timeout);
}

/** The panel tree's row of a node path. */
async function treeRow(nodePath: string): Promise<Locator> {
  return (await panel()).locator(`.tree .tree-row[data-path="${nodePath}"]`);
}

async function rowDescription(nodePath: string): Promise<string> {
  return ((await (await treeRow(nodePath)).locator('.desc').textContent({ timeout: 5000 }).catch(() => '')) ?? '').trim();
}

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

async function openTab(name: 'Details' | 'Logs' | 'Timeline'): Promise<Frame> {
  const f = await panel();
  const tab = f.locator(`#tab-${name.toLowerCase()}`);
  await tab.click();
  await f.locator(`#tab-${name.toLowerCase()}[aria-selected="true"]`).waitFor();
  return f;
}

/** The text the log terminal shows now (its rendered rows). */
async function visibleLog(): Promise<string> {
  // Only rows that are laid out (a hidden tab's rows are not "visible"); read in one evaluation so a
  // re-created terminal cannot make the locator ambiguous between polls.
  const text = await (await panel()).evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('.logs .xterm-rows'))
      .filter((rows) => rows.offsetParent !== null)
      .map((rows) => rows.innerText)
      .join('\n'),
  );
  return text.replace(/\u00a0/g, ' ');
}

function lastTick(text: string): number {
  let n = 0;
  for (const m of text.matchAll(/\btick (\d+)\b/g)) n = Math.max(n, Number(m[1]));
  return n;
}

/**
 * Both sides of a rendered diff (`<pre class="diff">` of span.same / del.del / ins.add, in order):
 * before = same + deleted, after = same + inserted; and what was removed and added alone.
 */
async function diffSides(pre: Locator): Promise<{ before: string; after: string; removed: string[]; added: string[] }> {
  const parts = await pre.locator(':scope > *').evaluateAll((els) => els.map((e) => [e.tagName.toLowerCase(), e.textContent ?? '']));
  const side = (keep: string) => parts.filter(([t]) => t === 'span' || t === keep).map(([, x]) => x).join('');
  const only = (keep: string) => parts.filter(([t]) => t === keep).map(([, x]) => x ?? '');
  return { before: side('del'), after: side('ins'), removed: only('del'), added: only('ins') };
}

/** Picks a colour theme with "Preferences: Color Theme" and waits for the panel to follow it. */
async function colorTheme(label: string, bodyClass: 'vscode-light' | 'vscode-dark' | 'vscode-high-contrast'): Promise<void> {
  const page = wb.page;
  await wb.dismissOverlays();
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill('>Preferences: Color Theme');
  const command = page.locator('.quick-input-widget .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exactText('Preferences: Color Theme') }) });
  await command.first().click();
  // The same widget turns into the theme picker (its rows are theme names).
  const row = page.locator('.quick-input-widget .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exactText(label) }) });
  await waitUntil('the theme picker', () => input.inputValue(), (v) => !v.startsWith('>'));
  await input.fill(label);
  await row.first().click();
  await input.waitFor({ state: 'hidden' });
  await waitUntil(`the panel's body class after picking ${label}`, async () => (await (await panel()).locator('body').getAttribute('class')) ?? '', (c) => c.split(/\s+/).includes(bodyClass));
  // The terminal and canvas repaint on the next frames.
  await sleep(500);
}

/** A screenshot of the editor area (where the panel is) under a fixed name in test-artifacts/e2e/. */
async function panelShot(name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await wb.page.locator('.part.editor').screenshot({ path: file, timeout: 15_000 });
  return file;
}

// ---- tests ------------------------------------------------------------------------------------

test('the panel of a running pipeline streams the selected node’s log live', async () => {
  await wb.step('live-logs', async () => {
    await wb.openFile('slow_logs.py');
    await wb.clickCodeLens('▶ Run pipeline');
    await wb.waitForDescription('printer', 'running', { under: [RUNS, ANY_RUN], timeout: TIMEOUTS.run });

    await wb.treeItemContextMenu(ANY_RUN, 'Open Pipeline Panel', { under: [RUNS] });
    const f = await panel();
    // The header names the pipeline; its tooltip is the definition's file.
    await f.locator('.header .title[title$="slow_logs.py"]').waitFor().catch(async () => {
      throw new Error(`panel header: ${await f.locator('.header').innerHTML()}`);
    });
    await (await treeRow('/printer')).locator('.label').click();
    await f.locator('.details .details-title .path', { hasText: exactText('/printer') }).waitFor();
    await openTab('Logs');
    await f.locator('.logs .xterm-rows').waitFor();

    // Live: the terminal shows more and more ticks while the node runs, and says "live".
    const seen: number[] = [];
    let n = await waitUntil('a first tick in the log', async () => lastTick(await visibleLog()), (t) => t >= 1);
    seen.push(n);
    // The node's row in the panel's tree says how long it has run so far (as the sidebar does).
    const first = { at: Date.now(), desc: await rowDescription('/printer') };
    for (let i = 0; i < 3; i++) {
      n = await waitUntil(`the log growing past "tick ${n}" (seen ${seen.join(', ')})`, async () => lastTick(await visibleLog()), (t) => t > n, 10_000);
      seen.push(n);
      if (i === 0) {
        assert.match(await f.locator('.logs .log-status').innerText(), /live/, 'the log status says live while the node runs');
        await wb.screenshot('logs-live');
      }
    }
    assert.ok(seen[seen.length - 1]! < TICKS, `the log was watched while it grew, not after the end (ticks seen: ${seen.join(', ')})`);
    await sleep(Math.max(0, first.at + 3000 - Date.now()));
    const second = { at: Date.now(), desc: await rowDescription('/printer'), sidebar: await wb.treeItemDescription('printer', { under: [RUNS, ANY_RUN] }) };
    assert.ok(lastTick(await visibleLog()) < TICKS, 'still running at the second look');

    // The end arrives too: the last line, then "complete".
    await waitUntil('the last tick', async () => lastTick(await visibleLog()), (t) => t === TICKS, TIMEOUTS.run);
    await waitUntil('the log status "complete"', () => f.locator('.logs .log-status').innerText(), (s) => /complete/.test(s));
    const log = await visibleLog();
    for (let k = TICKS - 5; k <= TICKS; k++) assert.match(log, new RegExp(`\\btick ${k}\\b`), `tick ${k} shown once the node ended`);
    await waitUntil('/printer done', () => rowDescription('/printer'), (d) => /^exit 0\b/.test(d), TIMEOUTS.run);
    await waitUntil('/after done', () => rowDescription('/after'), (d) => /^exit 0\b/.test(d), TIMEOUTS.run);
    await wb.screenshot('logs-complete');

    // Checked last so that a failure here leaves the pipeline as the next tests expect.
    const secs = (d: string) => Number(/^running (\d+(?:\.\d+)?)s\b/.exec(d)?.[1] ?? NaN);
    const wall = (second.at - first.at) / 1000;
    assert.ok(
      secs(second.desc) - secs(first.desc) >= wall - 1.5,
      `the panel's tree shows the running time advancing: "${first.desc}" then, ${wall.toFixed(1)}s later, "${second.desc}" (the sidebar said "${second.sidebar}")`,
    );
  });
});

test('edit the node’s command and cpu, Apply & Run: it runs again with them', async () => {
  await wb.step('apply-and-run', async () => {
    const f = await openTab('Details');
    const command = f.locator('#param-command textarea');
    const cpu = f.locator('#param-cpu input');
    await command.waitFor();
    assert.equal(await command.inputValue(), FIRST_COMMAND, 'the editor shows the node’s command');
    assert.equal(await cpu.inputValue(), '1', 'the editor shows the default cpu');

    await command.fill(SECOND_COMMAND);
    await cpu.fill(String(NEW_CPU));
    await f.locator('.editor-footer', { hasText: 'Changed: command, cpu' }).waitFor();
    const apply = f.locator('.editor-footer vscode-button', { hasText: exactText('Apply & Run') });
    assert.equal(await apply.getAttribute('disabled'), null, 'Apply & Run is enabled for valid changes');
    await wb.screenshot('params-edited');
    await apply.click();

    // The second execution ends with exit 0: the row reads "exit 0 0.4s ·2×".
    const desc = await waitUntil('/printer run twice', () => rowDescription('/printer'), (d) => /^exit 0\b.*·2×$/.test(d), TIMEOUTS.run);
    assert.match(desc, /·2×$/);
    // The editor now shows the node as changed (no pending edits).
    await waitUntil('the param editor showing the new command', () => command.inputValue(), (v) => v === SECOND_COMMAND);
    assert.equal(await cpu.inputValue(), String(NEW_CPU));
    // Its log is the new command's output, run in a container with the new cpu limit.
    await openTab('Logs');
    const log = await waitUntil('the second execution’s log', () => visibleLog(), (t) => /rerun with more cores/.test(t) && !/\btick \d+/.test(t));
    assert.match(log, new RegExp(`^${NEW_QUOTA}\\b`, 'm'), `cpu quota ${NEW_QUOTA} (cpu ${NEW_CPU}) in the container: ${JSON.stringify(log)}`);
    await wb.screenshot('rerun-log');
  });
});

test('the Timeline lists both executions and the command diff', async () => {
  await wb.step('timeline', async () => {
    const f = await openTab('Timeline');
    const history = f.locator('.timeline .history');
    await history.locator('h3', { hasText: 'History of /printer' }).waitFor();
    const rows = history.locator('.history-table tbody tr');
    await waitUntil('two executions in the history', () => rows.count(), (c) => c === 2);
    const cells = await rows.evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => (td.textContent ?? '').trim())));
    // Columns: compare, #, started, took, result, peak memory, vs previous.
    assert.deepEqual(cells.map((c) => [c[1], c[4]]), [['1', 'exit 0'], ['2', 'exit 0']], JSON.stringify(cells));
    assert.match(cells[1]![6]!, /^[+−]\d/, `the second run is compared with the first: ${JSON.stringify(cells[1])}`);

    // The latest execution ran with what the node has now.
    const asRun = history.locator('.as-run');
    await asRun.locator('.subtle', { hasText: 'Command: same as now' }).waitFor();
    await asRun.locator('.subtle', { hasText: 'Params: same as now' }).waitFor();

    // Pick the first execution: its command and cpu as run, diffed against now.
    await rows.nth(0).locator('td').nth(1).click();
    await waitUntil('execution 1 picked', () => rows.nth(0).getAttribute('aria-selected'), (v) => v === 'true');
    await asRun.locator('.subtle', { hasText: 'Command: as run → now' }).waitFor();
    const asRunDiff = await diffSides(asRun.locator('pre.diff'));
    assert.deepEqual([asRunDiff.before, asRunDiff.after], [FIRST_COMMAND, SECOND_COMMAND], 'the diff reads as run → now');
    assert.ok(asRunDiff.removed.some((x) => x.includes('tick')) && asRunDiff.added.some((x) => x.includes('cgroup')), `old words struck out, new ones inserted: ${JSON.stringify(asRunDiff)}`);
    const cpuRow = asRun.locator('table.param-diff tr', { has: f.locator('th', { hasText: exactText('cpu') }) });
    assert.deepEqual([await cpuRow.locator('td.del').innerText(), await cpuRow.locator('td.add').innerText()], ['1', String(NEW_CPU)], 'cpu as run → now');
    await wb.screenshot('timeline-as-run');

    // Tick both for the comparison: command A → B and cpu.
    await rows.nth(0).locator('input[type="checkbox"]').check();
    await rows.nth(1).locator('input[type="checkbox"]').check();
    const cmp = history.locator('section.comparison');
    await cmp.waitFor();
    await cmp.locator('.subtle', { hasText: 'Command A → B' }).waitFor();
    const cmpDiff = await diffSides(cmp.locator('pre.diff'));
    assert.deepEqual([cmpDiff.before, cmpDiff.after], [FIRST_COMMAND, SECOND_COMMAND], 'the comparison reads A → B');
    const cpuMem = cmp.locator('table.compare-table tr', { has: f.locator('th', { hasText: exactText('cpu / mem') }) }).locator('td');
    assert.deepEqual((await cpuMem.allTextContents()).slice(0, 2), ['1 / 2 GB', `${NEW_CPU} / 2 GB`]);
    await wb.screenshot('timeline-compare');

    // A word diff must still read: a phrase the new command added (nothing like it in the old one)
    // shows as one insertion, not word by word between struck-out words of the old command.
    for (const [where, d] of [['as run → now', asRunDiff], ['comparison', cmpDiff]] as const) {
      assert.ok(
        d.added.some((x) => x.includes('rerun with more cores')),
        `${where}: "rerun with more cores" is inserted as one run; the diff renders inserted ${JSON.stringify(d.added)} and deleted ${JSON.stringify(d.removed)}`,
      );
    }
  });
});

test('the panel in a light and a dark theme (panel-light.png, panel-dark.png)', async () => {
  await wb.step('themes', async () => {
    const f = await panel();
    await f.locator('section.comparison').waitFor();
    const bg = async () => (await panel()).locator('body').evaluate((b) => getComputedStyle(b).backgroundColor);
    const luminance = (rgb: string) => {
      const [r, g, b] = (rgb.match(/\d+(\.\d+)?/g) ?? ['0', '0', '0']).map(Number);
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };

    // The Gantt chart is a canvas: its axis strip is painted with the editor background.
    const axisPixel = async () =>
      (await panel()).locator('.timeline canvas.gantt-canvas').evaluate((c: HTMLCanvasElement) => {
        const dpr = window.devicePixelRatio || 1;
        const [r, g, b] = c.getContext('2d')!.getImageData(Math.round(170 * dpr), Math.round(2 * dpr), 1, 1).data;
        return `rgb(${r}, ${g}, ${b})`;
      });
    const wrong: string[] = [];

    await colorTheme('Light Modern', 'vscode-light');
    const light = await bg();
    assert.ok(luminance(light) > 180, `light theme: the panel's background is light (${light})`);
    await (await panel()).locator('section.comparison').waitFor();
    await panelShot('panel-light');
    const lightAxis = await axisPixel();
    if (!(luminance(lightAxis) > 180)) wrong.push(`light theme: the timeline canvas still has dark colours (axis ${lightAxis}, page ${light})`);

    await colorTheme('Dark Modern', 'vscode-dark');
    const dark = await bg();
    assert.ok(luminance(dark) < 80, `dark theme: the panel's background is dark (${dark})`);
    await (await panel()).locator('section.comparison').waitFor();
    await panelShot('panel-dark');
    const darkAxis = await axisPixel();
    if (!(luminance(darkAxis) < 80)) wrong.push(`dark theme: the timeline canvas still has light colours (axis ${darkAxis}, page ${dark})`);
    // Both screenshots are made first; then: the chart follows the theme like the rest of the panel.
    assert.deepEqual(wrong, []);
  });
});

/** Relative luminance-ish (0–255) of a computed `rgb()`/`rgba()` colour; its alpha. */
function rgbOf(css: string): { lum: number; alpha: number } {
  const [r = 0, g = 0, b = 0, a = 1] = (css.match(/\d+(\.\d+)?/g) ?? []).map(Number);
  return { lum: 0.2126 * r + 0.7152 * g + 0.0722 * b, alpha: css.startsWith('rgba') ? a : 1 };
}

/** A line of `color` can be seen on `bg`: opaque enough and far enough from it in brightness. */
function standsOut(color: string, bg: string): boolean {
  const c = rgbOf(color);
  return c.alpha >= 0.5 && Math.abs(c.lum - rgbOf(bg).lum) >= 60;
}

test('the panel in high contrast: outlines on the selection, focus and toggles (panel-high-contrast.png)', async () => {
  await wb.step('high-contrast', async () => {
    // The picker's label for the theme whose id is "Default High Contrast".
    await colorTheme('Dark High Contrast', 'vscode-high-contrast');
    let f = await panel();
    await f.locator('section.comparison').waitFor();
    await panelShot('panel-high-contrast');
    const bg = await f.locator('body').evaluate((b) => getComputedStyle(b).backgroundColor);
    assert.ok(rgbOf(bg).lum < 40, `high contrast: the panel's background is black (${bg})`);
    const wrong: string[] = [];

    // The selected row of the tree: colour alone would not do, it needs a border.
    const sel = await (await treeRow('/printer')).evaluate((el) => {
      const cs = getComputedStyle(el);
      return { cls: el.className, style: cs.borderTopStyle, width: parseFloat(cs.borderTopWidth), color: cs.borderTopColor };
    });
    if (!/\bselected\b/.test(sel.cls)) wrong.push(`/printer is not the selected row (${sel.cls})`);
    if (sel.style === 'none' || sel.width < 1 || !standsOut(sel.color, bg)) wrong.push(`selected tree row: border ${sel.width}px ${sel.style} ${sel.color} on ${bg}`);

    // Diffs: inserted and removed words are outlined (high contrast themes give them no background).
    for (const tag of ['ins', 'del']) {
      const o = await f.locator(`section.comparison pre.diff ${tag}`).first().evaluate((el) => {
        const cs = getComputedStyle(el);
        return { style: cs.outlineStyle, width: parseFloat(cs.outlineWidth), color: cs.outlineColor };
      });
      if (o.style === 'none' || o.width < 1 || !standsOut(o.color, bg)) wrong.push(`diff <${tag}>: outline ${o.width}px ${o.style} ${o.color} on ${bg}`);
    }

    // A tab reached with the keyboard shows a focus outline.
    await f.locator('#tab-timeline').click();
    await wb.page.keyboard.press('ArrowRight');
    await wb.page.keyboard.press('ArrowLeft');
    f = await panel();
    const focus = await f.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const cs = getComputedStyle(el);
      return { id: el.id, style: cs.outlineStyle, width: parseFloat(cs.outlineWidth), color: cs.outlineColor };
    });
    if (focus.id !== 'tab-timeline') wrong.push(`the keyboard left the focus on #${focus.id}, not the Timeline tab`);
    if (focus.style === 'none' || focus.width < 1 || !standsOut(focus.color, bg)) wrong.push(`focused tab: outline ${focus.width}px ${focus.style} ${focus.color} on ${bg}`);

    // The Logs tab: the terminal in the theme's colours, and the follow toggle visibly pressed.
    f = await openTab('Logs');
    await f.locator('.logs .xterm-rows').waitFor();
    // The execution picked in the Timeline (the first, the ticks) or the latest.
    await waitUntil('the log shown', () => visibleLog(), (t) => /tick 80|rerun with more cores/.test(t));
    await panelShot('panel-high-contrast-logs');
    await openTab('Details');
    await panelShot('panel-high-contrast-details');
    f = await openTab('Logs');
    // Back on Logs the log is loaded again into a new terminal: read its style once it shows.
    await waitUntil('the log shown again', () => visibleLog(), (t) => /tick 80|rerun with more cores/.test(t));
    const pressed = await f.locator('.log-toolbar .icon-button[aria-pressed="true"]').evaluate((el) => {
      const cs = getComputedStyle(el);
      return { style: cs.borderTopStyle, width: parseFloat(cs.borderTopWidth), color: cs.borderTopColor, background: cs.backgroundColor };
    });
    if (!((pressed.style !== 'none' && pressed.width >= 1 && standsOut(pressed.color, bg)) || standsOut(pressed.background, bg)))
      wrong.push(`pressed follow toggle: border ${pressed.width}px ${pressed.style} ${pressed.color}, background ${pressed.background} on ${bg}`);
    const logText = await f.locator('.logs .xterm-rows').evaluate((el) => getComputedStyle(el).color);
    if (!standsOut(logText, bg)) wrong.push(`log text ${logText} on ${bg}`);
    // The screenshots are made first; then everything that must show in high contrast.
    assert.deepEqual(wrong, []);
  });
});
