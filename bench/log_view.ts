/**
 * The pipeline panel's Logs tab with a 1,000,000-line log, in a real VS Code (code-server, as the
 * e2e suites run it). A node prints numbered lines at a steady rate (every 10th coloured, each with
 * the time it was printed); the panel is opened on it while it runs. Prints:
 *  - until the first lines show after clicking the Logs tab (the first read: the last 2 MB);
 *  - frame times of the webview (requestAnimationFrame intervals, frames over 50 ms, long tasks)
 *    while the log streams with follow on, and while the user scrolls it with the mouse wheel,
 *    against baselines from the same run: the panel idle, and the same scrolling on a short log;
 *  - how far the screen is behind the printer (printed → shown) while following;
 *  - the webview's peak JS heap, the DOM size of the log view, a search for a line near the end,
 *    and whether the last line ("line 1000000") shows once the node is done.
 * Run: `bash scripts/test-e2e.sh` once (installs code-server, packages the extension), then
 *   node --import tsx bench/log_view.ts [--lines 1000000] [--seconds 40] [--window 8] [--delay 0]
 * e.g. `--seconds 1 --delay 20`: the million lines at once (as fast as Python prints them), after
 * the panel is open.
 * No thresholds: the issue's goal ("a 1,000,000-line log stays smooth") is judged from the figures.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CDPSession, Frame, Page } from 'playwright-core';
import { TIMEOUTS, Workbench } from '../test/e2e/harness';
import { printFrames, printLag, scrollFor, summarizeFrames, type Frames } from './frames';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

const lines = flag('lines', 1_000_000);
const seconds = flag('seconds', 40);
const windowMs = flag('window', 8) * 1000;
/** Seconds the node waits before printing: with a small --seconds, the burst starts once the panel shows. */
const delay = flag('delay', 0);
const SHORT_LINES = 2000;

// Batches of 1,000 lines on a schedule, so the rate is steady; `t=` is the wall clock at printing.
const GEN = String.raw`python3 - <<'EOF'
import sys, time
N, SECS, BATCH = ${lines}, ${seconds}, 1000
time.sleep(${delay})
t0 = time.time()
for start in range(1, N + 1, BATCH):
    end = min(N, start + BATCH - 1)
    now = int(time.time() * 1000)
    out = []
    for i in range(start, end + 1):
        if i % 10 == 0:
            out.append(f"\x1b[32mline {i}\x1b[0m t={now} \x1b[1;33mWARN\x1b[0m \x1b[38;5;208msome coloured text\x1b[0m\n")
        else:
            out.append(f"line {i} t={now} lorem ipsum dolor sit amet, consectetur\n")
    sys.stdout.write("".join(out))
    sys.stdout.flush()
    wait = t0 + SECS * end / N - time.time()
    if wait > 0:
        time.sleep(wait)
EOF`;

const definition = `import conducto as co

GEN = r'''${GEN}'''


def run():
    pipeline = co.Serial()
    pipeline["short"] = co.Exec("seq -f 'short line %g' 1 ${SHORT_LINES}")
    pipeline["printer"] = co.Exec(GEN)
    return pipeline


if __name__ == "__main__":
    co.main(default=run)
`;

// ---- in the webview frame (plain strings: tsx would wrap named functions in a `__name` helper) --

/**
 * A probe left running in the panel's frame: rAF intervals and long tasks while `rec` is on; every
 * 250 ms the DOM size and, while `lagOn`, the newest line on screen against the time it was printed;
 * when the last line first shows; when the first line shows after a click on the Logs tab.
 */
