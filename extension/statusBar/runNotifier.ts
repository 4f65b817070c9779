// Tells when a run this window holds ends (done, failed or killed, nothing left running): a
// notification by the pipewright.notifications setting, with "Show" (its panel) and "Show Logs"
// (the first failed node's); the status bar keeps the result for a while (runStatusBar.ts).
// It only subscribes to RunManager's changes and reads the run's tree.
import * as vscode from 'vscode';
import { COMMANDS } from '../../protocol/lsp';
import type { RunHandle } from '../../runner/runHandle';
import type { RunManager } from '../runManager';
import { pipewrightConfig } from '../settings';
import { ended, finishNotice, notificationSetting, type RunResult } from './runResult';

/** A run that looks ended is checked again after this: a Serial going on to its next node passes through "error". */
const SETTLE_MS = 400;

export class RunEndWatcher implements vscode.Disposable {
  /** Runs seen under way, with when they were first seen so. */
  private readonly underWay = new Map<string, number>();
  private readonly confirming = new Set<string>();
  private readonly emitter = new vscode.EventEmitter<RunResult>();
  readonly onDidEnd = this.emitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly runs: RunManager) {
    this.subscription = runs.onDidChange((changes) => {
      for (const { run } of changes) this.check(run);
    });
  }

  private check(run: RunHandle): void {
    if (!isSettled(run)) {
      if (!this.underWay.has(run.id)) this.underWay.set(run.id, Date.now());
      return;
    }
    if (!this.underWay.has(run.id) || this.confirming.has(run.id)) return;
    this.confirming.add(run.id);
    setTimeout(() => {
      this.confirming.delete(run.id);
      const since = this.underWay.get(run.id);
      if (since === undefined || !isSettled(run) || this.runs.get(run.id) !== run) return;
      this.underWay.delete(run.id);
      this.emitter.fire(resultOf(run, Date.now() - since));
    }, SETTLE_MS);
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}

/** Ended (done, error or killed at the root) with nothing running or queued, and awake. */
function isSettled(run: RunHandle): boolean {
  const c = run.tree.root.leafCounts;
  return run.status !== 'sleeping' && c.running + c.queued === 0 && ended(run.tree.root.state) !== null;
}

function resultOf(run: RunHandle, durationMs: number): RunResult {
  const failed = [...run.tree.byPath.values()].filter((n) => n.isLeaf && (n.state === 'error' || n.state === 'killed')).map((n) => n.path);
  return { id: run.id, name: run.meta.name, rootState: run.tree.root.state, counts: { ...run.tree.root.leafCounts }, durationMs, failed };
}

/** Shows the notification the setting asks for when a run ends. */
export class RunNotifier implements vscode.Disposable {
  private readonly subscription: vscode.Disposable;

  constructor(watcher: RunEndWatcher) {
    this.subscription = watcher.onDidEnd((result) => void this.notify(result));
  }

  private async notify(result: RunResult): Promise<void> {
    const notice = finishNotice(result, notificationSetting(pipewrightConfig().get('notifications')));
    if (!notice) return;
    const show = notice.severity === 'error' ? vscode.window.showErrorMessage : vscode.window.showInformationMessage;
    const choice = await show(notice.message, ...notice.buttons);
    if (choice === 'Show') await vscode.commands.executeCommand('pipewright.openPanel', result.id);
    if (choice === 'Show Logs' && notice.logsOf) await vscode.commands.executeCommand(COMMANDS.nodeLogs, result.id, notice.logsOf);
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
