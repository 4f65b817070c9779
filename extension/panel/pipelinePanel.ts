import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../protocol/lsp';
import type { ExecutionRecord, RunnerEvent } from '../../protocol/runner';
import { PANEL_VIEW_TYPE, parseWebviewToHost, type HostToWebview, type LogStream, type PanelState, type WebviewNode, type WebviewToHost } from '../../protocol/webviewMessages';
import type { RunHandle } from '../../runner/runHandle';
import type { RunChange, RunManager } from '../runManager';
import { openNodeTerminal, storeRootOf } from '../commands/nodeTerminals';
import { LogReader } from './logReader';
import { showLogDocument } from './logDocuments';
import { makeNonce, panelHtml } from './panelHtml';
import { PanelPages } from './panelPages';
import { affects, details, findExecution } from './snapshot';

/** Host → webview updates go out at most this often (the runner emits hundreds of events a second). */
const FLUSH_MS = 150;
/**
 * Most bytes one flush reads of a live log (≈ 7 MB/s, above what the terminal parses here); further
 * behind than 4× this, the tail skips ahead. The view keeps 50,000 lines, so sending more only
 * loads the extension host and the thread the webview shares with the workbench.
 */
const LIVE_READ_BYTES = 1024 * 1024;
/** Largest log text in one message (characters); bigger reads go out in pieces. */
export const LOG_MESSAGE_BYTES = 512 * 1024;

export interface PanelDeps {
  runs: RunManager;
  extensionUri: vscode.Uri;
  /** Shows the panel's selected node in the Pipelines view. */
  revealInSidebar?: (runId: string, nodePath: string) => void;
}

interface LogSubscription {
  path: string;
  execution: string;
  stream: LogStream;
  reader: LogReader;
  done: boolean;
}

/**
 * One webview panel per pipeline instance. Shows a live run, or a stored one read-only until the
 * user controls it (then it is opened here, as the tree's controls do).
 */
export class PipelinePanel implements vscode.Disposable {
  static readonly panels = new Map<string, PipelinePanel>();

  private run!: RunHandle;
  private live = false;
  private selected: string | undefined;
  private log: LogSubscription | undefined;
  private readonly changedPaths = new Set<string>();
  private readonly replacedPaths = new Set<string>();
  private summaryChanged = false;
  private logDirty = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private ready = false;
  /** Why the run could not be shown; told again each time the webview loads. */
  private failure: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** What the webview holds of the tree (a large run's, a page at a time). */
  private readonly pages = new PanelPages(() => this.run.tree);

  /** Opens (or reveals) the panel of a pipeline, optionally selecting a node. */
  static async show(deps: PanelDeps, runId: string, select?: string, options: { preserveFocus?: boolean } = {}): Promise<PipelinePanel> {
    const preserveFocus = options.preserveFocus === true;
    const existing = PipelinePanel.panels.get(runId);
    if (existing) {
      existing.panel.reveal(undefined, preserveFocus);
      if (select) existing.selectFromOutside(select);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, runId, { viewColumn: vscode.ViewColumn.Active, preserveFocus }, PipelinePanel.options(deps.extensionUri));
    return PipelinePanel.attach(deps, panel, runId, select);
  }

  /** A panel VS Code restored after a reload. */
  static async revive(deps: PanelDeps, panel: vscode.WebviewPanel, state: PanelState): Promise<PipelinePanel> {
    panel.webview.options = PipelinePanel.options(deps.extensionUri);
    return PipelinePanel.attach(deps, panel, state.runId, state.selected);
  }

  static options(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      enableCommandUris: false,
      enableFindWidget: false,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')],
    };
  }

  private static async attach(deps: PanelDeps, panel: vscode.WebviewPanel, runId: string, select?: string): Promise<PipelinePanel> {
    const p = new PipelinePanel(deps, panel, runId);
    PipelinePanel.panels.set(runId, p);
    p.selected = select;
    try {
      await p.bind();
    } catch (err) {
      p.failure = `Cannot show pipeline ${runId}: ${(err as Error).message}`;
      p.post({ type: 'error', message: p.failure });
    }
    return p;
  }