const PROBE = `(() => {
  if (window.__pwb) return;
  const b = (window.__pwb = { gaps: [], long: [], rec: false, lag: [], recvLag: [], recvBytes: 0, lagOn: false, domMax: 0, logDomMax: 0, heapMax: 0, lastShownAt: 0, lastLine: 0, logsClickAt: 0, firstLineAt: 0, firstT: 0 });
  let last = performance.now();
  const tick = (t) => {
    if (b.rec) b.gaps.push(t - last);
    last = t;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (b.rec) b.long.push(e.duration);
    }).observe({ entryTypes: ['longtask'] });
  } catch (e) {}
  const LAST = ${JSON.stringify(`line ${lines} `)};
  // The newest numbered line in the terminal's rendered rows (textContent: no layout forced).
  b.newest = () => {
    const rows = document.querySelectorAll('.logs .xterm-rows > div');
    for (let i = rows.length - 1; i >= 0; i--) {
      // 13 digits: a wrapped row may show a cut-off time.
      const m = /line (\\d+) t=(\\d{13})/.exec(rows[i].textContent || '');
      if (m) return { n: Number(m[1]), t: Number(m[2]) };
    }
    return null;
  };
  // Log messages as they reach the frame: how far behind the printer the host's reads are.
  window.addEventListener('message', (e) => {
    const m = e.data;
    if (!m || m.type !== 'log' || !m.text) return;
    b.recvBytes += m.text.length;
    const head = / t=(\\d{13})/.exec(m.text.slice(0, 300));
    if (head && !b.firstT) b.firstT = Number(head[1]);
    // Armed: frames are recorded from the first log text on.
    if (b.armed) { b.armed = false; b.gaps = []; b.long = []; b.rec = true; }
    const tail = m.text.slice(-300);
    const at = tail.lastIndexOf(' t=');
    if (b.lagOn && at >= 0 && /^ t=\\d{13}/.test(tail.slice(at))) b.recvLag.push(Date.now() - Number(/^ t=(\\d{13})/.exec(tail.slice(at))?.[1] ?? NaN));
  });
  document.addEventListener('click', (e) => {
    if (e.target.closest && e.target.closest('#tab-logs')) { b.logsClickAt = Date.now(); b.firstLineAt = 0; }
  }, true);
  new MutationObserver(() => {
    if (b.logsClickAt && !b.firstLineAt && b.newest()) b.firstLineAt = Date.now();
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
  setInterval(() => {
    b.domMax = Math.max(b.domMax, document.getElementsByTagName('*').length);
    b.logDomMax = Math.max(b.logDomMax, document.querySelectorAll('.logs *').length);
    if (performance.memory) b.heapMax = Math.max(b.heapMax, performance.memory.usedJSHeapSize);
    const n = b.newest();
    // Lag only while new lines come: a finished log's last line grows old on screen.
    if (n && b.lagOn && n.n > b.lastLine) b.lag.push(Date.now() - n.t);
    if (n) b.lastLine = Math.max(b.lastLine, n.n);
    if (!b.lastShownAt) {
      for (const r of document.querySelectorAll('.logs .xterm-rows > div')) if ((r.textContent || '').startsWith(LAST)) b.lastShownAt = Date.now();
    }
  }, 250);
})()`;

async function measureFrames(f: Frame, during: () => Promise<void>): Promise<Frames> {
  await f.evaluate('(() => { window.__pwb.gaps = []; window.__pwb.long = []; window.__pwb.rec = true; })()');
  await during();
  return stopFrames(f);
}

async function stopFrames(f: Frame): Promise<Frames> {
  const { gaps, long } = (await f.evaluate('(() => { const b = window.__pwb; b.rec = false; return { gaps: b.gaps.slice(1), long: b.long }; })()')) as { gaps: number[]; long: number[] };
  return summarizeFrames(gaps, long);
}

/** The frame holding the panel's DOM. */
async function panelFrame(page: Page, timeout = TIMEOUTS.ui): Promise<Frame> {
  const deadline = Date.now() + timeout;
  for (;;) {
    for (const f of page.frames()) {
      if (!f.isDetached() && (await f.locator('#root .tree-pane').count().catch(() => 0))) return f;
    }
    if (Date.now() > deadline) throw new Error('no pipeline panel');
    await sleep(200);
  }
}

/** The webview's JS heap through CDP: its own target when the frame is out of process, else the page's renderer. */
async function heapProbe(page: Page, f: Frame): Promise<{ what: string; read: () => Promise<number> }> {
  let session: CDPSession;
  let what = 'webview frame (its own renderer)';
  try {
    session = await page.context().newCDPSession(f);
  } catch {
    session = await page.context().newCDPSession(page);
    what = 'renderer of workbench + webview (same process)';
  }
  await session.send('Runtime.enable').catch(() => undefined);
  return { what, read: async () => ((await session.send('Runtime.getHeapUsage')) as { usedSize: number }).usedSize };
}

const MB = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;

