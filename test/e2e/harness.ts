// Editor end-to-end harness: the packaged extension in a real VS Code (code-server, i.e. VS Code's
// web build served from this machine) driven through Chromium by playwright-core.
//
//   const wb = await Workbench.start({ files: { 'failing.py': src } });
//   await wb.openFile('build_and_test.py');
//   await wb.clickCodeLens('▶ Run pipeline');
//   ...
//   await wb.dispose();
//
// Everything a session makes (user data, extensions, workspace copy, pipeline store) lives in one
// temp folder removed by dispose(); code-server runs in its own process group, killed with it.
// Prerequisites (scripts/test-e2e.sh makes them): scripts/ensure-code-server.sh, chromium, and
// dist/pipewright.vsix (`npm run package`). See docs/e2e.md.
import { createHash } from 'node:crypto';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Frame, type Locator, type Page } from 'playwright-core';

const execFileAsync = promisify(execFile);

export const REPO = path.resolve(__dirname, '../..');
export const ARTIFACTS = path.join(REPO, 'test-artifacts', 'e2e');
export const EXTENSION_ID = 'pipewright.pipewright';

/** The machine is slow (2 cores): generous defaults, every wait is on an event or DOM state. */
export const TIMEOUTS = {
  /** code-server printing its address. */
  serverStart: 60_000,
  /** Workbench DOM after navigation. */
  workbench: 120_000,
  /** Extension activated (seen in the extension host log). */
  activation: 90_000,
  /** Ordinary UI reactions: a palette entry, a tree row, a CodeLens. */
  ui: 30_000,
  /** A pipeline running to the end in Docker. */
  run: 240_000,
};

export function codeServerBin(): string {
  if (process.env.PIPEWRIGHT_CODE_SERVER) return process.env.PIPEWRIGHT_CODE_SERVER;
  const cache = process.env.PIPEWRIGHT_CACHE || path.join(os.homedir(), '.cache', 'pipewright');
  return path.join(cache, 'code-server', 'bin', 'code-server');
}

export function chromiumBin(): string {
  return process.env.PIPEWRIGHT_CHROMIUM || '/usr/bin/chromium';
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

/** User settings every session gets (before `settings` from the options). */
export function baseSettings(storePath: string): Record<string, unknown> {
  return {
    // Extensions are disabled in an untrusted workspace.
    'security.workspace.trust.enabled': false,
    // Nothing can be pulled here; scripts/build-base-images.sh makes this one.
    'pipewright.defaultImage': 'pipewright/python:latest',
    'pipewright.storePath': storePath,
    // A failed run's notification stays (an error with buttons): it would cover what other suites
    // click. debug.test.ts turns them on.
    'pipewright.notifications': 'off',
    // Quiet, deterministic workbench.
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'chat.disableAIFeatures': true,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'git.enabled': false,
    'git.openRepositoryInParentFolders': 'never',
    'editor.codeLens': true,
    'editor.minimap.enabled': false,
    'files.autoSave': 'off',
    'problems.defaultViewMode': 'tree',
    'window.restoreWindows': 'none',
  };
}

export interface StartOptions {
  /** Folder copied as the workspace (default: the repository's examples/). */
  workspace?: string;
  /** Extra files written into the workspace copy before the editor starts (relative path → text). */
  files?: Record<string, string>;
  /** More user settings (merged over baseSettings). */
  settings?: Record<string, unknown>;
  /** The .vsix to test (default: $PIPEWRIGHT_VSIX or dist/pipewright.vsix). */
  vsix?: string;
  /** More .vsix files to install (the harness self-test's fixture extension). */
  extraVsix?: string[];
  /** Extension id whose activation start() waits for; null: do not wait. */
  waitForExtension?: string | null;
  /** Port for code-server (default: any free one). */
  port?: number;
  /** Prefix of screenshot names. */
  name?: string;
  viewport?: { width: number; height: number };
}

export interface TreeRow {
  label: string;
  description: string;
  /** 1-based depth (aria-level). */
  level: number;
  /** undefined for leaves. */
  expanded: boolean | undefined;
  ariaLabel: string;
}

export interface Problem {
  file: string;
  message: string;
  /** 1-based. */
  line: number;
  column: number;
  severity: 'error' | 'warning' | 'info' | 'unknown';
  source: string;
}

/** A label: exact text, or a pattern. */
export type Match = string | RegExp;

interface SerializedMatch {
  s?: string;
  re?: [string, string];
}
function ser(m: Match): SerializedMatch {
  return typeof m === 'string' ? { s: m } : { re: [m.source, m.flags] };
}

const live = new Set<Workbench>();
// Last-resort cleanup if the test process is interrupted (Ctrl-C) or exits without dispose().
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    for (const wb of live) wb.killNow();
    process.exit(130);
  });
}
process.once('exit', () => {
  for (const wb of live) wb.killNow();
});

