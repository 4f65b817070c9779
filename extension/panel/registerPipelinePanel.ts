import * as vscode from 'vscode';
import { PANEL_VIEW_TYPE } from '../../protocol/webviewMessages';
import type { RunManager } from '../runManager';
import { NodeItem, RunItem } from '../treeViews/items';
import type { PipelinesTreeProvider } from '../treeViews/pipelinesTree';
import { PipelinePanelSerializer } from './panelSerializer';
import { PipelinePanel, type PanelDeps } from './pipelinePanel';

export const OPEN_PANEL_COMMAND = 'pipewright.openPanel';

/** What `pipewright.openPanel` was invoked on: a run or node item, a run id (status bar), nothing. */
interface Target {
  runId: string;
  path?: string;
}

/** A click on a node row passes `{ preserveFocus: true }`: the sidebar keeps the keyboard. */
interface OpenOptions {
  preserveFocus?: boolean;
}

function targetOf(arg: unknown, nodePath: unknown): Target | undefined {
  if (arg instanceof RunItem) return { runId: arg.runId };
  if (arg instanceof NodeItem && arg.run) return { runId: arg.run.id, path: arg.spec.path };
  if (typeof arg === 'string' && arg) return { runId: arg, ...(typeof nodePath === 'string' ? { path: nodePath } : {}) };
  return undefined;
}

function openOptions(arg: unknown): OpenOptions {
  return typeof arg === 'object' && arg !== null && (arg as OpenOptions).preserveFocus === true ? { preserveFocus: true } : {};
}

async function pickRun(runs: RunManager): Promise<string | undefined> {
  const live = runs.active().map((r) => ({ label: r.id, description: `${r.meta.name} · ${r.tree.root.state}`, detail: r.meta.file }));
  const stored = runs.stored().map((m) => ({ label: m.id, description: `${m.name} · ${m.status === 'sleeping' ? 'sleeping' : 'stored'}`, detail: m.file }));
  const items = [...live, ...stored];
  if (!items.length) {
    void vscode.window.showInformationMessage('Pipewright: no pipelines yet. Run one from a definition first.');
    return undefined;
  }
  if (live.length === 1 && !stored.length) return live[0]!.label;
  return (await vscode.window.showQuickPick(items, { placeHolder: 'Pipeline to open', matchOnDescription: true }))?.label;
}

/**
 * The pipeline panel: its command, the serializer that restores it after a reload, and the sync
 * from the Pipelines view's selection to the panel of that run.
 */
export function registerPipelinePanel(context: vscode.ExtensionContext, runs: RunManager, treeView?: vscode.TreeView<unknown>, tree?: PipelinesTreeProvider): void {
  const deps: PanelDeps = {
    runs,
    extensionUri: context.extensionUri,
    revealInSidebar: (runId, nodePath) => {
      const item = tree?.nodeItemFor(runId, nodePath);
      if (item && treeView?.visible && treeView.selection[0] !== item) void treeView.reveal(item, { select: true, focus: false }).then(undefined, () => undefined);
    },
  };
  context.subscriptions.push(
    vscode.commands.registerCommand(OPEN_PANEL_COMMAND, async (arg?: unknown, nodePath?: unknown, options?: unknown) => {
      const target: Target | undefined = targetOf(arg, nodePath) ?? (await pickRun(runs).then((runId) => (runId ? { runId } : undefined)));
      if (!target) return;
      try {
        await PipelinePanel.show(deps, target.runId, target.path, openOptions(options));
      } catch (err) {
        void vscode.window.showErrorMessage(`Pipewright: ${(err as Error).message}`);
      }
    }),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, new PipelinePanelSerializer(deps)),
    { dispose: () => [...PipelinePanel.panels.values()].forEach((p) => p.panel.dispose()) },
  );
  if (treeView) {
    context.subscriptions.push(
      treeView.onDidChangeSelection((e) => {
        const item = e.selection[0];
        if (item instanceof NodeItem && item.run) PipelinePanel.panels.get(item.run.id)?.selectFromOutside(item.spec.path);
      }),
    );
  }
}