(async () => {
  console.log(`# Logs tab, ${lines.toLocaleString('en')} lines printed over ${seconds} s (at most ${Math.round(lines / seconds).toLocaleString('en')} lines/s${delay ? `, after ${delay} s` : ''}), windows of ${windowMs / 1000} s`);
  const wb = await Workbench.start({ name: 'bench-log', files: { 'big_log.py': definition } });
  let heapTimer: NodeJS.Timeout | undefined;
  try {
    const page = wb.page;
    await wb.openFile('big_log.py');
    await wb.clickCodeLens('▶ Run pipeline');
    // The definition's rows show its latest run; fold them so the Runs group is on screen.
    await wb.waitForDescription('printer', 'running', { under: ['big_log.py'], timeout: TIMEOUTS.run });
    const defRow = await wb.treeItem('big_log.py');
    if ((await defRow.getAttribute('aria-expanded')) === 'true') await defRow.locator('.monaco-tl-twistie').click();
    const t0 = Date.now();
    await wb.treeItemContextMenu(/./, 'Open Pipeline Panel', { under: ['Runs'] });
    const f = await panelFrame(page);
    console.log(`panel shown: ${((Date.now() - t0) / 1000).toFixed(2)} s after "Open Pipeline Panel"`);
    await f.evaluate(PROBE);
    const heap = await heapProbe(page, f);
    let heapMax = 0;
    const heapStart = await heap.read();
    heapTimer = setInterval(() => void heap.read().then((n) => (heapMax = Math.max(heapMax, n)), () => undefined), 500);

    await f.locator('.tree .tree-row[data-path="/printer"] .label').click();
    await f.locator('.details .details-title .path', { hasText: '/printer' }).waitFor();
    await f.locator('#tab-logs').click();
    const heapAt: [string, number][] = [['before the log', heapStart]];
    await f.locator('.logs .terminal-host').waitFor();
    const box = (await f.locator('.logs .terminal-host').boundingBox())!;
    const over = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    if (delay) {
      // The burst: from before the first line is printed until the last one shows, following.
      await f.evaluate('(() => { window.__pwb.lagOn = true; window.__pwb.armed = true; })()');
      await waitFor(f, 'the last line', 'window.__pwb.lastShownAt', TIMEOUTS.run + delay * 1000);
      const burst = await stopFrames(f);
      const r = (await f.evaluate('(() => { const b = window.__pwb; b.lagOn = false; return { firstT: b.firstT, firstLineAt: b.firstLineAt, lastShownAt: b.lastShownAt, lastT: b.newest().t, lag: b.lag, recvLag: b.recvLag }; })()')) as { firstT: number; firstLineAt: number; lastShownAt: number; lastT: number; lag: number[]; recvLag: number[] };
      heapAt.push(['after the burst', await heap.read()]);
      console.log(`burst: printed in ${r.lastT - r.firstT} ms; first lines shown ${r.firstLineAt - r.firstT} ms after printing started, the last line ${r.lastShownAt - r.firstT} ms after (${r.lastShownAt - r.lastT} ms after it was printed)`);
      printFrames('burst, follow on, from the first text received until the last line showed', burst);
      printLag('printed → on screen during the burst', r.lag);
      printLag('printed → received by the webview (host reads + IPC)', r.recvLag);
    } else {
      const first = (await waitFor(f, 'first lines', 'window.__pwb.firstLineAt ? window.__pwb.firstLineAt - window.__pwb.logsClickAt : 0', 60_000)) as number;
      const firstShown = (await f.evaluate('window.__pwb.newest()')) as { n: number } | null;
      heapAt.push(['after the first read', await heap.read()]);
      console.log(`first lines shown: ${first} ms after clicking Logs (newest on screen: line ${firstShown?.n.toLocaleString('en')}; the first read is the log's last 2 MB)`);

      // Following the end while it streams.
      await sleep(1000);
      await f.evaluate('(() => { window.__pwb.lag = []; window.__pwb.recvLag = []; window.__pwb.lagOn = true; })()');
      printFrames(`streaming, follow on (${windowMs / 1000} s)`, await measureFrames(f, () => sleep(windowMs)));
      const lags = (await f.evaluate('(() => { window.__pwb.lagOn = false; return { shown: window.__pwb.lag, received: window.__pwb.recvLag }; })()')) as { shown: number[]; received: number[] };
      heapAt.push([`after ${windowMs / 1000} s following`, await heap.read()]);
      printLag('printed → on screen while following', lags.shown);
      printLag('printed → received by the webview (host reads + IPC)', lags.received);

      // The user scrolls back while it streams (scrolling up stops following).
      printFrames(`streaming, scrolling with the wheel (${windowMs / 1000} s)`, await measureFrames(f, () => scrollFor(page, over, windowMs, -300)));
      const follow = await f.locator('.log-toolbar .icon-button[aria-pressed]').getAttribute('aria-pressed');
      heapAt.push([`after ${windowMs / 1000} s scrolling`, await heap.read()]);
      console.log(`follow after scrolling up: ${follow === 'true' ? 'on' : 'off'}`);
      if (follow !== 'true') await f.locator('.log-toolbar .icon-button[aria-pressed="false"]').click();
      await f.evaluate('(() => { window.__pwb.lag = []; window.__pwb.recvLag = []; window.__pwb.lagOn = true; })()');
    }

    // The end: "complete", and the last line on screen.
    const status = await waitFor(f, 'the log complete', `(() => { const s = document.querySelector('.logs .log-status'); return s && /complete/.test(s.textContent) ? s.textContent : ''; })()`, TIMEOUTS.run + seconds * 1000);
    await sleep(1000);
    const end = (await f.evaluate(`(() => { const b = window.__pwb; b.lagOn = false; return { lastShownAt: b.lastShownAt, lastLine: b.lastLine, newest: b.newest(), lag: b.lag, recvLag: b.recvLag, recvBytes: b.recvBytes }; })()`)) as { lastShownAt: number; lastLine: number; newest: { n: number; t: number } | null; lag: number[]; recvLag: number[]; recvBytes: number };
    const endLag = end.lastShownAt && end.newest ? end.lastShownAt - end.newest.t : NaN;
    console.log(`log status at the end: "${String(status).trim()}"`);
    console.log(`last line "line ${lines}" shown when done: ${end.lastShownAt ? `yes, ${endLag} ms after it was printed` : `NO (newest line on screen: ${end.newest?.n ?? 'none'}, highest seen ${end.lastLine})`}`);
    if (!delay) {
      printLag('printed → on screen, following to the end', end.lag);
      printLag('printed → received, to the end', end.recvLag);
    }
    console.log(`log text received by the webview: ${MB(end.recvBytes)}`);

    // Search for a line near the end: from the Enter key to the match count shown.
    const target = `line ${lines - 10} `;
    const search = f.locator('.logs input.log-search');
    await search.fill(target.trim());
    await f.evaluate(`(() => {
      const b = window.__pwb;
      const info = document.querySelector('.logs .match-info');
      b.searchAt = 0; b.foundAt = 0; b.found = '';
      document.querySelector('.logs input.log-search').addEventListener('keydown', (e) => { if (e.key === 'Enter') b.searchAt = performance.now(); }, { capture: true, once: true });
      new MutationObserver((_, obs) => { if (b.searchAt) { b.foundAt = performance.now(); b.found = info.textContent; obs.disconnect(); } }).observe(info, { childList: true, characterData: true, subtree: true });
    })()`);
    await search.press('Enter');
    const found = (await waitFor(f, 'the search result', `window.__pwb.foundAt ? { ms: window.__pwb.foundAt - window.__pwb.searchAt, text: window.__pwb.found } : 0`, 30_000)) as { ms: number; text: string };
    await sleep(300);
    const onScreen = (await f.evaluate(`Array.from(document.querySelectorAll('.logs .xterm-rows > div')).some((r) => (r.textContent || '').startsWith(${JSON.stringify(target)}))`)) as boolean;
    console.log(`search "${target.trim()}": ${found.ms.toFixed(0)} ms from Enter to "${found.text}" (match ${onScreen ? 'on screen' : 'NOT on screen'})`);
    await wb.screenshot('log-view-search');
    await search.fill('');
    await search.press('Escape');

    const dom = (await f.evaluate(`(() => ({ log: document.querySelectorAll('.logs *').length, rows: document.querySelectorAll('.logs .xterm-rows > div').length, all: document.getElementsByTagName('*').length, logMax: window.__pwb.logDomMax, allMax: window.__pwb.domMax }))()`)) as Record<string, number>;
    console.log(`DOM: log view ${dom.log} elements (${dom.rows} terminal rows), whole panel ${dom.all}; at most ${dom.logMax} / ${dom.allMax} while streaming`);
    const pageHeap = (await f.evaluate('window.__pwb.heapMax')) as number;
    heapAt.push(['at the end', await heap.read()]);
    heapMax = Math.max(heapMax, ...heapAt.map(([, n]) => n));
    console.log(`JS heap (${heap.what}, CDP Runtime.getHeapUsage): ${heapAt.map(([w, n]) => `${MB(n)} ${w}`).join(', ')}; peak ${MB(heapMax)}${pageHeap ? ` (peak of performance.memory in the frame: ${MB(pageHeap)})` : ''}`);

    // Baselines in the same session: the panel idle, the same scrolling on the finished big log and
    // on a short one.
    printFrames(`baseline: idle, Logs tab on the finished log (${windowMs / 1000} s)`, await measureFrames(f, () => sleep(windowMs)));
    printFrames(`finished ${lines.toLocaleString('en')}-line log (terminal keeps 50,000), scrolling (${windowMs / 1000} s)`, await measureFrames(f, () => scrollFor(page, over, windowMs, -300)));
    await f.locator('.tree .tree-row[data-path="/short"] .label').click();
    await waitFor(f, 'the short log', `Array.from(document.querySelectorAll('.logs .xterm-rows > div')).some((r) => /short line/.test(r.textContent || ''))`, 30_000);
    printFrames(`baseline: ${SHORT_LINES.toLocaleString('en')}-line log, scrolling (${windowMs / 1000} s)`, await measureFrames(f, () => scrollFor(page, over, windowMs, -300)));
  } finally {
    if (heapTimer) clearInterval(heapTimer);
    await wb.dispose();
  }
})().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

/** Polls an expression in the frame until it is truthy; returns its value. */
async function waitFor(f: Frame, what: string, expr: string, timeout: number): Promise<unknown> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await f.evaluate(expr).catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeout / 1000} s`);
    await sleep(100);
  }
}