export class Workbench {
  page!: Page;
  url!: string;
  private browser?: Browser;
  private server?: ChildProcess;
  private serverLog = '';
  private disposed = false;
  private shotCount = 0;

  readonly root: string;
  readonly workspace: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly storeDir: string;

  private constructor(readonly options: StartOptions) {
    this.root = mkdtempSync(path.join(os.tmpdir(), 'pipewright-e2e-'));
    this.workspace = path.join(this.root, 'workspace');
    this.userDataDir = path.join(this.root, 'user-data');
    this.extensionsDir = path.join(this.root, 'extensions');
    this.storeDir = path.join(this.root, 'store');
  }

  /** Starts code-server with the extension installed and opens the workbench in Chromium. */
  static async start(options: StartOptions = {}): Promise<Workbench> {
    const wb = new Workbench(options);
    live.add(wb);
    try {
      await wb.prepare();
      await wb.startServer();
      await wb.openBrowser();
      if (options.waitForExtension !== null) await wb.waitForActivation(options.waitForExtension ?? EXTENSION_ID);
      return wb;
    } catch (err) {
      await wb.screenshot('start-failed').catch(() => undefined);
      await wb.dispose();
      throw new Error(`${(err as Error).message}\n--- code-server output ---\n${wb.serverLog.slice(-4000)}`, { cause: err });
    }
  }

  // ---- setup ------------------------------------------------------------------------------

  private async prepare(): Promise<void> {
    const bin = codeServerBin();
    if (!existsSync(bin)) throw new Error(`code-server not found at ${bin}: run scripts/ensure-code-server.sh (or npm run test:e2e)`);
    if (!existsSync(chromiumBin())) throw new Error(`chromium not found at ${chromiumBin()}: run scripts/ensure-code-server.sh`);
    const vsix = this.options.vsix ?? process.env.PIPEWRIGHT_VSIX ?? path.join(REPO, 'dist', 'pipewright.vsix');
    if (!existsSync(vsix)) throw new Error(`${vsix} not found: run npm run package`);

    cpSync(this.options.workspace ?? path.join(REPO, 'examples'), this.workspace, { recursive: true });
    for (const [rel, text] of Object.entries(this.options.files ?? {})) {
      const file = path.join(this.workspace, rel);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
    mkdirSync(path.join(this.userDataDir, 'User'), { recursive: true });
    mkdirSync(this.extensionsDir, { recursive: true });
    mkdirSync(this.storeDir, { recursive: true });
    writeFileSync(
      path.join(this.userDataDir, 'User', 'settings.json'),
      JSON.stringify({ ...baseSettings(this.storeDir), ...this.options.settings }, null, 2),
    );
    // An empty config: code-server must not read or write ~/.config/code-server/config.yaml.
    writeFileSync(path.join(this.root, 'config.yaml'), '');

    // A private copy, so a concurrent `npm run package` cannot swap the file mid-install.
    const vsixes = [vsix, ...(this.options.extraVsix ?? [])].map((v, i) => {
      const copy = path.join(this.root, `ext-${i}.vsix`);
      copyFileSync(v, copy);
      return copy;
    });
    const args = [...this.commonArgs(), ...vsixes.flatMap((v) => ['--install-extension', v])];
    const { stdout, stderr } = await execFileAsync(bin, args, { env: this.env(), timeout: 120_000 }).catch((err) => {
      throw new Error(`installing ${vsixes.join(', ')} failed: ${err.stderr || err.message}`);
    });
    if (!/successfully installed/i.test(stdout + stderr)) throw new Error(`extension install said: ${stdout}${stderr}`);
  }

  private commonArgs(): string[] {
    return ['--config', path.join(this.root, 'config.yaml'), '--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir];
  }

  private env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      // Keep code-server and the extension away from the real home's state.
      XDG_CONFIG_HOME: path.join(this.root, 'xdg-config'),
      XDG_DATA_HOME: path.join(this.root, 'xdg-data'),
      XDG_CACHE_HOME: path.join(this.root, 'xdg-cache'),
      PIPEWRIGHT_HOME: this.storeDir,
      // Inherited by the extension host; nothing should prompt.
      DONT_PROMPT_WSL_INSTALL: '1',
    };
  }