  private constructor(
    private readonly deps: PanelDeps,
    readonly panel: vscode.WebviewPanel,
    readonly runId: string,
  ) {
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'pipewright.svg');
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      panel.onDidChangeViewState(() => {
        // Hidden webviews are torn down (no retainContextWhenHidden); `ready` re-sends everything.
        if (!panel.visible) this.ready = false;
      }),
      deps.runs.onDidChange((changes) => this.runsChanged(changes)),
      deps.runs.onEvent(({ run, event }) => {
        if (run === this.run) this.onRunnerEvent(event);
      }),
    );
  }

  /** The sidebar selected a node of this pipeline. */
  selectFromOutside(nodePath: string): void {
    if (nodePath === this.selected) return; // the echo of our own reveal in the sidebar
    this.selected = nodePath;
    this.postNodes(this.pages.reveal(nodePath));
    this.post({ type: 'select', path: nodePath });
    this.sendDetails();
  }

  private html(): string {
    const asset = (...p: string[]) => this.panel.webview.asWebviewUri(vscode.Uri.joinPath(this.deps.extensionUri, 'dist', ...p)).toString();
    return panelHtml({ cspSource: this.panel.webview.cspSource, script: asset('webview.js'), css: asset('webview.css'), codicons: asset('codicons', 'codicon.css') }, makeNonce(), this.runId);
  }

  /** Uses the live run if this window runs it, else reads the stored one. */
  private async bind(): Promise<void> {
    const live = this.deps.runs.get(this.runId);
    if (live) {
      this.run = live;
      this.live = true;
    } else {
      this.run = await this.deps.runs.inspect(this.runId);
      this.live = false;
    }
    this.panel.title = `${this.run.meta.name} · ${this.runId}`;
    if (this.ready) this.sendInit();
  }

  /** Control needs the live run: open the stored one here (the tree's controls do the same). */
  private async liveRun(): Promise<RunHandle> {
    if (this.live) return this.run;
    const run = await this.deps.runs.open(this.runId);
    // Opening fires onDidChange, which may have rebound the panel already.
    if (this.run !== run || !this.live) {
      this.run = run;
      this.live = true;
      this.sendInit();
    }
    return run;
  }

  private runsChanged(changes: RunChange[]): void {
    const mine = changes.find((c) => c.run.id === this.runId);
    if (mine && mine.run !== this.run) {
      // This window started running the pipeline we were showing from the store.
      this.run = mine.run;
      this.live = true;
      this.sendInit();
      return;
    }
    if (!changes.length && this.live && this.deps.runs.get(this.runId) !== this.run) {
      // Deleted (or closed): show what the store still has, or close.
      if (!this.deps.runs.store().exists(this.runId)) return this.panel.dispose();
      void this.bind().catch(() => this.panel.dispose());
    }
  }

  private onRunnerEvent(event: RunnerEvent): void {
    switch (event.type) {
      case 'log':
        if (this.log && event.execution === this.log.execution) this.logDirty = true;
        else return;
        break;
      case 'nodes-added':
        this.replacedPaths.add(event.under);
        break;
      case 'execution-end':
        if (this.log?.execution === event.execution.id) this.logDirty = true;
        this.changedPaths.add(event.path);
        break;
      case 'autorun':
      case 'sleep':
      case 'wake':
      case 'created':
        this.summaryChanged = true;
        break;
      case 'image':
        return;
      case 'notice':
        if (!event.path) return;
        this.changedPaths.add(event.path);
        break;
      default:
        this.changedPaths.add(event.path);
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, FLUSH_MS);
  }

  private flush(): void {
    if (!this.ready) return; // `ready` sends a fresh init
    const changed = [...this.changedPaths];
    const replaced = [...this.replacedPaths];
    this.changedPaths.clear();
    this.replacedPaths.clear();
    if (this.pages.outgrown) {
      // Whole no more: the webview starts again from the first pages.
      this.summaryChanged = false;
      this.sendInit();
    } else if (changed.length || replaced.length || this.summaryChanged) {
      this.summaryChanged = false;
      const { nodes, replaced: rep } = this.pages.update(changed, replaced);
      this.post({ type: 'nodes', run: this.run.summary(), live: this.live, nodes, replaced: rep });
      const sel = this.selected;
      if (sel && [...changed, ...replaced].some((c) => affects(c, sel))) this.sendDetails();
    }
    if (this.logDirty) {
      this.logDirty = false;
      this.pumpLog();
    }
  }

  private sendInit(): void {
    if (!this.ready) return;
    this.changedPaths.clear();
    this.replacedPaths.clear();
    const select = this.selected && this.run.tree.byPath.has(this.selected) ? this.selected : undefined;
    const msg: HostToWebview = { type: 'init', run: this.run.summary(), live: this.live, nodes: this.pages.init(select) };
    if (select) msg.select = select;
    // The webview subscribes to its log again after every init.
    this.log = undefined;
    this.logDirty = false;
    this.post(msg);
    this.sendDetails();
  }

  /** Nodes the webview did not hold (a page of children, the way to a node). */
  private postNodes(nodes: WebviewNode[]): void {
    if (nodes.length) this.post({ type: 'nodes', run: this.run.summary(), live: this.live, nodes, replaced: [] });
  }

  private sendDetails(): void {
    const node = this.selected ? this.run?.tree.byPath.get(this.selected) : undefined;
    if (node) this.post({ type: 'details', details: details(node) });
  }

  private execution(nodePath: string, id: string): ExecutionRecord {
    const e = findExecution(this.run.tree, nodePath, id);
    if (!e) throw new Error(`${nodePath} has no execution ${id}`);
    return e;
  }

  private subscribe(nodePath: string, id: string, stream: LogStream, tailBytes: number): void {
    const e = this.execution(nodePath, id);
    const reader = new LogReader(this.run.space.log(e.id, stream), LIVE_READ_BYTES);
    const done = e.endedAt !== undefined || !this.live;
    const sub = (this.log = { path: nodePath, execution: id, stream, reader, done });
    const first = reader.initial(tailBytes);
    this.postLog(sub, done ? first.text + reader.end() : first.text, first, { reset: true, done });
  }

  /**
   * Log text in messages of at most LOG_MESSAGE_BYTES characters: the workbench decodes each on the
   * thread the webview shares, so a 4 MB message was one long stall; pieces let it draw between.
   */
  private postLog(sub: LogSubscription, text: string, range: { from: number; to: number; size: number }, opts: { reset: boolean; done: boolean }): void {
    let at = 0;
    let from = range.from;
    do {
      const piece = text.slice(at, at + LOG_MESSAGE_BYTES);
      const reset = opts.reset && at === 0;
      at += piece.length;
      const last = at >= text.length;
      // Byte offsets only order the pieces; a skip note makes the text longer than its range.
      const to = last ? range.to : Math.min(range.to, from + Buffer.byteLength(piece));
      this.post({ type: 'log', execution: sub.execution, stream: sub.stream, text: piece, reset, from, to, size: range.size, done: last && opts.done });
      from = to;
    } while (at < text.length);
  }

  /** New bytes of the subscribed log; the last read once its execution ended. */
  private pumpLog(): void {
    const sub = this.log;
    if (!sub || sub.done) return;
    const e = findExecution(this.run.tree, sub.path, sub.execution);
    const ended = !e || e.endedAt !== undefined;
    let chunk = sub.reader.poll();
    while (chunk) {
      this.postLog(sub, chunk.text, chunk, { reset: false, done: false });
      chunk = ended ? sub.reader.poll() : null;
    }
    if (ended) {
      sub.done = true;
      const pos = sub.reader.position;
      this.post({ type: 'log', execution: sub.execution, stream: sub.stream, text: sub.reader.end(), reset: false, from: pos, to: pos, size: pos, done: true });
    } else {
      // The container may write between runner events (stderr file): look again shortly.
      this.logDirty = true;
      this.scheduleFlush();
    }
  }

  private post(message: HostToWebview): void {
    if (message.type !== 'error' && !this.ready) return;
    void this.panel.webview.postMessage(message);
  }

  private receive(raw: unknown): void {
    const parsed = parseWebviewToHost(raw);
    if (!parsed.ok) {
      this.post({ type: 'error', message: `The panel sent a message the extension does not understand (${parsed.error}); reload it.` });
      return;
    }
    const m = parsed.value;
    void this.handle(m).catch((err: unknown) => this.post({ type: 'error', message: (err as Error).message ?? String(err), op: m.type }));
  }

  private async handle(m: WebviewToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.run) this.sendInit();
        else if (this.failure) this.post({ type: 'error', message: this.failure });
        return;
      case 'select':
        this.selected = m.path;
        this.sendDetails();
        this.deps.revealInSidebar?.(this.runId, m.path);
        return;
      case 'children':
        this.postNodes(this.pages.children(m.path, m.from));
        return;
      case 'subscribeLog':
        if (m.execution === null) this.log = undefined;
        else this.subscribe(m.path, m.execution, m.stream, m.tailBytes);
        return;
      case 'compare': {
        const a = this.execution(m.a.path, m.a.execution);
        const b = this.execution(m.b.path, m.b.execution);
        this.post({ type: 'comparison', a, b, aPath: m.a.path, bPath: m.b.path });
        return;
      }
      case 'openLog': {
        // A tab named by node and execution ("test · e3"), not by the log file's name.
        const id = this.execution(m.path, m.execution).id;
        await showLogDocument(this.run.space.log(id, m.stream), this.runId, m.path, id, m.stream, { viewColumn: vscode.ViewColumn.Beside });
        return;
      }
      case 'terminal':
        await openNodeTerminal(m.kind, this.run, m.path, storeRootOf(this.deps.runs.store()));
        return;
      case 'openSource': {
        const { file, line } = this.run.tree.get(m.path).spec.source;
        await vscode.window.showTextDocument(vscode.Uri.file(path.resolve(file)), { viewColumn: vscode.ViewColumn.Beside, selection: new vscode.Range(line - 1, 0, line - 1, 0) });
        return;
      }
      case 'toggleRun':
        (await this.liveRun()).setAutorun(m.on);
        return;
      case 'reset':
        // As the tree's Run / Reset: a reset node runs now.
        (await this.liveRun()).runAgain(m.path);
        return;
      case 'skip':
        (await this.liveRun()).skip(m.path, m.skipped);
        return;
      case 'kill':
        (await this.liveRun()).kill(m.path);
        return;
      case 'modify': {
        const run = await this.liveRun();
        run.modify(m.path, m.changes);
        if (m.thenReset) run.runAgain(m.path);
        return;
      }
      case 'sleep':
        await (await this.liveRun()).sleep();
        return;
      case 'wake':
        (await this.liveRun()).wake();
        return;
      case 'rerun':
        await vscode.commands.executeCommand(COMMANDS.rerunWithSameArguments, this.runId);
        return;
    }
  }

  dispose(): void {
    if (PipelinePanel.panels.get(this.runId) === this) PipelinePanel.panels.delete(this.runId);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.disposables.forEach((d) => d.dispose());
    this.disposables.length = 0;
  }
}
