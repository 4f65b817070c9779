import * as vscode from 'vscode';
import { formatCounts } from '../../presentation/format';
import { PIPELINES_VIEW } from '../../protocol/lsp';
import type { RunManager } from '../runManager';
import type { RunEndWatcher } from './runNotifier';
import { RESULT_SHOWN_MS, resultText, type RunResult } from './runResult';

/**
 * While a pipeline runs: its name and counts in the status bar; once none runs, the last ended
 * run's result for a few minutes. A click opens its pipeline panel.
 */
export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('pipewright.runs', vscode.StatusBarAlignment.Left, 50);
  private readonly subscriptions: vscode.Disposable[];
  private last: { result: RunResult; until: number } | undefined;
  private expiry: NodeJS.Timeout | undefined;

  constructor(
    private readonly runs: RunManager,
    ends?: RunEndWatcher,
  ) {
    this.item.name = 'Pipewright runs';
    this.item.command = `${PIPELINES_VIEW}.focus`;
    this.subscriptions = [runs.onDidChange(() => this.update())];
    if (ends) this.subscriptions.push(ends.onDidEnd((result) => this.showResult(result)));
  }

  private showResult(result: RunResult): void {
    this.last = { result, until: Date.now() + RESULT_SHOWN_MS };
    if (this.expiry) clearTimeout(this.expiry);
    this.expiry = setTimeout(() => this.update(), RESULT_SHOWN_MS + 50);
    this.update();
  }

  /** The last ended run, while it is recent: shown when nothing runs. */
  private showLast(): boolean {
    const last = this.last;
    if (!last || Date.now() > last.until) return false;
    const { result } = last;
    this.item.text = resultText(result);
    this.item.tooltip = `Pipeline ${result.id} (${result.name}) ${result.rootState}: ${formatCounts(result.counts)}. Click to open it.`;
    this.item.command = { title: 'Open Pipeline Panel', command: 'pipewright.openPanel', arguments: [result.id] };
    this.item.show();
    return true;
  }

  private update(): void {
    const busy = this.runs.active().filter((r) => {
      const c = r.tree.root.leafCounts;
      return c.running + c.queued > 0;
    });
    if (!busy.length) {
      if (!this.showLast()) this.item.hide();
      return;
    }
    const [first] = busy;
    const c = first!.tree.root.leafCounts;
    const more = busy.length > 1 ? ` +${busy.length - 1}` : '';
    this.item.command = { title: 'Open Pipeline Panel', command: 'pipewright.openPanel', arguments: [first!.id] };
    this.item.text = `$(sync~spin) ${first!.id} R${c.running} D${c.done}${c.error ? ` E${c.error}` : ''}${more}`;
    this.item.tooltip = busy.map((r) => `${r.id} (${r.meta.name}): ${formatCounts(r.tree.root.leafCounts)}`).join('\n');
    this.item.show();
  }

  dispose(): void {
    if (this.expiry) clearTimeout(this.expiry);
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}

/**
 * A progress notification while a node waits for its image to be pulled or built, closed when the
 * node starts (or fails).
 */
export class ImageProgress implements vscode.Disposable {
  private readonly open = new Map<string, { report: (message: string) => void; done: () => void }>();
  private readonly subscription: vscode.Disposable;

  constructor(runs: RunManager) {
    this.subscription = runs.onEvent(({ run, event }) => {
      const key = `${run.id}:${'path' in event ? event.path : ''}`;
      if (event.type === 'image') {
        const line = `${event.kind} ${event.image}: ${event.message}`;
        const existing = this.open.get(key);
        if (existing) return existing.report(line);
        void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Pipewright: preparing the image of ${event.path}` }, (progress) =>
          new Promise<void>((resolve) => {
            this.open.set(key, { report: (message) => progress.report({ message: message.slice(0, 120) }), done: resolve });
            progress.report({ message: line.slice(0, 120) });
          }),
        );
      } else if (event.type === 'execution-start' || event.type === 'execution-end') {
        this.open.get(key)?.done();
        this.open.delete(key);
      }
    });
  }

  dispose(): void {
    for (const p of this.open.values()) p.done();
    this.subscription.dispose();
  }
}