  private async startServer(): Promise<void> {
    const args = [
      ...this.commonArgs(),
      '--bind-addr', `127.0.0.1:${this.options.port ?? 0}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      this.workspace,
    ];
    // Own process group: dispose() kills code-server with its extension host and their children.
    const child = spawn(codeServerBin(), args, { env: this.env(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.server = child;
    this.url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`code-server did not start within ${TIMEOUTS.serverStart / 1000}s`)), TIMEOUTS.serverStart);
      const onData = (chunk: Buffer) => {
        this.serverLog += chunk.toString();
        if (this.serverLog.length > 200_000) this.serverLog = this.serverLog.slice(-100_000);
        const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+\/?)/.exec(this.serverLog);
        if (m) {
          clearTimeout(timer);
          const url = m[1]!;
          resolve(url.endsWith('/') ? url : `${url}/`);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`code-server exited (${code ?? signal}) before serving`));
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const res = await fetch(`${this.url}healthz`);
    if (!res.ok) throw new Error(`code-server /healthz answered ${res.status}`);
  }

  private async openBrowser(): Promise<void> {
    this.browser = await chromium.launch({ executablePath: chromiumBin(), args: CHROMIUM_ARGS, timeout: 60_000 });
    const context = await this.browser.newContext({ viewport: this.options.viewport ?? { width: 1400, height: 900 } });
    this.page = await context.newPage();
    this.page.setDefaultTimeout(TIMEOUTS.ui);
    await this.page.goto(`${this.url}?folder=${encodeURIComponent(this.workspace)}`, { timeout: TIMEOUTS.workbench });
    await this.page.locator('.monaco-workbench .part.editor').waitFor({ timeout: TIMEOUTS.workbench });
    // The activity bar shows once the extension contributions are known.
    await this.page.locator('.part.activitybar').waitFor({ timeout: TIMEOUTS.workbench });
  }

  /** The remote extension host's log, where VS Code records each activation. */
  extensionHostLog(): string {
    const logs = path.join(this.userDataDir, 'logs');
    if (!existsSync(logs)) return '';
    let text = '';
    for (const session of readdirSync(logs)) {
      const dir = path.join(logs, session);
      for (const host of existsSync(dir) ? readdirSync(dir).filter((d) => d.startsWith('exthost')) : []) {
        const file = path.join(dir, host, 'remoteexthost.log');
        if (existsSync(file)) text += readFileSync(file, 'utf8');
      }
    }
    return text;
  }

  isActivated(extensionId = EXTENSION_ID): boolean {
    return this.activations(extensionId) > 0;
  }

  /** How many times an extension host activated the extension (one more after each reload). */
  activations(extensionId = EXTENSION_ID): number {
    return this.extensionHostLog().split(`_doActivateExtension ${extensionId},`).length - 1;
  }

  /**
   * The frame holding the pipeline panel's DOM (code-server nests a webview in two iframes), looked
   * up each time: a webview can be reloaded.
   */
  async panelFrame(timeout = TIMEOUTS.ui): Promise<Frame> {
    const deadline = Date.now() + timeout;
    for (;;) {
      for (const f of this.page.frames()) {
        if (f.isDetached()) continue;
        if (await f.locator('#root .tree-pane').count().catch(() => 0)) return f;
      }
      if (Date.now() > deadline) throw new Error(`no pipeline panel within ${timeout / 1000}s; frames:\n${this.page.frames().map((f) => f.url()).join('\n')}`);
      await sleep(250);
    }
  }

  /** "Developer: Reload Window", then waits for the workbench and a new activation of the extension. */
  async reloadWindow(timeout = TIMEOUTS.activation): Promise<void> {
    const before = this.activations();
    await this.runCommand('Developer: Reload Window');
    await this.page.waitForLoadState('domcontentloaded', { timeout: TIMEOUTS.workbench });
    await this.page.locator('.monaco-workbench .part.editor').waitFor({ timeout: TIMEOUTS.workbench });
    await this.page.locator('.part.activitybar').waitFor({ timeout: TIMEOUTS.workbench });
    const deadline = Date.now() + timeout;
    let nudged = false;
    while (this.activations() <= before) {
      if (Date.now() > deadline) throw new Error(`the extension was not activated again within ${timeout / 1000}s of the reload`);
      if (!nudged && Date.now() > deadline - timeout + 15_000) {
        nudged = true;
        const py = readdirSync(this.workspace).find((f) => f.endsWith('.py'));
        if (py) await this.openFile(py).catch(() => undefined);
      }
      await sleep(250);
    }
  }

  /**
   * Waits until the extension host activated the extension. workspaceContains:**\/*.py gives up
   * after a few seconds on a busy machine, so if nothing happened by then we open a Python file of
   * the workspace (onLanguage:python) to trigger it.
   */
  async waitForActivation(extensionId = EXTENSION_ID, timeout = TIMEOUTS.activation): Promise<void> {
    const deadline = Date.now() + timeout;
    let nudged = false;
    while (!this.isActivated(extensionId)) {
      const log = this.extensionHostLog();
      const failed = new RegExp(`Activating extension '?${extensionId.replace('.', '\\.')}'? failed[^\\n]*`, 'i').exec(log);
      if (failed) throw new Error(`extension activation failed: ${failed[0]}`);
      if (Date.now() > deadline) throw new Error(`${extensionId} did not activate within ${timeout / 1000}s`);
      if (!nudged && extensionId === EXTENSION_ID && (/Not activating extension 'pipewright\.pipewright'/.test(log) || Date.now() > deadline - timeout + 20_000)) {
        nudged = true;
        const py = readdirSync(this.workspace).find((f) => f.endsWith('.py'));
        if (py) await this.openFile(py).catch(() => undefined);
      }
      await sleep(250);
    }
  }

  // ---- editor -----------------------------------------------------------------------------

  /** Opens a workspace file by relative path with Quick Open (Ctrl+P); waits for its editor. */
  async openFile(relPath: string): Promise<Locator> {
    const page = this.page;
    await this.dismissOverlays();
    await page.locator('.monaco-workbench').click({ position: { x: 700, y: 5 }, trial: true }).catch(() => undefined);
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible' });
    await input.fill(relPath);
    const base = path.basename(relPath);
    // Wait for the file among the results (file search is asynchronous), then take the first.
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: base }).first().waitFor();
    await page.keyboard.press('Enter');
    const editor = this.editor(relPath);
    await editor.waitFor();
    await page.locator('.tabs-container .tab.active', { hasText: base }).waitFor();
    return editor;
  }

  /** The editor showing a workspace file (by relative path). */
  editor(relPath: string): Locator {
    // data-uri is vscode-remote://<host>/<absolute path> in code-server, file:///<path> in desktop.
    return this.page.locator(`.editor-instance .monaco-editor[data-uri$="${path.join(this.workspace, relPath)}"]`);
  }

  /** Runs a command from the palette (F1), by its title as shown ("Pipewright: Show Pipeline Tree"). */
  async runCommand(title: string): Promise<void> {
    const page = this.page;
    await this.dismissOverlays();
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    const row = page.locator('.quick-input-widget .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exactText(title) }) });
    await row.first().waitFor();
    await row.first().click();
    await input.waitFor({ state: 'hidden' });
  }

  /** The titles of the palette's commands matching a text (then closes the palette). */
  async paletteEntries(text: string): Promise<string[]> {
    const page = this.page;
    await this.dismissOverlays();
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${text}`);
    await page.locator('.quick-input-widget .monaco-list-row').first().waitFor();
    const titles = await page.locator('.quick-input-widget .monaco-list-row .label-name').allTextContents();
    await page.keyboard.press('Escape');
    return titles.map((t) => t.trim());
  }

