import * as vscode from 'vscode';
import { COMMANDS } from '../../protocol/lsp';
import type { RunHandle } from '../../runner/runHandle';
import type { RunManager } from '../runManager';
import { NodeItem, RunItem } from '../treeViews/items';
import { openNodeTerminal, storeRootOf } from './nodeTerminals';
import { reportFailure } from './runCommands';
import { showLogDocument } from '../panel/logDocuments';

/** A node command's target: a tree item, or (run id, path) from a code action. */
function target(runs: RunManager, itemOrRun: unknown, nodePath?: string): { run: RunHandle; path: string } | undefined {
  if (itemOrRun instanceof NodeItem && itemOrRun.run) return { run: itemOrRun.run, path: itemOrRun.spec.path };
  if (typeof itemOrRun === 'string' && nodePath) {
    const run = runs.get(itemOrRun);
    if (run) return { run, path: nodePath };
  }
  return undefined;
}

/**
 * A command from the Pipelines view that came without its item: VS Code passes none when the item's
 * parent row was being refreshed at that moment (microsoft/vscode#144250). Say so rather than nothing.
 */
function lostItem(): void {
  void vscode.window.showWarningMessage('Pipewright: VS Code did not say which item of the Pipelines view this was for (the view was updating); try again.');
}

function guarded(fn: () => void | Promise<void>): Promise<void> {
  return Promise.resolve()
    .then(fn)
    .catch((err: unknown) => reportFailure(err));
}

export function registerNodeCommands(context: vscode.ExtensionContext, runs: RunManager): void {
  // `control`: the action changes the run, so a stored run read for the view is first opened in
  // the runner service (as the panel's controls do).
  const onNode = (id: string, action: (run: RunHandle, path: string) => void | Promise<void>, control = false) =>
    vscode.commands.registerCommand(id, (item: unknown, nodePath?: string) => {
      const t = target(runs, item, nodePath);
      if (!t) {
        if (item === undefined) return lostItem();
        return void vscode.window.showInformationMessage('Pipewright: run the pipeline first; this node has no run yet.');
      }
      return guarded(async () => action(control ? await runs.open(t.run.id) : t.run, t.path));
    });
  context.subscriptions.push(
    onNode(COMMANDS.nodeRun, (run, p) => run.runAgain(p), true),
    onNode(COMMANDS.nodeRefresh, (run, p) => run.runAgain(p, { withoutCache: true }), true),
    onNode(COMMANDS.nodeSkip, (run, p) => run.skip(p, true), true),
    onNode(COMMANDS.nodeUnskip, (run, p) => run.skip(p, false), true),
    onNode(COMMANDS.nodeKill, (run, p) => run.kill(p), true),
    onNode(COMMANDS.nodeLogs, async (run, p) => {
      const node = run.tree.get(p);
      const execution = node.executions[node.executions.length - 1];
      if (!execution) return void vscode.window.showInformationMessage(`Pipewright: ${p} has not run yet.`);
      await showLogDocument(run.space.log(execution.id), run.id, p, execution.id, 'combined');
    }),
    onNode(COMMANDS.nodeShell, async (run, p) => void (await openNodeTerminal('shell', run, p, storeRootOf(runs.store())))),
    onNode(COMMANDS.nodeDebug, async (run, p) => void (await openNodeTerminal('debug', run, p, storeRootOf(runs.store())))),
    vscode.commands.registerCommand(COMMANDS.nodeGoTo, async (item: unknown) => {
      if (item === undefined) return lostItem();
      if (!(item instanceof NodeItem)) return;
      const { file, line } = item.sourceLocation;
      await vscode.window.showTextDocument(vscode.Uri.file(file), { selection: new vscode.Range(line - 1, 0, line - 1, 0) });
    }),
  );
}

export function registerPipelineCommands(context: vscode.ExtensionContext, runs: RunManager): void {
  const onRun = (id: string, action: (item: RunItem) => void | Promise<void>) =>
    vscode.commands.registerCommand(id, (item: unknown) => {
      if (item === undefined) return lostItem();
      if (!(item instanceof RunItem)) return;
      return guarded(() => action(item));
    });
  const live = async (item: RunItem) => item.run ?? (await runs.open(item.runId));
  context.subscriptions.push(
    onRun(COMMANDS.pipelineToggleRun, async (item) => {
      const run = await live(item);
      run.setAutorun(!run.autorun);
    }),
    onRun(COMMANDS.pipelineReset, async (item) => (await live(item)).runAgain('/')),
    onRun(COMMANDS.pipelineRefresh, async (item) => (await live(item)).runAgain('/', { withoutCache: true })),
    onRun(COMMANDS.pipelineSleep, async (item) => (await live(item)).sleep()),
    onRun(COMMANDS.pipelineWake, async (item) => (await live(item)).wake()),
    onRun(COMMANDS.pipelineDelete, async (item) => {
      const ok = await vscode.window.showWarningMessage(`Delete pipeline ${item.runId} and its logs?`, { modal: true }, 'Delete');
      if (ok) await runs.delete(item.runId);
    }),
  );
}