  /** A CodeLens (in the active editor) whose text contains `text`. */
  codeLens(text: Match): Locator {
    return this.page.locator('.editor-instance .monaco-editor .codelens-decoration a', { hasText: text });
  }

  /** Waits for a CodeLens and clicks it. */
  async clickCodeLens(text: Match, timeout = TIMEOUTS.activation): Promise<void> {
    const lens = this.codeLens(text).first();
    await lens.waitFor({ timeout });
    await lens.click();
  }

  // ---- views and trees --------------------------------------------------------------------

  /** Opens an activity-bar view container by its title ("Pipewright"). */
  async openViewContainer(title = 'Pipewright'): Promise<void> {
    const item = this.page.locator(`.part.activitybar .action-item a[aria-label="${title}"], .part.activitybar .action-item a[aria-label^="${title} ("]`).first();
    await item.waitFor();
    const checked = await item.locator('xpath=..').getAttribute('aria-checked').catch(() => null);
    const selected = await item.locator('xpath=..').evaluate((el) => el.classList.contains('checked')).catch(() => false);
    // The container can show as selected while the side bar is closed: a click then opens it.
    const sidebarShown = await this.page.locator('.part.sidebar').isVisible().catch(() => false);
    if ((checked !== 'true' && !selected) || !sidebarShown) await item.click();
    await this.page.locator(`.part.sidebar .composite.title h2`, { hasText: title }).first().waitFor().catch(() => undefined);
  }

  /**
   * The pane of a view ("Pipelines") inside the open side bar, expanded. Focuses the container first.
   */
  async view(viewName = 'Pipelines', container = 'Pipewright'): Promise<Locator> {
    await this.openViewContainer(container);
    const pane = this.page.locator('.part.sidebar .pane').filter({ has: this.page.locator('.pane-header', { hasText: viewName }) }).first();
    await pane.waitFor();
    const header = pane.locator('.pane-header').first();
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
    await pane.locator('.pane-body').waitFor();
    return pane;
  }

  /** Every rendered row of a view's tree, in order (rows scrolled out of sight are not rendered). */
  async treeRows(viewName = 'Pipelines', container = 'Pipewright'): Promise<TreeRow[]> {
    const pane = await this.view(viewName, container);
    return pane.locator('.pane-body .monaco-list-row').evaluateAll((rows) =>
      rows.map((row) => ({
        label: (row.querySelector('.label-name')?.textContent ?? '').trim(),
        description: (row.querySelector('.label-description')?.textContent ?? '').trim(),
        level: Number(row.getAttribute('aria-level') ?? '1'),
        expanded: row.hasAttribute('aria-expanded') ? row.getAttribute('aria-expanded') === 'true' : undefined,
        ariaLabel: row.getAttribute('aria-label') ?? '',
      })),
    );
  }

  /**
   * Waits for a tree row with `label` and returns it. `under`: labels of ancestors, outermost
   * first (each need not be the direct parent); collapsed ancestors on the way are expanded.
   * Labels compare against the row's name (`.label-name`), exactly for strings.
   */
  async treeItem(label: Match, opts: { under?: Match[]; view?: string; container?: string; timeout?: number } = {}): Promise<Locator> {
    const pane = await this.view(opts.view, opts.container);
    const chain = [...(opts.under ?? []), label];
    const deadline = Date.now() + (opts.timeout ?? TIMEOUTS.ui);
    for (;;) {
      // Find the chain in the flattened rows; expand the first collapsed link and retry.
      const found = await pane.locator('.pane-body .monaco-list').first().evaluate(findChain, chain.map(ser));
      if (found.index >= 0) return pane.locator(`.pane-body .monaco-list-row[data-index="${found.index}"]`);
      if (found.collapsedIndex >= 0) {
        // Still collapsed: the list may have moved since (a reveal inserted rows above), and a
        // click at a leaf row's twistie is a click on the row (it runs the row's command).
        const row = pane.locator(`.pane-body .monaco-list-row[data-index="${found.collapsedIndex}"][aria-expanded="false"]`);
        await row.locator('.monaco-tl-twistie').click({ timeout: 2000 }).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) {
        const rows = await this.treeRows(opts.view, opts.container).catch(() => []);
        throw new Error(`no tree item ${chain.map(String).join(' › ')} within ${(opts.timeout ?? TIMEOUTS.ui) / 1000}s; rows:\n${rows.map((r) => `${'  '.repeat(r.level - 1)}${r.label}  [${r.description}]`).join('\n')}`);
      }
      // Wait for the list to change (a row added, relabelled, expanded) instead of polling blindly;
      // a change since the search above counts (else the wait would miss it and last its second).
      await pane.locator('.pane-body .monaco-list').first().evaluate(
        (list, { ms, seen }) => new Promise<void>((resolve) => {
          if (list.innerHTML !== seen) return resolve();
          const obs = new MutationObserver(() => { obs.disconnect(); resolve(); });
          obs.observe(list, { subtree: true, childList: true, characterData: true, attributes: true });
          setTimeout(() => { obs.disconnect(); resolve(); }, ms);
        }),
        { ms: 1000, seen: found.seen },
      ).catch(() => sleep(250));
    }
  }

  /** A tree item's description (the grey text after its label). */
  async treeItemDescription(label: Match, opts: { under?: Match[]; view?: string; container?: string } = {}): Promise<string> {
    const row = await this.treeItem(label, opts);
    return ((await row.locator('.label-description').textContent().catch(() => '')) ?? '').trim();
  }

  /** Waits until a tree item's description matches; returns it. */
  async waitForDescription(label: Match, want: Match | ((d: string) => boolean), opts: { under?: Match[]; view?: string; container?: string; timeout?: number } = {}): Promise<string> {
    const timeout = opts.timeout ?? TIMEOUTS.run;
    const deadline = Date.now() + timeout;
    const test = typeof want === 'function' ? want : typeof want === 'string' ? (d: string) => d.startsWith(want) : (d: string) => want.test(d);
    let last = '';
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`tree item ${String(label)}: description ${JSON.stringify(last)} never matched ${String(want)} within ${timeout / 1000}s`);
      const row = await this.treeItem(label, { ...opts, timeout: left });
      last = ((await row.locator('.label-description').textContent({ timeout: 5000 }).catch(() => '')) ?? '').trim();
      if (test(last)) return last;
      // Re-check when the row changes (the description is re-rendered in place).
      await row.evaluate(
        (el, ms) => new Promise<void>((resolve) => {
          const obs = new MutationObserver(() => { obs.disconnect(); resolve(); });
          obs.observe(el.parentElement ?? el, { subtree: true, childList: true, characterData: true, attributes: true });
          setTimeout(() => { obs.disconnect(); resolve(); }, ms);
        }),
        2000,
      ).catch(() => sleep(250));
    }
  }

  /**
   * Records every description each row of a view's tree shows from now on (a MutationObserver in
   * the page), so a quick transition (done → running → done) is not missed between polls. Rows
   * are keyed by their path of labels (ancestors first), as one label can appear in several
   * places (a node under its definition and under Runs). `history(label, under)` returns the
   * successive distinct descriptions of the first recorded row matching like treeItem() does.
   */
  async watchDescriptions(viewName = 'Pipelines', container = 'Pipewright'): Promise<{ history(label: Match, under?: Match[]): Promise<string[]>; stop(): Promise<void> }> {
    const pane = await this.view(viewName, container);
    const list = pane.locator('.pane-body .monaco-list').first();
    const key = `pw${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    await list.evaluate(
      new Function('list', 'key', `
        const seen = {};
        const snap = () => {
          const rows = Array.from(list.querySelectorAll('.monaco-list-row'))
            .map((row) => ({
              index: Number(row.getAttribute('data-index')),
              level: Number(row.getAttribute('aria-level') || '1'),
              label: ((row.querySelector('.label-name') || {}).textContent || '').trim(),
              desc: ((row.querySelector('.label-description') || {}).textContent || '').trim(),
            }))
            .sort((a, b) => a.index - b.index);
          const stack = [];
          for (const r of rows) {
            stack.length = Math.max(0, r.level - 1);
            stack.push(r.label);
            // Rows scrolled out leave gaps; a path with a hole is still a usable key.
            const k = JSON.stringify(stack.slice());
            const h = seen[k] || (seen[k] = []);
            if (h[h.length - 1] !== r.desc) h.push(r.desc);
          }
        };
        snap();
        const obs = new MutationObserver(snap);
        obs.observe(list, { subtree: true, childList: true, characterData: true, attributes: true });
        window[key] = { seen, obs };
      `) as (list: Element, key: string) => void,
      key,
    );
    const matches = (m: Match, text: string | undefined) => text !== undefined && (typeof m === 'string' ? text === m : m.test(text));
    return {
      history: async (label: Match, under: Match[] = []) => {
        const seen = await list.evaluate((_l, k) => (window as unknown as Record<string, { seen: Record<string, string[]> }>)[k]?.seen ?? {}, key);
        for (const [k, descs] of Object.entries(seen)) {
          const labels = JSON.parse(k) as string[];
          if (!matches(label, labels[labels.length - 1])) continue;
          let i = 0;
          for (const l of labels.slice(0, -1)) if (i < under.length && matches(under[i]!, l)) i++;
          if (i === under.length) return descs;
        }
        return [];
      },
      stop: () => list.evaluate((_l, k) => { (window as unknown as Record<string, { obs: MutationObserver }>)[k]?.obs.disconnect(); }, key),
    };
  }

  /** Right-clicks a tree item and picks a context-menu entry by its title ("Skip", "Run / Reset"). */
  async treeItemContextMenu(label: Match, entry: string, opts: { under?: Match[]; view?: string; container?: string } = {}): Promise<void> {
    // A right-click on a row the view re-renders at that moment (a running pipeline's rows refresh
    // every second) opens no menu: find the row again and right-click it again.
    for (let attempt = 1; ; attempt++) {
      const row = await this.treeItem(label, opts);
      await row.click({ button: 'right' });
      const opened = await this.page.locator('.context-view .monaco-menu').first().waitFor({ timeout: 5000 }).then(() => true, () => false);
      if (opened || attempt === 3) break;
    }
    await this.clickMenuEntry(entry);
  }

  /** The titles in the open context menu. */
  async contextMenuEntries(): Promise<string[]> {
    const menu = this.page.locator('.context-view .monaco-menu').first();
    await menu.waitFor();
    const labels = await menu.locator('.action-item:not(.disabled) .action-label').allTextContents();
    return labels.map((l) => l.trim()).filter(Boolean);
  }

  private async clickMenuEntry(entry: string): Promise<void> {
    const menu = this.page.locator('.context-view .monaco-menu').first();
    await menu.waitFor();
    const item = menu.locator('.action-item .action-menu-item').filter({ has: this.page.locator('.action-label', { hasText: exactText(entry) }) }).first();
    try {
      await item.waitFor({ timeout: 5000 });
    } catch {
      const entries = await this.contextMenuEntries().catch(() => []);
      await this.page.keyboard.press('Escape');
      throw new Error(`context menu has no "${entry}"; it has: ${entries.join(' | ')}`);
    }
    // Monaco menus act on keyboard reliably; a synthetic click right after the right-click is
    // sometimes swallowed. Hovering focuses the entry, Enter runs it.
    await item.hover();
    await menu.locator('.action-item.focused .action-label', { hasText: exactText(entry) }).waitFor({ timeout: 5000 });
    await this.page.keyboard.press('Enter');
    await menu.waitFor({ state: 'hidden' });
  }

  /** Clicks an inline action of a tree item (shown on hover) by its title / aria-label. */
  async clickInlineAction(label: Match, actionTitle: string, opts: { under?: Match[]; view?: string; container?: string } = {}): Promise<void> {
    const row = await this.treeItem(label, opts);
    await row.hover();
    const action = row.locator(`.actions .action-label[aria-label="${actionTitle}"], .actions .action-label[title="${actionTitle}"]`).first();
    await action.waitFor();
    await action.click();
  }

  // ---- problems ---------------------------------------------------------------------------

  /** Opens the Problems panel (View: Focus Problems). */
  async openProblems(): Promise<Locator> {
    const panel = this.page.locator('.part.panel .markers-panel');
    if (!(await panel.isVisible().catch(() => false))) await this.page.keyboard.press('Control+Shift+M');
    await panel.waitFor({ state: 'visible' }).catch(async () => {
      await this.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
      await panel.waitFor({ state: 'visible' });
    });
    return panel;
  }

  /** The entries of the Problems panel (opens it). */
  async problems(): Promise<Problem[]> {
    const panel = await this.openProblems();
    return panel.locator('.monaco-list-row').evaluateAll((rows) => {
      const out: Problem[] = [];
      let file = '';
      for (const row of rows) {
        const resource = row.querySelector('.markers-panel-tree-resource, .resource-label, .file-icon');
        const marker = row.querySelector('.marker-message-details, .marker-message-line');
        if (!marker && resource) {
          file = (row.querySelector('.label-name')?.textContent ?? '').trim();
          continue;
        }
        if (!marker) continue;
        const message = (row.querySelector('.marker-message-line .marker-message, .marker-message')?.textContent ?? marker.textContent ?? '').trim();
        const pos = /\[Ln (\d+), Col (\d+)\]/.exec(row.querySelector('.marker-line')?.textContent ?? row.textContent ?? '');
        const icon = row.querySelector('.marker-icon')?.className ?? '';
        const severity = /error/.test(icon) ? 'error' : /warning/.test(icon) ? 'warning' : /info/.test(icon) ? 'info' : 'unknown';
        const source = (row.querySelector('.marker-source')?.textContent ?? '').trim();
        out.push({ file, message, line: pos ? Number(pos[1]) : 0, column: pos ? Number(pos[2]) : 0, severity, source });
      }
      return out;
    });
  }

  /** Waits for a Problems entry satisfying `pred`; returns it. */
  async waitForProblem(pred: (p: Problem) => boolean, timeout = TIMEOUTS.run): Promise<Problem> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const last = await this.problems();
      const hit = last.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no such Problems entry within ${timeout / 1000}s; entries: ${JSON.stringify(last)}`);
      await this.page.locator('.part.panel .markers-panel').evaluate(
        (el, ms) => new Promise<void>((resolve) => {
          const obs = new MutationObserver(() => { obs.disconnect(); resolve(); });
          obs.observe(el, { subtree: true, childList: true, characterData: true });
          setTimeout(() => { obs.disconnect(); resolve(); }, ms);
        }),
        2000,
      ).catch(() => sleep(250));
    }
  }

  /** Waits until no Problems entry satisfies `pred`. */
  async waitForNoProblem(pred: (p: Problem) => boolean, timeout = TIMEOUTS.ui): Promise<void> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const list = await this.problems();
      if (!list.some(pred)) return;
      if (Date.now() > deadline) throw new Error(`Problems entry still there after ${timeout / 1000}s: ${JSON.stringify(list.filter(pred))}`);
      await sleep(500);
    }
  }

  // ---- misc -------------------------------------------------------------------------------

  /** Closes a quick input or menu left open. */
  async dismissOverlays(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const open = await this.page.locator('.quick-input-widget:visible, .context-view .monaco-menu:visible').count().catch(() => 0);
      if (!open) return;
      await this.page.keyboard.press('Escape');
    }
  }

  /** Notification toasts currently shown (their messages). */
  async notifications(): Promise<string[]> {
    const msgs = await this.page.locator('.notifications-toasts .notification-list-item-message').allTextContents();
    return msgs.map((m) => m.trim());
  }

  /**
   * Every notification of the session, toasts gone included (they hide after a while): opens the
   * notification center and reads it. For failure reports: a command that did nothing often said
   * why in a toast long gone by then.
   */
  async notificationLog(): Promise<string[]> {
    await this.dismissOverlays();
    const center = this.page.locator('.notifications-center');
    if (!(await center.isVisible().catch(() => false))) await this.runCommand('Notifications: Show Notifications');
    await center.waitFor({ state: 'visible', timeout: 5000 });
    const msgs = await center.locator('.notification-list-item-message').allTextContents();
    return msgs.map((m) => m.trim());
  }

  /** Saves a screenshot into test-artifacts/e2e/ and returns its path. */
  async screenshot(name: string): Promise<string> {
    mkdirSync(ARTIFACTS, { recursive: true });
    const prefix = this.options.name ? `${this.options.name}-` : '';
    const file = path.join(ARTIFACTS, `${prefix}${String(++this.shotCount).padStart(2, '0')}-${name.replace(/[^\w.-]+/g, '_')}.png`);
    await this.page.screenshot({ path: file, timeout: 15_000 });
    return file;
  }

  /** Runs `fn`; on failure saves a screenshot and the server log, and lists the notifications, before rethrowing. */
  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const shot = await this.screenshot(`FAILED-${name}`).catch(() => undefined);
      const notifications = await this.notificationLog().catch(() => undefined);
      if (notifications?.length && err instanceof Error) err.message += `\n(notifications: ${notifications.map((n) => JSON.stringify(n)).join(', ')})`;
      mkdirSync(ARTIFACTS, { recursive: true });
      const prefix = this.options.name ? `${this.options.name}-` : '';
      writeFileSync(path.join(ARTIFACTS, `${prefix}FAILED-${name.replace(/[^\w.-]+/g, '_')}.exthost.log`), this.extensionHostLog());
      if (shot && err instanceof Error) err.message += `\n(screenshot: ${path.relative(REPO, shot)})`;
      throw err;
    }
  }

  /** Synchronous kill of code-server's process group (for exit handlers). */
  killNow(): void {
    const pid = this.server?.pid;
    if (pid && this.server?.exitCode === null && this.server?.signalCode === null) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }

  /**
   * Closes Chromium, kills code-server (its whole process group), removes containers of the
   * session's pipelines and the temp folder. Safe to call twice and after a failed start.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.browser?.close().catch(() => undefined);
    const child = this.server;
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      const killed = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!killed) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
        await Promise.race([exited, sleep(5000)]);
      }
    }
    // Stragglers of the group (the extension host may have outlived code-server's main process).
    if (child?.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* none left */
      }
    }
    // The runner service outlives the editor by design: the session's is stopped here.
    await execFileAsync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), 'service', '--stop', '--store', this.storeDir], { timeout: 60_000 }).catch(() => undefined);
    await this.removeContainers().catch(() => undefined);
    live.delete(this);
    rmSync(this.root, { recursive: true, force: true, maxRetries: 3 });
  }

  /** Containers the session's pipelines left behind (label pipewright.pipeline=<id>). */
  private async removeContainers(): Promise<void> {
    const pipelines = path.join(this.storeDir, 'pipelines');
    if (!existsSync(pipelines)) return;
    for (const id of readdirSync(pipelines)) {
      const ids: string[] = [];
      // Its workers, and the debug containers of Debug Node (pipewright.debug=<id>).
      for (const label of [`pipewright.pipeline=${id}`, `pipewright.debug=${id}`]) {
        const { stdout } = await execFileAsync('docker', ['ps', '-aq', '--filter', `label=${label}`], { timeout: 30_000 });
        ids.push(...stdout.split(/\s+/).filter(Boolean));
      }
      if (ids.length) await execFileAsync('docker', ['rm', '-f', ...ids], { timeout: 60_000 });
      // Its network too (the killed extension host could not remove it; the engine's address
      // pools hold ~30): found by its owner label, the hash of the pipeline's folder (pipelineNetwork.ts).
      const owner = createHash('sha256').update(realpathSync(path.join(pipelines, id))).digest('hex').slice(0, 16);
      const nets = await execFileAsync('docker', ['network', 'ls', '-q', '--filter', `label=pipewright.network-owner=${owner}`], { timeout: 30_000 });
      const netIds = nets.stdout.split(/\s+/).filter(Boolean);
      if (netIds.length) await execFileAsync('docker', ['network', 'rm', ...netIds], { timeout: 60_000 }).catch(() => undefined);
    }
  }
}

/**
 * Runs in the page: finds the rows matching a chain of labels in a flattened tree list; returns the
 * last link's data-index, or -1 and the first collapsed row on the way. Kept as plain JavaScript
 * text: tsx (esbuild keepNames) would wrap named inner functions in a `__name` helper the page
 * does not have.
 */
const findChain = new Function('list', 'chain', `
  const rows = Array.from(list.querySelectorAll('.monaco-list-row'))
    .map((row) => ({
      index: Number(row.getAttribute('data-index')),
      level: Number(row.getAttribute('aria-level') || '1'),
      label: ((row.querySelector('.label-name') || {}).textContent || '').trim(),
      expanded: row.hasAttribute('aria-expanded') ? row.getAttribute('aria-expanded') === 'true' : undefined,
    }))
    .sort((a, b) => a.index - b.index);
  const matches = (m, text) => (m.s !== undefined ? text === m.s : new RegExp(m.re[0], m.re[1]).test(text));
  let collapsedIndex = -1;
  // Depth-first: chain[k] among the descendants of the row matched for chain[k-1].
  const search = (from, endLevel, k) => {
    for (let i = from; i < rows.length; i++) {
      const r = rows[i];
      if (r.level <= endLevel) break;
      if (!matches(chain[k], r.label)) continue;
      if (k === chain.length - 1) return r.index;
      if (r.expanded === false) {
        if (collapsedIndex < 0) collapsedIndex = r.index;
        continue;
      }
      const hit = search(i + 1, r.level, k + 1);
      if (hit >= 0) return hit;
    }
    return -1;
  };
  return { index: search(0, 0, 0), collapsedIndex, seen: list.innerHTML };
`) as (list: Element, chain: SerializedMatch[]) => { index: number; collapsedIndex: number; seen: string };

/** A RegExp matching exactly `text` (for hasText, which otherwise matches substrings). */
export function exactText(text: string): RegExp {
  return new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Packs a folder holding an extension (package.json + code) into a .vsix with vsce. */
export async function packExtension(folder: string, out: string): Promise<string> {
  const vsce = path.join(REPO, 'node_modules', '.bin', 'vsce');
  await execFileAsync(vsce, ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links', '--out', out], { cwd: folder, timeout: 120_000 });
  return out;
}
